"""Planted settlement errors: which orders a marketplace gets wrong, and by how much.

Each settlement (channel x currency x date) draws its own errors from a generator seeded by
(seed, stream, channel, currency, date), choosing among its own items sorted by order number, so
the choice depends only on what that settlement contains: a longer run plants the same errors in
the same files. Each channel's settlement in its home currency also gets one guaranteed error, of
the type planted least so far in the run (a count over earlier settlements only, so still causal):
any run with a couple of weeks of daily settlements contains every type, the rare refund error
included. A Poisson number of extra errors per type adds the irregularity real data has.

Sign convention for the manifest: expected_amount = settled - expected, as money to the seller, in
the settlement currency. A missing settlement is -order amount, a short payment is -shortfall, an
overcharged commission is negative, a refund not deducted is +refund.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from simulator.catalog import CHANNELS

TYPES = ("missing_settlement", "short_payment", "wrong_commission", "refund_not_deducted")
CHARGE_TYPES = TYPES[:3]
STREAM_ERRORS = 3_701
# Items below this principal are not made short or mis-charged: a one-cent order cannot be short
# by a meaningful amount, and a commission on it cannot differ by a visible cent.
MIN_TARGET_CENTS = 100
# Commission rate mistakes a marketplace makes: an old rate, a wrong category, a missed discount.
WRONG_RATE_DELTAS_BP = np.array([100, 200, 500, -100], dtype=np.int64)


@dataclass(frozen=True)
class SettlementErrorRates:
    """How often errors are planted.

    guaranteed_per_settlement: errors each channel's daily/period settlement in its home currency
    gets, of the type planted least so far in the run (so every type appears as soon as it can).
    extra_per_type: mean of the Poisson number of further errors of each type per settlement.
    """

    guaranteed_per_settlement: int = 1
    extra_per_type: float = 0.1


def _currency_key(currency: str) -> int:
    return int.from_bytes(currency.encode("ascii"), "big")


ORDER_KEYS = ["channel", "channel_idx", "currency", "settle_date", "order_no"]


def _targets(charges: pl.DataFrame) -> pl.DataFrame:
    """One row per charged order and settlement: the order's first item is where an error lands."""
    per_order = charges.filter(pl.col("line_no") == 0).select(
        *ORDER_KEYS, pl.col("line_no").alias("target_line"), pl.col("gross_cents").alias("target_gross"),
        pl.col("amount_cents").alias("target_amount"), pl.col("commission_cents").alias("target_commission"),
        "rate_bp", pl.col("amount_cents").alias("order_amount"),
    )
    lines = charges.filter(pl.col("line_no") > 0)
    first_lines = lines.group_by(ORDER_KEYS).agg(
        pl.col("line_no").min().alias("target_line"), pl.col("amount_cents").sum().alias("order_amount"),
    )
    per_line = first_lines.join(
        lines.select(*ORDER_KEYS, pl.col("line_no").alias("target_line"), pl.col("gross_cents").alias("target_gross"),
                     pl.col("amount_cents").alias("target_amount"),
                     pl.col("commission_cents").alias("target_commission"), "rate_bp"),
        on=[*ORDER_KEYS, "target_line"],
    ).select(per_order.columns)
    return pl.concat([per_order, per_line])


def _in_settlement_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Group rows by settlement, by order number within one (what positions are drawn against).

    A single-key string sort then a stable sort on the small keys is several times faster than one
    multi-key sort with a string among the keys.
    """
    return frame.sort("order_no").sort(["settle_date", "channel_idx", "currency"], maintain_order=True)


def _refund_targets(refunds: pl.DataFrame) -> pl.DataFrame:
    return refunds.group_by(ORDER_KEYS).agg(
        pl.col("refund_cents").sum().alias("refund_total"),
    )


def _group_slices(frame: pl.DataFrame, keys: list[str]) -> dict[tuple, tuple[int, int]]:
    """Offset and length of each group in a frame sorted by `keys` (so picks are positions)."""
    if frame.is_empty():
        return {}
    counts = frame.group_by(keys, maintain_order=True).len()
    offsets = np.concatenate([[0], np.cumsum(counts["len"].to_numpy())[:-1]])
    return {
        tuple(row): (int(off), int(n))
        for row, off, n in zip(counts.select(keys).iter_rows(), offsets, counts["len"].to_numpy(), strict=True)
    }


def plan_errors(charges: pl.DataFrame, refunds: pl.DataFrame, *, seed: int,
                rates: SettlementErrorRates) -> pl.DataFrame:
    """Choose the planted errors of every settlement; one row per error with its size.

    Columns: type, channel, currency, settle_date, order_no, target_line, short_cents,
    charged_commission, expected_cents.
    """
    keys = ["channel", "channel_idx", "currency", "settle_date"]
    eligible = _in_settlement_order(_targets(charges).filter(pl.col("target_amount") >= MIN_TARGET_CENTS))
    refund_targets = _in_settlement_order(_refund_targets(refunds))
    charge_slices = _group_slices(eligible, keys)
    refund_slices = _group_slices(refund_targets, keys)
    settlements = sorted(set(charge_slices) | set(refund_slices), key=lambda k: (k[3], k[1], k[2]))

    home_currency = {i: c.currency for i, c in enumerate(CHANNELS)}
    planted_so_far = dict.fromkeys(TYPES, 0)
    picks: list[tuple[str, str, int, int, int]] = []  # (type, source, row position, short bp, wrong delta bp)
    for key in settlements:
        channel_idx, currency, day = key[1], key[2], key[3]
        rng = np.random.default_rng([seed, STREAM_ERRORS, channel_idx, _currency_key(currency), day.toordinal()])
        charge_off, n_charge = charge_slices.get(key, (0, 0))
        refund_off, n_refund = refund_slices.get(key, (0, 0))
        capacity = {t: (n_refund if t == "refund_not_deducted" else n_charge) for t in TYPES}
        counts = dict.fromkeys(TYPES, 0)
        if currency == home_currency[channel_idx]:
            # Least planted first; ties go round the types with the date, so no type is favoured.
            first = (day.toordinal() + channel_idx) % len(TYPES)
            tie = {TYPES[(first + i) % len(TYPES)]: i for i in range(len(TYPES))}
            for _ in range(rates.guaranteed_per_settlement):
                used = {t: sum(counts[c] for c in CHARGE_TYPES) for t in CHARGE_TYPES}
                used["refund_not_deducted"] = counts["refund_not_deducted"]
                open_types = [t for t in TYPES if capacity[t] > used[t]]
                if open_types:
                    counts[min(open_types, key=lambda t: (planted_so_far[t] + counts[t], tie[t]))] += 1
        extras = rng.poisson(rates.extra_per_type, size=len(TYPES))
        for t, extra in zip(TYPES, extras, strict=True):
            counts[t] += int(extra)
        n_charge_errors = min(n_charge, sum(counts[t] for t in CHARGE_TYPES))
        charge_positions = rng.choice(n_charge, size=n_charge_errors, replace=False) if n_charge else []
        charge_types = [t for t in CHARGE_TYPES for _ in range(counts[t])][:n_charge_errors]
        short_bp = rng.integers(500, 4_000, size=n_charge_errors)
        wrong_bp = rng.choice(WRONG_RATE_DELTAS_BP, size=n_charge_errors)
        for t, pos, sbp, wbp in zip(charge_types, charge_positions, short_bp, wrong_bp, strict=True):
            picks.append((t, "charge", charge_off + int(pos), int(sbp), int(wbp)))
            planted_so_far[t] += 1
        n_refund_errors = min(n_refund, counts["refund_not_deducted"])
        for pos in rng.choice(n_refund, size=n_refund_errors, replace=False) if n_refund else []:
            picks.append(("refund_not_deducted", "refund", refund_off + int(pos), 0, 0))
            planted_so_far["refund_not_deducted"] += 1

    return _sized(picks, eligible, refund_targets)


def _sized(picks: list[tuple[str, str, int, int, int]], eligible: pl.DataFrame,
           refund_targets: pl.DataFrame) -> pl.DataFrame:
    """Turn picked positions into errors with their amounts (vectorised over the few picks)."""
    schema = {"type": pl.Utf8, "source": pl.Utf8, "pos": pl.Int64, "short_bp": pl.Int64, "wrong_bp": pl.Int64}
    chosen = pl.DataFrame(picks, schema=schema, orient="row")
    columns = ["type", "channel", "currency", "settle_date", "order_no", "target_line", "short_cents",
               "charged_commission", "expected_cents"]
    charge_errors = (
        chosen.filter(pl.col("source") == "charge")
        .join(eligible.with_row_index("pos").with_columns(pl.col("pos").cast(pl.Int64)), on="pos")
        .with_columns(
            short_cents=pl.when(pl.col("type") == "short_payment")
            .then(pl.max_horizontal(pl.lit(1), pl.col("target_amount") * pl.col("short_bp") // 10_000))
            .otherwise(0),
            charged_commission=pl.when(pl.col("type") == "wrong_commission")
            .then((pl.col("target_amount") * (pl.col("rate_bp") + pl.col("wrong_bp")) + 5_000) // 10_000)
            .otherwise(pl.col("target_commission")),
        )
        .with_columns(
            # A wrong rate that rounds to the contracted cent would plant nothing: move it one cent.
            charged_commission=pl.when(
                (pl.col("type") == "wrong_commission") & (pl.col("charged_commission") == pl.col("target_commission"))
            ).then(pl.col("charged_commission") + 1).otherwise(pl.col("charged_commission")),
        )
        .with_columns(
            expected_cents=pl.when(pl.col("type") == "missing_settlement").then(-pl.col("order_amount"))
            .when(pl.col("type") == "short_payment").then(-pl.col("short_cents"))
            .otherwise(pl.col("target_commission") - pl.col("charged_commission")),
        )
    )
    refund_errors = (
        chosen.filter(pl.col("source") == "refund")
        .join(refund_targets.with_row_index("pos").with_columns(pl.col("pos").cast(pl.Int64)), on="pos")
        .with_columns(
            target_line=pl.lit(None, pl.Int32),
            short_cents=pl.lit(0, pl.Int64),
            charged_commission=pl.lit(None, pl.Int64),
            expected_cents=pl.col("refund_total"),
        )
    )
    cast = {"target_line": pl.Int32, "short_cents": pl.Int64, "charged_commission": pl.Int64,
            "expected_cents": pl.Int64}
    return pl.concat(
        [charge_errors.select(columns).cast(cast), refund_errors.select(columns).cast(cast)]
    ).sort(["settle_date", "channel", "currency", "type", "order_no"])


def apply_errors(charges: pl.DataFrame, refunds: pl.DataFrame,
                 errors: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The items as the marketplace actually settles them, with the planted errors in place.

    Adds paid_gross_cents (principal actually paid) and charged_commission_cents to charges, and drops
    the items of missing settlements and undeducted refunds.
    """
    keys = ["channel", "currency", "settle_date", "order_no"]
    missing = errors.filter(pl.col("type") == "missing_settlement").select(keys)
    undeducted = errors.filter(pl.col("type") == "refund_not_deducted").select(keys)
    altered = errors.filter(pl.col("type").is_in(["short_payment", "wrong_commission"])).select(
        [*keys, pl.col("target_line").alias("line_no"), "short_cents", "charged_commission"]
    )
    settled_charges = (
        charges.join(missing, on=keys, how="anti")
        .join(altered, on=[*keys, "line_no"], how="left")
        .with_columns(
            paid_gross_cents=pl.col("gross_cents") - pl.col("short_cents").fill_null(0),
            charged_commission_cents=pl.col("charged_commission").fill_null(pl.col("commission_cents")),
        )
        .drop("short_cents", "charged_commission")
    )
    settled_refunds = refunds.join(undeducted, on=keys, how="anti")
    return settled_charges, settled_refunds

"""The lines of one carrier bill: every parcel of the period at its contract price, plus planted errors.

Lines start as exact contract charges (so a clean line reconciles to the cent) and a few are then
changed the way real carrier bills go wrong. Each change is recorded with its signed effect
(billed - contract) so the manifest is the ground truth a reconciliation is scored against.
Only the handful of planted lines are touched row by row; the bulk stays vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from simulator.freight.rate_cards import RateCard, base_for_steps, fuel_cents

# Line-level planted error types, in the order they are drawn (order matters for determinism).
LINE_ERROR_TYPES = (
    "duplicate_bill_line", "overcharged_rate", "inflated_weight", "wrong_zone", "surcharge_not_in_contract",
    "billed_not_shipped", "shipped_not_billed", "currency_error",
)
DEFAULT_LINE_ERROR_RATE = 0.2  # extra errors of each type per 1,000 bill lines, on top of one per bill
MIN_LINES_FOR_ERRORS = 40  # smaller bills are left clean so errors never swamp a bill
CNY_PER_USD = 7.1  # the rate behind a currency error: a USD amount labelled CNY, or the reverse
NOT_IN_CONTRACT = (("PEAK", "Peak season surcharge"), ("ADDRESS_CORRECTION", "Address correction"),
                   ("SIGNATURE", "Signature required"))

MONEY = ("base_cents", "fuel_cents", "remote_cents", "oversize_cents", "residential_cents", "other_cents")
LINE_COLUMNS: dict[str, pl.DataType] = {
    "waybill_no": pl.Utf8, "ship_date": pl.Date, "service": pl.Utf8, "zone": pl.Utf8,
    "dest_country": pl.Utf8, "dest_region": pl.Utf8, "billed_weight_tenths": pl.Int64,
    **dict.fromkeys(MONEY, pl.Int64), "other_code": pl.Utf8, "total_cents": pl.Int64,
}
_PLANT_COLUMNS: dict[str, pl.DataType] = {
    "_err": pl.Utf8, "_field": pl.Utf8, "_effect": pl.Int64, "_detail": pl.Utf8, "_dup": pl.Int8,
}


@dataclass
class PlantedLine:
    """A planted error as the bill writer must report it once line numbers are known."""

    type: str
    waybill_no: str
    ship_date: date
    field: str | None
    effect_cents: int  # billed - contract
    detail: str
    line_no: int | None = None  # 1-based ordinal in the bill; None for a line that is missing


@dataclass
class BillLines:
    lines: pl.DataFrame  # LINE_COLUMNS + line_no, ordered as written
    planted: list[PlantedLine] = field(default_factory=list)


def _total(row: dict) -> int:
    return sum(row[c] for c in MONEY)


def _reprice(row: dict, card: RateCard, steps: int, zone: str) -> None:
    row["base_cents"] = base_for_steps(card, row["service"], zone, steps)
    row["fuel_cents"] = fuel_cents(row["base_cents"], card.fuel_bp)
    row["billed_weight_tenths"] = steps * card.step_tenths


def _fake_waybill(real: str, rng: np.random.Generator) -> str:
    """A waybill no shaped like the carrier's own (same pattern) but never shipped.

    Its last six digits become 9 + five random digits: real numbers end in a per-day sequence far
    below 900,000, so a fake does not collide with parcels of later days either (checked anyway).
    """
    chars = list(real)
    digits = [i for i, ch in enumerate(chars) if ch.isdigit()][-6:]
    for n, i in enumerate(digits):
        chars[i] = "9" if n == 0 else str(int(rng.integers(0, 10)))
    return "".join(chars)


def _plant(kind: str, row: dict, card: RateCard, rng: np.random.Generator, currency: str) -> tuple[str, str]:
    """Change one line in place the way `kind` goes wrong; returns (field, detail)."""
    steps = row["billed_weight_tenths"] // card.step_tenths
    if kind == "overcharged_rate":
        factor = float(rng.uniform(1.08, 1.35))
        contract = row["base_cents"]
        row["base_cents"] = round(contract * factor)
        row["fuel_cents"] = fuel_cents(row["base_cents"], card.fuel_bp)
        return "base_charge", f"base {contract} -> {row['base_cents']} cents (x{factor:.3f})"
    if kind == "inflated_weight":
        extra = int(rng.integers(1, 5))
        _reprice(row, card, steps + extra, row["zone"])
        return "billed_weight", f"billed {extra} rounding step(s) above the billable weight"
    if kind == "wrong_zone":
        zones = sorted(card.services[row["service"]])
        others = [z for z in zones if z != row["zone"]
                  and base_for_steps(card, row["service"], z, steps) != row["base_cents"]]
        others = others or [z for z in zones if z != row["zone"]]  # same price: still the wrong zone
        wrong = others[int(rng.integers(0, len(others)))]
        detail = f"billed zone {wrong}, contract zone {row['zone']}"
        _reprice(row, card, steps, wrong)
        row["zone"] = wrong
        return "zone", detail
    if kind == "surcharge_not_in_contract":
        code, name = NOT_IN_CONTRACT[int(rng.integers(0, len(NOT_IN_CONTRACT)))]
        low, high = (300, 1500) if currency == "CNY" else (150, 650)
        row["other_cents"] = int(rng.integers(low, high))
        row["other_code"] = code
        return "other_surcharge", f"{name} ({code}) is not in the contract"
    if kind == "currency_error":
        factor = 1 / CNY_PER_USD if currency == "CNY" else CNY_PER_USD
        for column in MONEY:
            row[column] = round(row[column] * factor)
        label = "USD amount labelled CNY" if currency == "CNY" else f"CNY amount labelled {currency}"
        return "total", f"{label} (x{factor:.4f})"
    raise ValueError(kind)


def build_bill_lines(priced: pl.DataFrame, versions: list[RateCard], currency: str, rng: np.random.Generator,
                     known_waybills: pl.Series, *, error_rate: float = DEFAULT_LINE_ERROR_RATE) -> BillLines:
    """Bill lines for one carrier and period from its priced parcels (see rate_cards.price_shipments).

    known_waybills: the carrier's waybill nos shipped up to the issue date, which a never-shipped
    waybill must avoid (only those, so the bill does not depend on days after it was issued).
    """
    lines = priced.select(
        *[pl.col(c) for c in ("waybill_no", "ship_date", "service", "zone", "dest_country", "dest_region",
                              "billed_weight_tenths", "base_cents", "fuel_cents", "remote_cents",
                              "oversize_cents", "residential_cents")],
        pl.lit(0, pl.Int64).alias("other_cents"), pl.lit("").alias("other_code"),
        pl.col("total_cents"), pl.col("version"),
    ).sort("ship_date", "waybill_no")
    n = lines.height
    planted: list[PlantedLine] = []
    extra_rows: list[dict] = []
    taken = set(lines["waybill_no"].to_list()) if n >= MIN_LINES_FOR_ERRORS else set()
    touched: list[int] = []
    if n >= MIN_LINES_FOR_ERRORS:
        counts = [1 + int(rng.poisson(error_rate * n / 1000)) for _ in LINE_ERROR_TYPES]
        scale = min(1.0, (n // 4) / sum(counts))  # never touch more than a quarter of a bill
        counts = [max(1, int(c * scale)) for c in counts]
        victims = rng.permutation(n)[: sum(counts)].tolist()
        cursor = 0
        for kind, count in zip(LINE_ERROR_TYPES, counts, strict=True):
            for index in victims[cursor: cursor + count]:
                _plant_one(kind, lines.row(index, named=True), versions, rng, currency, taken,
                           planted, extra_rows)
                touched.append(index)
            cursor += count
    _avoid_shipped_waybills(known_waybills, planted, extra_rows, rng, taken)
    clean = lines.with_row_index("_i").filter(~pl.col("_i").is_in(touched)).drop("_i")
    clean = clean.with_columns(pl.lit(None, pl.Utf8).alias("_err"), pl.lit(None, pl.Utf8).alias("_field"),
                               pl.lit(0, pl.Int64).alias("_effect"), pl.lit(None, pl.Utf8).alias("_detail"),
                               pl.lit(0, pl.Int8).alias("_dup"))
    schema = {**LINE_COLUMNS, "version": pl.Int64, **_PLANT_COLUMNS}
    extra = pl.DataFrame(extra_rows, schema=schema) if extra_rows else pl.DataFrame(schema=schema)
    full = pl.concat([clean.select([pl.col(c).cast(t) for c, t in schema.items()]), extra]).sort(
        "service", "ship_date", "waybill_no", "_dup").with_row_index("line_no", offset=1)
    full = full.with_columns(pl.col("line_no").cast(pl.Int64))
    where = {(w, e): n for w, e, n in full.filter(pl.col("_err").is_not_null())
             .select("waybill_no", "_err", "line_no").iter_rows()}
    for item in planted:
        if item.type != "shipped_not_billed":
            item.line_no = int(where[(item.waybill_no, item.type)])
    return BillLines(full.drop("version", *_PLANT_COLUMNS), planted)


def _avoid_shipped_waybills(known: pl.Series, planted: list[PlantedLine], extra_rows: list[dict],
                            rng: np.random.Generator, taken: set[str]) -> None:
    """Re-draw any never-shipped waybill that happens to be a real one (one vectorised check per bill)."""
    ghosts = [p for p in planted if p.type == "billed_not_shipped"]
    while ghosts:
        clashes = set(known.filter(known.is_in([g.waybill_no for g in ghosts])).to_list())
        ghosts = [g for g in ghosts if g.waybill_no in clashes]
        for ghost in ghosts:
            row = next(r for r in extra_rows if r["waybill_no"] == ghost.waybill_no and r["_err"] == ghost.type)
            fake = _fake_waybill(ghost.waybill_no, rng)
            while fake in taken:
                fake = _fake_waybill(ghost.waybill_no, rng)
            taken.add(fake)
            row["waybill_no"] = ghost.waybill_no = fake


def _plant_one(kind: str, row: dict, versions: list[RateCard], rng: np.random.Generator, currency: str,
               taken: set[str], planted: list[PlantedLine], extra_rows: list[dict]) -> None:
    card = versions[row["version"]]
    contract_total = row["total_cents"]
    base = {**row, "_err": None, "_field": None, "_effect": 0, "_detail": None, "_dup": 0}
    if kind == "shipped_not_billed":
        planted.append(PlantedLine(kind, row["waybill_no"], row["ship_date"], None, -contract_total,
                                   "shipped parcel missing from its period's bill"))
        return
    if kind == "duplicate_bill_line":
        extra_rows.append(base)  # the original stays clean
        copy = {**base, "_err": kind, "_field": "waybill_no", "_effect": contract_total,
                "_detail": "same parcel billed twice", "_dup": 1}
        extra_rows.append(copy)
        planted.append(PlantedLine(kind, row["waybill_no"], row["ship_date"], "waybill_no", contract_total,
                                   "same parcel billed twice"))
        return
    if kind == "billed_not_shipped":
        extra_rows.append(base)
        fake = _fake_waybill(row["waybill_no"], rng)
        while fake in taken:
            fake = _fake_waybill(row["waybill_no"], rng)
        taken.add(fake)
        ghost = {**base, "waybill_no": fake, "_err": kind, "_field": "waybill_no", "_effect": contract_total,
                 "_detail": "waybill never shipped"}
        extra_rows.append(ghost)
        planted.append(PlantedLine(kind, fake, row["ship_date"], "waybill_no", contract_total,
                                   "waybill never shipped"))
        return
    changed = dict(base)
    field_name, detail = _plant(kind, changed, card, rng, currency)
    changed["total_cents"] = _total(changed)
    effect = changed["total_cents"] - contract_total
    changed.update({"_err": kind, "_field": field_name, "_effect": effect, "_detail": detail})
    extra_rows.append(changed)
    planted.append(PlantedLine(kind, row["waybill_no"], row["ship_date"], field_name, effect, detail))

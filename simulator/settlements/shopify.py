"""Shopify Payments payouts and balance transactions, as the Admin REST API returns them.

Two files per payout date, each one API response body: `GET shopify_payments/payouts.json`
({"payouts": [...]}) and `GET shopify_payments/balance/transactions.json?payout_id=...`
({"transactions": [...]}, all payouts of the day). Money is a string with two decimals, ids are
integers, processed_at is ISO 8601 with the shop's UTC offset. A charge's fee is the contracted
commission and its net is amount - fee; refunds carry no fee (Shopify keeps the original fee);
adjustments (chargeback fees and the like) belong to no order; the payout itself closes the list.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from simulator.catalog import CHANNELS, by_id
from simulator.settlements.money import cents_text, format_cents
from simulator.settlements.output import WriterResult, relative, settlement_folder

STREAM_SHOPIFY = 3_721
ADJUSTMENT_PROBABILITY = 0.2
TRANSACTION_FIELDS = (
    "id", "type", "test", "payout_id", "payout_status", "currency", "amount", "fee", "net", "source_id",
    "source_type", "source_order_id", "source_order_transaction_id", "processed_at",
)
SUMMARY_FIELDS = (
    "adjustments_fee_amount", "adjustments_gross_amount", "charges_fee_amount", "charges_gross_amount",
    "refunds_fee_amount", "refunds_gross_amount", "reserved_funds_fee_amount", "reserved_funds_gross_amount",
    "retried_payouts_fee_amount", "retried_payouts_gross_amount",
)


def payout_id(day: date, currency: str) -> int:
    """A stable payout id: one payout per currency and day (the code's bytes mod 1000 differ for
    CNY, EUR, GBP and USD)."""
    return 60_000_000_000 + day.toordinal() * 1_000 + int.from_bytes(currency.encode("ascii"), "big") % 1_000


# The orders file (simulator.order_files.shopify_json) gives each order name "#1001" the Admin API id
# BASE + 1001 * STEP; balance transactions must carry that same id (a test checks the two files agree).
SHOPIFY_ORDER_ID_BASE = 5_500_000_000_000
SHOPIFY_ORDER_ID_STEP = 97


def order_id_style(order_nos: pl.Series) -> str:
    """How order numbers map to source_order_id: "name" (#1001), "numeric" (already an id) or "text"."""
    if order_nos.str.contains(r"^#\d{1,12}$").all():
        return "name"
    if order_nos.str.contains(r"^\d{1,18}$").all():
        return "numeric"
    return "text"


def source_order_id(order_no: pl.Expr, style: str) -> pl.Expr:
    """Shopify's source_order_id is the order's numeric Admin API id, not its name."""
    if style == "name":
        return pl.lit(SHOPIFY_ORDER_ID_BASE, pl.Int64) + order_no.str.slice(1).cast(pl.Int64) * SHOPIFY_ORDER_ID_STEP
    if style == "numeric":
        return order_no.cast(pl.Int64)
    return order_no


def _payout_transactions(day: date, currency: str, charges: pl.DataFrame, refunds: pl.DataFrame,
                         rng: np.random.Generator, timezone: str) -> pl.DataFrame:
    """The balance transactions of one payout, in processing order, money still in cents."""
    pid = payout_id(day, currency)
    charges = charges.sort("order_no")  # draws are assigned in order-number order, not arrival order
    refunds = refunds.sort("order_no")
    local_midnight = pl.lit(day).cast(pl.Datetime("us")).dt.replace_time_zone(timezone)
    charge_rows = charges.select(
        pl.lit("charge").alias("type"), pl.col("order_no"), pl.lit(0, pl.Int32).alias("line_no"),
        pl.lit("principal").alias("component"),
        (pl.col("paid_gross_cents") - pl.col("discount_cents")).alias("amount_cents"),
        pl.col("charged_commission_cents").alias("fee_cents"),
        pl.col("order_ts").dt.convert_time_zone(timezone).alias("processed"),
    )
    refund_seconds = rng.integers(8 * 3_600, 22 * 3_600, refunds.height)
    refund_rows = refunds.select(
        pl.lit("refund").alias("type"), pl.col("order_no"), pl.lit(0, pl.Int32).alias("line_no"),
        pl.lit("refund").alias("component"), (-pl.col("refund_cents")).alias("amount_cents"),
        pl.lit(0, pl.Int64).alias("fee_cents"),
        (pl.col("refund_date").cast(pl.Datetime("us")).dt.replace_time_zone(timezone)
         + pl.duration(seconds=pl.Series(refund_seconds, dtype=pl.Int64))).alias("processed"),
    )
    has_adjustment = bool(rng.random() < ADJUSTMENT_PROBABILITY)
    adjustment_cents = -int(rng.integers(5, 26)) * 100
    parts = [charge_rows, refund_rows]
    if has_adjustment:
        parts.append(pl.DataFrame({"type": ["adjustment"], "order_no": [None], "line_no": [0],
                                   "component": ["adjustment"], "amount_cents": [adjustment_cents],
                                   "fee_cents": [0]}).select(
            pl.col("type"), pl.col("order_no").cast(pl.Utf8), pl.col("line_no").cast(pl.Int32), pl.col("component"),
            pl.col("amount_cents").cast(pl.Int64), pl.col("fee_cents").cast(pl.Int64),
            (local_midnight - pl.duration(hours=3)).alias("processed"),
        ))
    rows = pl.concat(parts).sort(["processed", "type", "order_no"], nulls_last=True)
    net = int((rows["amount_cents"] - rows["fee_cents"]).sum()) if rows.height else 0
    payout_row = pl.DataFrame({"type": ["payout"], "order_no": [None], "line_no": [0], "component": ["payout"],
                               "amount_cents": [-net], "fee_cents": [0]}).select(
        pl.col("type"), pl.col("order_no").cast(pl.Utf8), pl.col("line_no").cast(pl.Int32), pl.col("component"),
        pl.col("amount_cents").cast(pl.Int64), pl.col("fee_cents").cast(pl.Int64),
        (local_midnight + pl.duration(hours=6)).alias("processed"),
    )
    return pl.concat([rows, payout_row]).with_columns(payout_id=pl.lit(pid, pl.Int64), currency=pl.lit(currency))


def _summary(transactions: pl.DataFrame) -> dict[str, str]:
    def total(kind: str, column: str) -> str:
        return cents_text(int(transactions.filter(pl.col("type") == kind)[column].sum()))

    values = {
        "adjustments_fee_amount": total("adjustment", "fee_cents"),
        "adjustments_gross_amount": total("adjustment", "amount_cents"),
        "charges_fee_amount": total("charge", "fee_cents"),
        "charges_gross_amount": total("charge", "amount_cents"),
        "refunds_fee_amount": total("refund", "fee_cents"),
        "refunds_gross_amount": total("refund", "amount_cents"),
        "reserved_funds_fee_amount": "0.00",
        "reserved_funds_gross_amount": "0.00",
        "retried_payouts_fee_amount": "0.00",
        "retried_payouts_gross_amount": "0.00",
    }
    return {k: values[k] for k in SUMMARY_FIELDS}


def write_shopify(groups: pl.DataFrame, charges: pl.DataFrame, refunds: pl.DataFrame, *, seed: int,
                  out: Path, watch: pl.DataFrame) -> WriterResult:
    """Per payout date: one payouts file and one balance-transactions file (groups: channel, currency, date)."""
    result = WriterResult(watch)
    style = order_id_style(pl.concat([charges["order_no"], refunds["order_no"]]))
    charge_parts = charges.partition_by(["channel", "currency", "settle_date"], as_dict=True)
    refund_parts = refunds.partition_by(["channel", "currency", "settle_date"], as_dict=True)
    for day, day_groups in sorted(groups.partition_by("settle_date", as_dict=True).items()):
        day = day[0]
        rng = np.random.default_rng([seed, STREAM_SHOPIFY, day.toordinal()])
        payouts, transactions = [], []
        for channel, currency in day_groups.select("channel", "currency").sort("channel", "currency").iter_rows():
            timezone = by_id(CHANNELS, channel).timezone
            key = (channel, currency, day)
            rows = _payout_transactions(day, currency, charge_parts.get(key, charges.clear()),
                                        refund_parts.get(key, refunds.clear()), rng, timezone)
            transactions.append(rows.with_columns(channel=pl.lit(channel)))
            payouts.append({
                "id": payout_id(day, currency), "status": "paid", "date": day.isoformat(), "currency": currency,
                "amount": cents_text(-int(rows.filter(pl.col("type") == "payout")["amount_cents"].sum())),
                "summary": _summary(rows),
            })
        frame = pl.concat(transactions).with_row_index("index")
        # Room for three id ranges of up to 3 million transactions a day, unique across days.
        base = 10**13 + day.toordinal() * 10**7
        body = frame.select(
            (pl.lit(base, pl.Int64) + pl.col("index").cast(pl.Int64)).alias("id"),
            pl.col("type"),
            pl.lit(False).alias("test"),
            pl.col("payout_id"),
            pl.lit("paid").alias("payout_status"),
            pl.col("currency"),
            format_cents(pl.col("amount_cents")).alias("amount"),
            format_cents(pl.col("fee_cents")).alias("fee"),
            format_cents(pl.col("amount_cents") - pl.col("fee_cents")).alias("net"),
            pl.when(pl.col("type") == "payout").then(pl.col("payout_id"))
            .otherwise(pl.lit(base + 3 * 10**6, pl.Int64) + pl.col("index").cast(pl.Int64)).alias("source_id"),
            pl.col("type").alias("source_type"),
            source_order_id(pl.col("order_no"), style).alias("source_order_id"),
            pl.when(pl.col("order_no").is_not_null())
            .then(pl.lit(base + 6 * 10**6, pl.Int64) + pl.col("index").cast(pl.Int64))
            .otherwise(pl.lit(None, pl.Int64)).alias("source_order_transaction_id"),
            pl.col("processed").dt.strftime("%Y-%m-%dT%H:%M:%S%:z").alias("processed_at"),
        ).select(TRANSACTION_FIELDS)
        folder = settlement_folder(out, day)
        payouts_path = folder / f"shopify_payouts_{day.isoformat()}.json"
        transactions_path = folder / f"shopify_balance_transactions_{day.isoformat()}.json"
        payouts_path.write_text(json.dumps({"payouts": payouts}, ensure_ascii=False) + "\n", encoding="utf-8")
        transactions_path.write_text('{"transactions":' + body.write_json() + "}\n", encoding="utf-8")
        file = relative(out, transactions_path)
        result.add("settlements/shopify_payouts", len(payouts))
        result.add("settlements/shopify_transactions", body.height)
        result.files.append(day_groups.select("channel", "currency", "settle_date", pl.lit(file).alias("file")))
        result.locate(frame.filter(pl.col("order_no").is_not_null()).select(
            "channel", "currency", pl.lit(day).alias("settle_date"),
            pl.when(pl.col("type") == "charge").then(pl.lit("charge")).otherwise(pl.lit("refund")).alias("kind"),
            "order_no", "line_no", "component", pl.lit(file).alias("file"), pl.lit("amount").alias("field"),
            (pl.col("index").cast(pl.Int64) + 1).alias("row"),
        ))
        # The commission of a charge lives in the same row's fee field.
        result.locate(frame.filter(pl.col("type") == "charge").select(
            "channel", "currency", pl.lit(day).alias("settle_date"), pl.lit("charge").alias("kind"),
            "order_no", "line_no", pl.lit("commission").alias("component"), pl.lit(file).alias("file"),
            pl.lit("fee").alias("field"), (pl.col("index").cast(pl.Int64) + 1).alias("row"),
        ))
    return result

"""Amazon settlement report, V2 flat file (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2).

Tab-separated with Amazon's column names. As in the real report, the first data row carries only the
settlement header (id, period, deposit date, total amount, currency) and every later row is one
amount of one order item: ItemPrice/Principal, Promotion/Principal, ItemFees/Commission and
ItemFees/FBAPerUnitFulfillmentFee for an Order, ItemPrice/Principal (negative) for a Refund.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from simulator.settlements.money import cents_text, format_cents
from simulator.settlements.output import WriterResult, relative, settlement_folder
from simulator.settlements.terms import AMAZON_DEPOSIT_LAG_DAYS, AMAZON_PERIOD_DAYS

COLUMNS = (
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
    "currency", "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id",
    "marketplace-name", "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date",
    "posted-date-time", "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku",
    "quantity-purchased", "promotion-id",
)
STREAM_AMAZON = 3_711
MARKETPLACES = {"USD": "Amazon.com", "CAD": "Amazon.ca", "GBP": "Amazon.co.uk", "EUR": "Amazon.de"}
_ALNUM = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", dtype="S1")

# (component, amount-type, amount-description): the order of an item's rows in the report.
ORDER_COMPONENTS = (
    ("principal", "ItemPrice", "Principal"),
    ("promotion", "Promotion", "Principal"),
    ("commission", "ItemFees", "Commission"),
    ("fulfilment_fee", "ItemFees", "FBAPerUnitFulfillmentFee"),
)


def _timestamp(day: date) -> str:
    return f"{day.isoformat()} 00:00:00 UTC"


def _random_ids(rng: np.random.Generator, n: int, length: int) -> list[str]:
    """Amazon-looking alphanumeric shipment ids, drawn in one numpy call."""
    picks = _ALNUM[rng.integers(0, len(_ALNUM), size=(n, length))]
    return picks.view(f"S{length}").ravel().astype(str).tolist() if n else []


def _order_item_code(order_no: pl.Expr, line_no: pl.Expr) -> pl.Expr:
    """A stable 14-digit order-item-code, the same on the Order and on its later Refund rows."""
    digits = order_no.str.replace_all("-", "", literal=True).str.slice(-11).cast(pl.Int64, strict=False).fill_null(0)
    return (pl.lit(10**13, pl.Int64) + (digits * 100 + line_no.cast(pl.Int64)) % (9 * 10**13)).cast(pl.Utf8)


def _order_rows(charges: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Four rows per charged item (promotion only when discounted), order-level values drawn per order."""
    orders = charges.select("order_no").unique(maintain_order=True)
    orders = orders.with_columns(
        second=pl.Series(rng.integers(0, 86_400, orders.height), dtype=pl.Int64),
        shipment_id=pl.Series(_random_ids(rng, orders.height, 9), dtype=pl.Utf8),
    )
    items = charges.join(orders, on="order_no", how="left", maintain_order="left")
    amounts = {
        "principal": pl.col("paid_gross_cents"),
        "promotion": -pl.col("discount_cents"),
        "commission": -pl.col("charged_commission_cents"),
        "fulfilment_fee": -pl.col("fba_fee_cents"),
    }
    parts = []
    for index, (component, amount_type, description) in enumerate(ORDER_COMPONENTS):
        part = items.with_columns(
            component=pl.lit(component), comp_idx=pl.lit(index), amount_type=pl.lit(amount_type),
            amount_description=pl.lit(description), amount_cents=amounts[component],
            promotion_id=pl.when(pl.lit(component == "promotion"))
            .then(pl.concat_str([pl.lit("PLM-"), pl.col("order_date").dt.strftime("%Y%m%d")]))
            .otherwise(pl.lit("")),
        )
        if component == "promotion":
            part = part.filter(pl.col("discount_cents") > 0)
        parts.append(part)
    return pl.concat(parts, how="diagonal_relaxed").with_columns(
        transaction_type=pl.lit("Order"), adjustment_id=pl.lit(""), quantity=pl.col("qty").cast(pl.Utf8),
        fulfillment_id=pl.lit("AFN"),
    )


def _refund_rows(refunds: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    orders = refunds.select("order_no").unique(maintain_order=True)
    orders = orders.with_columns(
        second=pl.Series(rng.integers(0, 86_400, orders.height), dtype=pl.Int64),
        adjustment_id=pl.Series(rng.integers(10**13, 10**14, orders.height), dtype=pl.Int64).cast(pl.Utf8),
    )
    return refunds.join(orders, on="order_no", how="left", maintain_order="left").with_columns(
        component=pl.lit("refund"), comp_idx=pl.lit(0), amount_type=pl.lit("ItemPrice"),
        amount_description=pl.lit("Principal"), amount_cents=-pl.col("refund_cents"), promotion_id=pl.lit(""),
        transaction_type=pl.lit("Refund"), shipment_id=pl.lit(""), quantity=pl.lit(""), fulfillment_id=pl.lit("AFN"),
    )


def _write_one(out: Path, day: date, currency: str, charges: pl.DataFrame, refunds: pl.DataFrame,
               seed: int) -> tuple[str, int, pl.DataFrame]:
    rng = np.random.default_rng([seed, STREAM_AMAZON, int.from_bytes(currency.encode(), "big"), day.toordinal()])
    # Items arrive in no particular order; random draws are assigned in order-number order.
    charges = charges.sort("order_no", "line_no")
    refunds = refunds.sort("order_no", "line_no")
    settlement_id = str(int(rng.integers(10**10, 10**11)))
    rows = pl.concat([_order_rows(charges, rng), _refund_rows(refunds, rng)], how="diagonal_relaxed")
    rows = rows.with_columns(
        posted_dt=pl.col("post_date").cast(pl.Datetime("us")) + pl.duration(seconds=pl.col("second")),
        kind_idx=pl.when(pl.col("transaction_type") == "Order").then(0).otherwise(1),
    ).sort(["posted_dt", "order_no", "kind_idx", "line_no", "comp_idx"])
    total = int(rows["amount_cents"].sum()) if rows.height else 0
    body = rows.select(
        pl.lit(settlement_id).alias("settlement-id"),
        *[pl.lit("").alias(c) for c in COLUMNS[1:6]],
        pl.col("transaction_type").alias("transaction-type"),
        pl.col("order_no").alias("order-id"),
        pl.lit("").alias("merchant-order-id"),
        pl.col("adjustment_id").alias("adjustment-id"),
        pl.col("shipment_id").alias("shipment-id"),
        pl.lit(MARKETPLACES.get(currency, "Amazon.com")).alias("marketplace-name"),
        pl.col("amount_type").alias("amount-type"),
        pl.col("amount_description").alias("amount-description"),
        format_cents(pl.col("amount_cents")).alias("amount"),
        pl.col("fulfillment_id").alias("fulfillment-id"),
        pl.col("posted_dt").dt.strftime("%Y-%m-%d").alias("posted-date"),
        pl.col("posted_dt").dt.strftime("%Y-%m-%d %H:%M:%S UTC").alias("posted-date-time"),
        _order_item_code(pl.col("order_no"), pl.col("line_no")).alias("order-item-code"),
        pl.lit("").alias("merchant-order-item-id"),
        pl.lit("").alias("merchant-adjustment-item-id"),
        pl.col("sku"),
        pl.col("quantity").alias("quantity-purchased"),
        pl.col("promotion_id").alias("promotion-id"),
    )
    period_start = day - timedelta(days=AMAZON_PERIOD_DAYS)
    summary = [settlement_id, _timestamp(period_start), _timestamp(day),
               _timestamp(day + timedelta(days=AMAZON_DEPOSIT_LAG_DAYS)), cents_text(total), currency]
    summary += [""] * (len(COLUMNS) - len(summary))
    path = settlement_folder(out, day) / f"amazon_settlement_{settlement_id}.txt"
    text = "\t".join(COLUMNS) + "\n" + "\t".join(summary) + "\n"
    if body.height:
        text += body.write_csv(separator="\t", include_header=False, quote_style="never", line_terminator="\n")
    path.write_text(text, encoding="utf-8", newline="")
    file = relative(out, path)
    # Data row 1 is the settlement summary, so the first amount row is data row 2.
    locations = rows.with_row_index("row", offset=2).select(
        "channel", "currency", "settle_date", "kind", "order_no", "line_no", "component",
        pl.lit(file).alias("file"), pl.lit("amount").alias("field"), pl.col("row").cast(pl.Int64),
    )
    return file, body.height + 1, locations


def write_amazon(groups: pl.DataFrame, charges: pl.DataFrame, refunds: pl.DataFrame, *, seed: int,
                 out: Path, watch: pl.DataFrame) -> WriterResult:
    """One report per settlement period and currency (groups: channel, currency, settle_date)."""
    result = WriterResult(watch)
    charge_parts = charges.partition_by(["currency", "settle_date"], as_dict=True)
    refund_parts = refunds.partition_by(["currency", "settle_date"], as_dict=True)
    for channel, currency, day in groups.select("channel", "currency", "settle_date").iter_rows():
        key = (currency, day)
        file, n_rows, locations = _write_one(
            out, day, currency, charge_parts.get(key, charges.clear()), refund_parts.get(key, refunds.clear()),
            seed,
        )
        result.add("settlements/amazon_v2", n_rows)
        result.files.append(pl.DataFrame({"channel": [channel], "currency": [currency], "settle_date": [day],
                                          "file": [file]}))
        result.locate(locations)
    return result

"""What each marketplace owes the seller: charge and refund items, with contracted fees, by settlement.

One row per settled item. Amazon settles per order line (its report has one block per order item and
charges referral fees per item); Shopify and Alipay settle per order. Every item carries the date of
the settlement that pays it and the contracted amounts, so planting an error is a change to one
column and writing a file is a projection.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from simulator.catalog import CHANNELS
from simulator.frames import ORDER_LINES
from simulator.settlements.money import commission_cents, rate_basis_points, to_cents
from simulator.settlements.terms import fba_fee_per_unit_cents, refund_posting_date, settlement_date

LINE_LEVEL_FORMATS = ("amazon_v2",)
SETTLED = tuple(c.id for c in CHANNELS if c.settlement_format)
USED_COLUMNS = ("order_no", "channel", "order_ts", "order_date", "line_no", "sku", "qty", "unit_price", "discount",
                "currency", "delivered_date", "refund_amount", "refund_date")


def _terms(column: str) -> dict[str, object]:
    """One contract term of every settled channel, keyed by channel id (for replace_strict)."""
    values = {
        "channel_idx": {c.id: i for i, c in enumerate(CHANNELS)},
        "fmt": {c.id: c.settlement_format for c in CHANNELS},
        "lag_days": {c.id: c.settlement_lag_days for c in CHANNELS},
        "rate_bp": {c.id: rate_basis_points(c.commission_rate) for c in CHANNELS},
    }[column]
    return {k: v for k, v in values.items() if k in SETTLED}


def _by_format(day: pl.Expr) -> pl.Expr:
    """Settlement date of `day` for each row's channel format (a when/then chain over formats)."""
    formats = sorted({c.settlement_format for c in CHANNELS if c.settlement_format})
    expr: pl.Expr = pl.lit(None, pl.Date)
    for fmt in formats:
        expr = pl.when(pl.col("fmt") == fmt).then(settlement_date(fmt, day)).otherwise(expr)
    return expr


def settled_lines(orders: pl.DataFrame) -> pl.LazyFrame:
    """Delivered order lines of settled channels with their due date and money in cents.

    Only delivery creates a claim on the marketplace (cancelled or undelivered orders are never
    paid), and the order's status is deliberately not used: it reflects the end of the horizon,
    while a settlement must depend only on what had happened by its own date.
    """
    missing = [c for c in ORDER_LINES if c not in orders.columns]
    if missing:
        raise ValueError(f"order lines lack columns {missing}")
    # Only the columns settlements use, lazily: copying addresses and statuses of millions of lines
    # would cost more than everything else here.
    lines = orders.lazy().select([pl.col(c).cast(ORDER_LINES[c]) for c in USED_COLUMNS])
    return (
        lines.filter(pl.col("channel").is_in(SETTLED) & pl.col("delivered_date").is_not_null())
        .with_columns(
            channel_idx=pl.col("channel").replace_strict(_terms("channel_idx"), return_dtype=pl.Int64),
            fmt=pl.col("channel").replace_strict(_terms("fmt"), return_dtype=pl.Utf8),
            lag_days=pl.col("channel").replace_strict(_terms("lag_days"), return_dtype=pl.Int64),
            rate_bp=pl.col("channel").replace_strict(_terms("rate_bp"), return_dtype=pl.Int64),
            gross_cents=to_cents(pl.col("unit_price")) * pl.col("qty").cast(pl.Int64),
            discount_cents=to_cents(pl.col("discount")),
            refund_cents=to_cents(pl.col("refund_amount").fill_null(0.0)),
        )
        .with_columns(
            amount_cents=pl.col("gross_cents") - pl.col("discount_cents"),
            due_date=pl.col("delivered_date") + pl.duration(days=pl.col("lag_days")),
        )
    )


ORDER_KEYS = ["channel", "channel_idx", "fmt", "rate_bp", "currency", "settle_date", "kind", "order_no"]


def charge_items(lines: pl.LazyFrame) -> pl.LazyFrame:
    """Sale items: per line for Amazon, per order elsewhere, with contracted commission and fees."""
    lines = lines.with_columns(settle_date=_by_format(pl.col("due_date")), kind=pl.lit("charge"))
    per_line = lines.filter(pl.col("fmt").is_in(LINE_LEVEL_FORMATS)).with_columns(
        pl.col("qty").cast(pl.Int64),
        fba_fee_cents=fba_fee_per_unit_cents(pl.col("unit_price")) * pl.col("qty").cast(pl.Int64),
        n_lines=pl.lit(1, pl.UInt32),
    )
    # Group order is irrelevant (writers sort explicitly); "first" values are by line number.
    per_order = (
        lines.filter(~pl.col("fmt").is_in(LINE_LEVEL_FORMATS))
        .group_by(ORDER_KEYS)
        .agg(
            pl.col("due_date").min(),
            pl.col("order_ts").min(),
            pl.col("order_date").min(),
            pl.col("sku").sort_by("line_no").first(),
            pl.col("unit_price").sort_by("line_no").first(),
            pl.col("qty").cast(pl.Int64).sum(),
            pl.len().alias("n_lines"),
            pl.col("gross_cents").sum(),
            pl.col("discount_cents").sum(),
            pl.col("amount_cents").sum(),
        )
        .with_columns(line_no=pl.lit(0, pl.Int32), fba_fee_cents=pl.lit(0, pl.Int64))
    )
    columns = [*ORDER_KEYS, "line_no", "due_date", "order_ts", "order_date", "sku", "qty", "n_lines",
               "unit_price", "gross_cents", "discount_cents", "amount_cents", "fba_fee_cents"]
    items = pl.concat([per_line.select(columns), per_order.select(columns)])
    return items.with_columns(
        post_date=pl.col("due_date"),
        commission_cents=commission_cents(pl.col("amount_cents"), pl.col("rate_bp")),
        refund_date=pl.lit(None, pl.Date),
    )


def refund_items(lines: pl.LazyFrame) -> pl.LazyFrame:
    """Refund items (per line for Amazon, per order and settlement elsewhere), netted after the refund."""
    refunded = lines.filter((pl.col("refund_cents") > 0) & pl.col("refund_date").is_not_null()).with_columns(
        post_date=refund_posting_date(pl.col("refund_date"), pl.col("due_date")),
    ).with_columns(settle_date=_by_format(pl.col("post_date")), kind=pl.lit("refund"))
    per_line = refunded.filter(pl.col("fmt").is_in(LINE_LEVEL_FORMATS))
    per_order = (
        refunded.filter(~pl.col("fmt").is_in(LINE_LEVEL_FORMATS))
        .group_by(ORDER_KEYS)
        .agg(
            pl.col("post_date").max(),
            pl.col("refund_date").max(),
            pl.col("due_date").min(),
            pl.col("order_ts").min(),
            pl.col("order_date").min(),
            pl.col("sku").sort_by("line_no").first(),
            pl.col("refund_cents").sum(),
        )
        .with_columns(line_no=pl.lit(0, pl.Int32))
    )
    columns = [*ORDER_KEYS, "line_no", "due_date", "post_date", "refund_date", "order_ts", "order_date", "sku",
               "refund_cents"]
    return pl.concat([per_line.select(columns), per_order.select(columns)])


def settlement_items(orders: pl.DataFrame, *, start: date, end: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Charge and refund items whose settlement is dated inside [start, end), in no particular order.

    Money falling due on or after `end` is simply not settled yet: it is not an error, and it will be
    settled by a longer run without changing any earlier file.
    """
    lines = settled_lines(orders).cache()
    in_horizon = pl.col("settle_date").is_between(pl.lit(start), pl.lit(end), closed="left")
    charges, refunds = pl.collect_all([charge_items(lines).filter(in_horizon), refund_items(lines).filter(in_horizon)])
    return charges, refunds

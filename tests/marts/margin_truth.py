"""What the simulator knows about revenue, refunds and channel fees: its own order lines and settled items.

`simulator.truth` recomputes, from the run's stored `_manifest/params.json`, the ground truth the
landing files were written from (the simulator is deterministic): every line's quantity, price,
discount, status and refunded amount before any file format touched them, and the settlement items as
each marketplace actually paid them (planted errors included). Nothing here reads the warehouse or the
dbt SQL, and nothing reaches into the simulator's private steps.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

TRUNCATED_OR_MALFORMED = ("malformed_row", "truncated_file")


def order_lines(landing: Path) -> pl.DataFrame:
    """The simulator's order lines as of the horizon's end (frames.ORDER_LINES), cancelled included."""
    from simulator import truth

    return truth.order_lines(landing)


def settled_fees(landing: Path, lines: pl.DataFrame) -> pl.DataFrame:
    """Per settled sale item: channel, order_no, currency, settle_date and fee_cents (charged commission
    + fulfilment fee, positive = cost), as the settlements dated inside the horizon deducted them."""
    from simulator import truth

    settled, _ = truth.settled_items(landing, lines)
    return settled.select(
        "channel", "order_no", "currency", "settle_date",
        (pl.col("charged_commission_cents") + pl.col("fba_fee_cents")).alias("fee_cents"),
    )


def fx_rates(landing: Path) -> pl.DataFrame:
    """(rate_date, currency, rate): the published rates to CNY as the fx files state them (4 places)."""
    files = sorted((landing / "fx_rates").glob("*/*.csv"))
    fx = pl.concat([pl.read_csv(f, infer_schema_length=0) for f in files])
    return fx.filter(pl.col("quote_currency") == "CNY").select(
        pl.col("rate_date").str.to_date(), pl.col("base_currency").alias("currency"), pl.col("rate").cast(pl.Float64))


def excluded_orders(landing: Path) -> pl.DataFrame:
    """(channel, order_no) of orders a planted malformed row or truncated file keeps partly out of the
    warehouse: the loader quarantines those rows by design, so their lines cannot be compared."""
    manifest = pl.read_parquet(landing / "_manifest" / "anomalies.parquet")
    return (manifest.filter(pl.col("type").is_in(TRUNCATED_OR_MALFORMED))
            .select("channel", "order_no").drop_nulls().unique())


def at_rate(frame: pl.DataFrame, rates: pl.DataFrame, day: str, amount: str, out: str) -> pl.DataFrame:
    """Adds `out` = `amount` at the latest rate on or before `day` (CNY is 1)."""
    joined = frame.sort(day).join_asof(rates.sort("rate_date"), left_on=day, right_on="rate_date",
                                       by="currency", strategy="backward", check_sortedness=False)
    rate = pl.when(pl.col("currency") == "CNY").then(1.0).otherwise(pl.col("rate"))
    return joined.with_columns((pl.col(amount) * rate).alias(out)).drop("rate", "rate_date")


# channels whose order export states no refund amount: the settlement's deducted refund stands in
NO_EXPORTED_REFUND = ("amazon",)
# channels whose export states the refund per line (the others state it per order, or not at all)
LINE_REFUND_CHANNELS = ("tmall", "jd", "douyin", "pos")


def expected_refunds(landing: Path, lines: pl.DataFrame) -> pl.DataFrame:
    """Per order line the margin mart holds (not cancelled): the refund it must show in cents of the order
    currency and its basis, from the simulator's own lines and settlements.

    The channel's order record is the refund of record, so every refunded line shows the simulator's
    refunded amount, except where the export states no amount (Amazon): a return refunds the whole line
    (basis `return`), a partial refund is known once a settlement deducted it (`settlement`, the
    simulator's settled refund, planted refunds-not-deducted absent) and `pending` (0) until then.
    Also `returned`: the line's goods came back to stock."""
    from simulator import truth

    _, settled = truth.settled_items(landing, lines)
    deducted = settled.select("channel", "order_no").unique().with_columns(pl.lit(True).alias("deducted"))
    frame = (lines.filter(pl.col("status") != "cancelled")
             .join(deducted, on=["channel", "order_no"], how="left")
             .with_columns(pl.col("deducted").fill_null(False),
                           (pl.col("refund_amount") * 100).round(0).cast(pl.Int64).alias("truth_cents")))
    no_export = pl.col("channel").is_in(NO_EXPORTED_REFUND)
    refunded = pl.col("truth_cents") > 0
    basis = (pl.when(~refunded).then(pl.lit("none"))
             .when(~no_export).then(pl.lit("order_export"))
             .when(pl.col("status") == "returned").then(pl.lit("return"))
             .when(pl.col("deducted")).then(pl.lit("settlement"))
             .otherwise(pl.lit("pending")))
    return frame.with_columns(basis.alias("basis")).select(
        "channel", "order_no", "line_no", "sku", "order_date", "currency", "qty", "status", "basis",
        (pl.col("status") == "returned").alias("returned"),
        pl.when(basis == "pending").then(0).otherwise(pl.col("truth_cents")).alias("refund_cents"),
    )


MARGIN_REFUND_SQL = """
    select channel, order_id as order_no, line_no, sku, order_date, currency, quantity, refund_basis,
           toFloat64(revenue) as revenue, toFloat64(refund) as refund, toFloat64(refund_base) as refund_base,
           toFloat64(revenue_base) as revenue_base, toFloat64(net_revenue_base) as net_revenue_base,
           returned_quantity, toFloat64(cogs_base) as cogs_base, toFloat64(cogs_reversal_base) as cogs_reversal_base
    from marts.fct_order_margin"""


def refunds_side_by_side(landing: Path, lines: pl.DataFrame, margin: pl.DataFrame) -> pl.DataFrame:
    """expected_refunds next to the mart's lines (MARGIN_REFUND_SQL), one row per line of either side, the
    orders a planted bad row keeps partly out of the warehouse left out; mart cents in `mart_cents`."""
    expected = expected_refunds(landing, lines)
    got = margin.with_columns((pl.col("refund") * 100).round(0).cast(pl.Int64).alias("mart_cents"))
    both = expected.join(got, on=["channel", "order_no", "line_no"], how="full", coalesce=True, suffix="_mart")
    return both.join(excluded_orders(landing), on=["channel", "order_no"], how="anti")


def refund_problems(both: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Every rule the mart's refunds must keep, each with the lines (or orders) breaking it: all empty when
    the mart is right. Amounts to the cent per order on every channel and per line where the export states
    lines; the basis per line; returned goods (and only they) have their COGS reversed in full."""
    per_order = both.group_by("channel", "order_no").agg(pl.col("refund_cents").sum(), pl.col("mart_cents").sum())
    returned_in_mart = pl.col("returned_quantity") > 0
    return {
        "line on one side only": both.filter(pl.col("refund_cents").is_null() | pl.col("mart_cents").is_null()),
        "basis": both.filter(pl.col("basis") != pl.col("refund_basis")),
        "order refund": per_order.filter(pl.col("refund_cents") != pl.col("mart_cents")),
        "line refund": both.filter(pl.col("channel").is_in(LINE_REFUND_CHANNELS)
                                   & (pl.col("refund_cents") != pl.col("mart_cents"))),
        "returned goods": both.filter((pl.col("returned") != returned_in_mart)
                                      | (returned_in_mart & (pl.col("returned_quantity") != pl.col("quantity")))),
        "cogs reversal": both.filter(
            (pl.col("cogs_reversal_base") - pl.when(returned_in_mart).then(pl.col("cogs_base")).otherwise(0.0)).abs()
            > 1e-9),
    }


def refund_summary(both: pl.DataFrame) -> pl.DataFrame:
    """Lines, truth and mart refund cents per channel and basis (printed by the tests)."""
    return both.filter(pl.col("basis") != "none").group_by("channel", "basis").agg(
        pl.len().alias("lines"), pl.col("refund_cents").sum().alias("truth_cents"),
        pl.col("mart_cents").sum(), pl.col("returned").sum().alias("returned_lines")).sort("channel", "basis")

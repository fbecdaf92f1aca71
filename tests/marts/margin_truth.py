"""What the simulator knows about revenue and channel fees: its own order lines and settled items.

The simulator is deterministic (same parameters, same business), so re-running its order and
settlement steps from the stored `_manifest/params.json` gives the ground truth the landing files were
written from: every line's quantity, price and discount before any file format touched them, and the
commission and fulfilment fee each marketplace actually deducted (planted errors included). Nothing
here reads the warehouse or the dbt SQL.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

TRUNCATED_OR_MALFORMED = ("malformed_row", "truncated_file")


def _params(landing: Path):
    from simulator.params import SimParams, params_path

    return SimParams.from_json(params_path(landing).read_text())


def order_lines(landing: Path) -> pl.DataFrame:
    """The simulator's order lines as of the horizon's end (frames.ORDER_LINES), cancelled included."""
    from simulator import skus
    from simulator.run import _generate_lines, final_order_lines

    params = _params(landing)
    catalog = skus.build_catalog(params.seed, params.skus)
    return final_order_lines(_generate_lines(params, catalog, lambda *_: None, 1), params.end)


def settled_fees(landing: Path, lines: pl.DataFrame) -> pl.DataFrame:
    """Per settled sale item: channel, order_no, currency, settle_date and fee_cents (charged commission
    + fulfilment fee, positive = cost), as the settlements dated inside the horizon deducted them."""
    from simulator.settlements.errors import SettlementErrorRates, apply_errors, plan_errors
    from simulator.settlements.items import settlement_items

    params = _params(landing)
    charges, refunds = settlement_items(lines, start=params.start, end=params.end)
    errors = plan_errors(charges, refunds, seed=params.seed, rates=SettlementErrorRates())
    settled, _ = apply_errors(charges, refunds, errors)
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

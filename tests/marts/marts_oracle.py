"""What the inventory marts must say, worked out from the landing files and the simulator's manifest alone.

Nothing here reads the warehouse or reuses the dbt SQL: the files are read with polars and each rule
(ABC tolerance, FIFO allocation, moving weighted average) is re-implemented the plain way, row by row,
so a mart that disagrees is wrong in one of two independent implementations, never agreeing by
construction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from fractions import Fraction
from pathlib import Path

import polars as pl

TOLERANCE = {"A": Fraction(1, 100), "B": Fraction(3, 100), "C": Fraction(5, 100)}
BUCKETS = ((30, "0-30"), (60, "31-60"), (90, "61-90"), (180, "91-180"), (365, "181-365"))
INVENTORY_TYPES = ("count_over", "count_under", "unrecorded_damage", "late_document")
KEY = ["date", "warehouse_id", "sku", "lot_id"]


def read_source(landing: Path, source: str) -> pl.DataFrame:
    files = sorted((landing / source).glob("*/*.csv"))
    return pl.concat([pl.read_csv(f, infer_schema_length=0) for f in files], how="vertical")


def book(landing: Path) -> pl.DataFrame:
    return read_source(landing, "erp_snapshot").select(
        pl.col("snapshot_date").str.to_date().alias("date"), "warehouse_id", "sku", "lot_id",
        pl.col("book_qty").cast(pl.Int64))


def abc_classes(landing: Path) -> dict[str, str]:
    master = read_source(landing, "sku_master")
    return dict(zip(master["sku"].to_list(), master["abc_class"].to_list(), strict=True))


def planted(landing: Path) -> pl.DataFrame:
    """The manifest's inventory items, each with whether the accuracy mart must flag it.

    The manifest states `within_tolerance` for counts; for damage and late documents the rule is
    applied here to the book of that close (0 when the book has no line: goods ahead of their document).
    """
    manifest = pl.read_parquet(landing / "_manifest" / "anomalies.parquet")
    items = manifest.filter(pl.col("type").is_in(INVENTORY_TYPES)).select(
        "anomaly_id", "type", *KEY, pl.col("expected_qty").cast(pl.Int64), "within_tolerance")
    items = items.join(book(landing), on=KEY, how="left").with_columns(pl.col("book_qty").fill_null(0))
    abc = abc_classes(landing)

    def must_flag(row: dict) -> bool:
        if row["within_tolerance"] is not None:
            return not row["within_tolerance"]
        return abs(row["expected_qty"]) > TOLERANCE[abc[row["sku"]]] * abs(row["book_qty"])

    flags = [must_flag(r) for r in items.iter_rows(named=True)]
    return items.with_columns(pl.Series("must_flag", flags, pl.Boolean))


def bucket(age_days: int) -> str:
    for limit, name in BUCKETS:
        if age_days <= limit:
            return name
    return ">365"


def _lots(landing: Path) -> pl.DataFrame:
    receipts = read_source(landing, "purchase_receipts")
    fx = read_source(landing, "fx_rates").select(
        pl.col("rate_date").str.to_date(), pl.col("base_currency").alias("currency"), pl.col("rate").cast(pl.Float64))
    lots = receipts.select(
        "lot_id", pl.col("receipt_date").str.to_date(), pl.col("received_date").str.to_date(), "currency",
        pl.col("qty").cast(pl.Int64), pl.col("unit_cost").cast(pl.Float64),
        pl.col("inbound_freight").cast(pl.Float64).fill_null(0), pl.col("duty").cast(pl.Float64).fill_null(0))
    lots = lots.sort("receipt_date").join_asof(fx.sort("rate_date"), left_on="receipt_date", right_on="rate_date",
                                               by="currency", strategy="backward",
                                               check_sortedness=False)
    rate = pl.when(pl.col("currency") == "CNY").then(1.0).otherwise(pl.col("rate"))
    return lots.select("lot_id", "received_date",
                       ((pl.col("unit_cost") * pl.col("qty") + pl.col("inbound_freight") + pl.col("duty")) * rate
                        / pl.col("qty")).alias("unit_cost_cny"))


def _movements(landing: Path) -> pl.DataFrame:
    moves = read_source(landing, "inventory_movements").select(
        "doc_type", pl.col("doc_date").str.to_date(), "warehouse_id", "sku", "lot_id", pl.col("qty").cast(pl.Int64))
    return moves.join(_lots(landing), on="lot_id", how="left")


def fifo_aging(landing: Path) -> dict[tuple[date, str, str, str], int]:
    """(date, warehouse, sku, bucket) -> qty: each close's book on hand allocated to the inbound
    movements newest lot first; the remainder beyond all of them is '>365', a negative book '0-30'."""
    moves = _movements(landing).filter(pl.col("qty") > 0)
    layers: dict[tuple[str, str], list[tuple[date, date, int]]] = defaultdict(list)
    for row in moves.iter_rows(named=True):
        age_from = row["received_date"] or row["doc_date"]
        layers[(row["warehouse_id"], row["sku"])].append((age_from, row["doc_date"], row["qty"]))
    on_hand = book(landing).group_by("date", "warehouse_id", "sku").agg(pl.col("book_qty").sum())
    out: dict[tuple[date, str, str, str], int] = defaultdict(int)
    for day, warehouse, sku, qty in on_hand.iter_rows():
        if qty <= 0:
            out[(day, warehouse, sku, "0-30")] += qty
            continue
        left = qty
        for age_from, booked, layer_qty in sorted(layers[(warehouse, sku)], reverse=True):
            if booked > day or left == 0:
                continue
            take = min(layer_qty, left)
            out[(day, warehouse, sku, bucket((day - age_from).days))] += take
            left -= take
        if left:
            out[(day, warehouse, sku, ">365")] += left
    return dict(out)


def moving_average_costs(landing: Path) -> dict[tuple[date, str, str], float]:
    """(close, warehouse, sku) -> unit cost: the day's inbound merges into the stock carried at the
    running average (nothing carried: the average restarts), the day's outbound leaves at it."""
    moves = _movements(landing)
    daily = moves.group_by("doc_date", "warehouse_id", "sku").agg(
        pl.col("qty").filter(pl.col("qty") > 0).sum().alias("in_qty"),
        (pl.col("qty") * pl.col("unit_cost_cny")).filter(pl.col("qty") > 0).sum().alias("in_value"),
        pl.col("qty").sum().alias("net_qty"),
    ).sort("warehouse_id", "sku", "doc_date")
    averages: dict[tuple[str, str], list[tuple[date, float]]] = defaultdict(list)
    state: dict[tuple[str, str], tuple[int, float]] = {}
    for day, warehouse, sku, in_qty, in_value, net_qty in daily.iter_rows():
        carried, average = state.get((warehouse, sku), (0, 0.0))
        base = max(carried, 0)
        if base + in_qty > 0:
            average = (base * average + (in_value or 0.0)) / (base + in_qty)
        state[(warehouse, sku)] = (carried + net_qty, average)
        averages[(warehouse, sku)].append((day, average))
    closes = book(landing).select("date", "warehouse_id", "sku").unique()
    out = {}
    for day, warehouse, sku in closes.iter_rows():
        history = [a for d, a in averages[(warehouse, sku)] if d <= day]
        out[(day, warehouse, sku)] = history[-1] if history else 0.0
    return out

"""The inventory marts against the simulator's ground truth, their identities, and incremental = full.

One simulated business (14 days, 300 orders/day, 200 SKUs; conftest.py) is loaded by the real loader
and built by `dbt build`. The planted errors are known (the manifest), so the accuracy mart must flag
exactly the planted items beyond tolerance, with the planted quantity, and nothing else.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import polars as pl
import pytest
from marts_dbt import dbt
from marts_oracle import INVENTORY_TYPES, KEY, fifo_aging, moving_average_costs, planted, read_source

pytestmark = pytest.mark.slow

DAILY_MARTS = ("fct_inventory_accuracy", "rpt_inventory_accuracy_daily", "fct_inventory_valuation",
               "fct_inventory_aging")


def frame(client, sql: str) -> pl.DataFrame:
    return pl.from_arrow(client.query_arrow(sql))


def accuracy_lines(client) -> pl.DataFrame:
    return frame(client, "select snapshot_date as date, warehouse_id, sku, lot_id, book_qty, physical_qty,"
                         " variance_qty, is_accurate, has_variance, days_open from marts.fct_inventory_accuracy")


def precision_recall(items: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Per planted type: items, items that must be flagged, flagged with the right quantity, precision
    and recall; plus a `clean` row for flagged lines no planted item explains."""
    flagged = lines.filter(~pl.col("is_accurate"))
    joined = items.join(lines, on=KEY, how="left")
    rows = []
    for kind in INVENTORY_TYPES:
        of_kind = joined.filter(pl.col("type") == kind)
        must = of_kind.filter(pl.col("must_flag"))
        found = must.filter(~pl.col("is_accurate").fill_null(True)
                            & (pl.col("variance_qty") == pl.col("expected_qty")))
        flagged_of_kind = of_kind.filter(~pl.col("is_accurate").fill_null(True))
        right = flagged_of_kind.filter(pl.col("must_flag") & (pl.col("variance_qty") == pl.col("expected_qty")))
        rows.append({
            "type": kind, "planted": of_kind.height, "must_flag": must.height, "flagged": flagged_of_kind.height,
            "found_right_qty": found.height,
            "precision": right.height / flagged_of_kind.height if flagged_of_kind.height else 1.0,
            "recall": found.height / must.height if must.height else 1.0,
        })
    clean_flagged = flagged.join(items, on=KEY, how="anti").height
    rows.append({"type": "clean", "planted": 0, "must_flag": 0, "flagged": clean_flagged, "found_right_qty": 0,
                 "precision": 0.0 if clean_flagged else 1.0, "recall": 1.0})
    return pl.DataFrame(rows)


def test_accuracy_flags_exactly_the_planted_errors(business, ch_client) -> None:
    items = planted(business.landing)
    lines = accuracy_lines(ch_client)
    table = precision_recall(items, lines)
    with pl.Config(tbl_rows=10, tbl_cols=10, tbl_width_chars=160):
        print("\ninventory accuracy flags vs the manifest\n", table)

    # the run must exercise every type, and tolerance both ways, or 100% would prove little
    by_type = dict(zip(table["type"], table["must_flag"], strict=True))
    assert all(by_type[t] >= 1 for t in INVENTORY_TYPES), by_type
    assert items.filter(pl.col("within_tolerance").fill_null(False)).height >= 1
    assert table["precision"].to_list() == [1.0] * table.height, table
    assert table["recall"].to_list() == [1.0] * table.height, table

    # every planted item, flagged or not, shows its exact quantity; no other line differs at all
    shown = items.join(lines, on=KEY, how="left")
    assert (shown["variance_qty"] == shown["expected_qty"]).all(), shown
    assert not shown.filter(pl.col("within_tolerance").fill_null(False))["is_accurate"].not_().any()
    unexplained = lines.filter(pl.col("has_variance")).join(items, on=KEY, how="anti")
    assert unexplained.height == 0, unexplained

    # a late document is a one-day variance: flagged on its date and on no other close
    for item in items.filter(pl.col("type") == "late_document").iter_rows(named=True):
        same_lot = lines.filter((pl.col("warehouse_id") == item["warehouse_id"]) & (pl.col("lot_id") == item["lot_id"])
                                & ~pl.col("is_accurate"))
        assert same_lot["date"].to_list() == [item["date"]], item
    # each planted variance lasts one close, so it has been open for one day
    assert set(lines.filter(~pl.col("is_accurate"))["days_open"].to_list()) == {1}


def test_daily_accuracy_report_counts_lines_never_netting(business, ch_client) -> None:
    items = planted(business.landing)
    report = frame(ch_client, "select * from marts.rpt_inventory_accuracy_daily")
    lines = accuracy_lines(ch_client)
    assert report.height == lines.select("date", "warehouse_id").n_unique()
    assert report["lines"].sum() == lines.height
    assert report["inaccurate_lines"].sum() == items["must_flag"].sum()
    assert report["lines_with_variance"].sum() == items.height
    expected_abs = items["expected_qty"].abs().sum()
    assert report["abs_variance_qty"].sum() == expected_abs
    assert report["net_variance_qty"].sum() == items["expected_qty"].sum()
    for row in report.iter_rows(named=True):
        assert row["record_accuracy"] == pytest.approx(row["accurate_lines"] / row["lines"])
        assert row["value_accuracy"] == pytest.approx(
            1 - float(row["abs_variance_value"]) / float(row["book_value"]))
        assert row["abs_variance_value"] >= abs(row["net_variance_value"])


def test_aging_is_fifo_and_adds_up_to_on_hand_and_valuation(business, ch_client) -> None:
    aging = frame(ch_client, "select snapshot_date, warehouse_id, sku, age_bucket, qty, inventory_value, unit_cost"
                             " from marts.fct_inventory_aging")
    valuation = frame(ch_client, "select valuation_date as snapshot_date, warehouse_id, sku, on_hand_qty,"
                                 " unit_cost, inventory_value from marts.fct_inventory_valuation")
    key = ["snapshot_date", "warehouse_id", "sku"]
    totals = aging.group_by(key).agg(pl.col("qty").sum(), pl.col("inventory_value").sum())
    both = valuation.join(totals, on=key, how="full", coalesce=True)
    assert both.height == valuation.height
    # identities: buckets add up to on hand, and to the inventory value, to the last decimal
    assert (both["qty"] == both["on_hand_qty"]).all()
    assert (both["inventory_value_right"] == both["inventory_value"]).all()
    assert sum(aging["inventory_value"], Decimal(0)) == sum(valuation["inventory_value"], Decimal(0))

    # on hand is the book of the files; every bucket matches an independent FIFO allocation
    oracle = fifo_aging(business.landing)
    got = {(r[0], r[1], r[2], r[3]): r[4] for r in aging.select(*key, "age_bucket", "qty").iter_rows()}
    assert got == {k: v for k, v in oracle.items() if v != 0}
    buckets = set(aging["age_bucket"].to_list())
    assert {"0-30", "181-365", ">365"} <= buckets  # the opening balance spans the ages


def test_aging_by_category_is_the_sku_masters_and_adds_up(business, ch_client) -> None:
    """The dashboard's category x bucket view must be the same money as the totals, just split."""
    aging = frame(ch_client, "select snapshot_date, sku, category, age_bucket, inventory_value"
                             " from marts.fct_inventory_aging")
    master = read_source(business.landing, "sku_master")
    categories = dict(zip(master["sku"].to_list(), master["category"].to_list(), strict=True))
    # every row carries its sku's category from the master files (no sku falls back to '')
    assert {(r[0], r[1]) for r in aging.select("sku", "category").unique().iter_rows()} == {
        (sku, categories[sku]) for sku in aging["sku"].unique().to_list()}
    assert aging["category"].n_unique() > 1
    # category x bucket per day close adds up to the day's inventory value, to the last decimal
    by_category = aging.group_by("snapshot_date", "category", "age_bucket").agg(pl.col("inventory_value").sum())
    per_day = by_category.group_by("snapshot_date").agg(pl.col("inventory_value").sum()).sort("snapshot_date")
    valuation = frame(ch_client, "select valuation_date as snapshot_date, sum(inventory_value) as inventory_value"
                                 " from marts.fct_inventory_valuation group by snapshot_date order by snapshot_date")
    assert per_day.rows() == valuation.rows()


def test_valuation_is_the_moving_weighted_average(business, ch_client) -> None:
    valuation = frame(ch_client, "select valuation_date, warehouse_id, sku, on_hand_qty, unit_cost, inventory_value"
                                 " from marts.fct_inventory_valuation")
    oracle = moving_average_costs(business.landing)
    assert valuation.height == len(oracle)
    worst = 0.0
    for day, warehouse, sku, on_hand, unit_cost, value in valuation.iter_rows():
        worst = max(worst, abs(float(unit_cost) - oracle[(day, warehouse, sku)]))
        assert value == on_hand * unit_cost
    # both sides round lot costs to 4 decimals at different points: a few 1/10000 of a yuan apart at most
    assert worst < 0.0005, worst


def checksums(client) -> dict[str, tuple[int, int]]:
    out = {}
    for table in DAILY_MARTS:
        out[table] = client.query(f"select count(), sum(cityHash64(*)) from marts.{table}").first_row
    return out


def active_parts(client) -> set[tuple[str, str, str]]:
    rows = client.query("select table, partition, name from system.parts where active and database = 'marts'"
                        " and table in {tables:Array(String)}", parameters={"tables": list(DAILY_MARTS)}).result_rows
    return {tuple(r) for r in rows}


def test_day_by_day_incremental_equals_full_refresh(business, ch_client) -> None:
    """A first window, then T-1 runs one day at a time (one of them twice) give the full build's marts."""
    full = checksums(ch_client)
    assert all(count > 0 for count, _ in full.values()), full
    dates = business.dates
    selector = ["--select", "+fct_inventory_aging", "+rpt_inventory_accuracy_daily"]
    for table in DAILY_MARTS:
        ch_client.command(f"DROP TABLE marts.{table}")

    split = dates[-4]
    first = dbt(["run", *selector], business.dbt_dir, {"min_date": str(dates[0]), "max_date": str(split)})
    assert first.success, first.failures
    partial = checksums(ch_client)
    assert all(partial[t][0] < full[t][0] for t in DAILY_MARTS), (partial, full)

    for day in [*dates[-4:], dates[-2]]:  # the last but one day twice: a re-run changes nothing
        window = {"min_date": str(day), "max_date": str(day + timedelta(days=1))}
        before = active_parts(ch_client)
        run = dbt(["run", *selector], business.dbt_dir, window)
        assert run.success, (day, run.failures)
        # a T-1 run replaces that day's partition of each daily mart and leaves every other part alone
        new_parts = active_parts(ch_client) - before
        assert {(table, partition) for table, partition, _ in new_parts} == {(t, str(day)) for t in DAILY_MARTS}

    assert checksums(ch_client) == full

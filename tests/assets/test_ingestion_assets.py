"""Ingestion assets materialized in-process against the embedded endpoint: metadata and checks."""

from __future__ import annotations

from datetime import date

import pytest
from dagster import AssetKey, materialize

from assets.checks import rows_balance
from assets.ingestion import RAW_ASSETS, raw_key, sources_by_table
from assets.resources import ClickHouseResource, LandingResource
from ingestion.load import landing_files


def _asset(table: str):
    return next(a for a in RAW_ASSETS if a.key == raw_key(table))


def _materialize(table: str, day: date, landing):
    return materialize([_asset(table)], partition_key=day.isoformat(),
                       resources={"clickhouse": ClickHouseResource(), "landing": LandingResource(root=str(landing))})


def test_every_raw_table_with_a_layout_has_an_asset():
    tables = sources_by_table()
    assert {"order_lines", "carrier_bill_lines", "wms_snapshot", "settlements"} <= set(tables)
    assert {"orders_amazon", "orders_shopify", "orders_douyin"} <= set(tables["order_lines"])
    assert [a.key for a in RAW_ASSETS] == [AssetKey(["raw", t]) for t in tables]


def test_order_lines_partition_loads_with_metadata_and_passing_checks(endpoint, ch_client, small_landing):
    day = date(2026, 8, 3)
    result = _materialize("order_lines", day, small_landing)
    assert result.success
    (event,) = result.asset_materializations_for_node("raw__order_lines")
    meta = {k: v.value for k, v in event.metadata.items()}
    sources = sources_by_table()["order_lines"]
    files = [f for s in sources for f in landing_files(small_landing, s, day)]
    in_table, in_quarantine = ch_client.query(
        "SELECT (SELECT count() FROM raw.order_lines WHERE business_date = {d:Date}),"
        " (SELECT countIf(row_number IS NOT NULL) FROM raw.quarantine WHERE business_date = {d:Date} "
        "AND source IN {s:Array(String)})", parameters={"d": day, "s": sources}).result_rows[0]
    assert meta["files"] == len(files) >= 5
    assert meta["bytes"] == sum(f.stat().st_size for f in files)
    assert meta["rows_loaded"] == in_table > 100
    assert meta["rows_quarantined"] == in_quarantine
    assert meta["rows_read"] == in_table + in_quarantine
    assert meta["duration_s"] > 0
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(checks) == {"rows_balance", "files_readable"}
    assert all(e.passed for e in checks.values())
    assert checks["rows_balance"].metadata["rows_in_table"].value == in_table


def test_carrier_bills_partition_reports_the_resent_file(endpoint, small_landing):
    day = min(date.fromisoformat(p.name) for p in (small_landing / "carrier_bills").iterdir())
    result = _materialize("carrier_bill_lines", day, small_landing)
    assert result.success
    (event,) = result.asset_materializations_for_node("raw__carrier_bill_lines")
    resent = event.metadata["re_delivered_files"].value
    assert resent and all("_resend" in name for name in resent)


def test_the_balance_check_fails_when_rows_go_missing(endpoint, ch_client, small_landing):
    day = date(2026, 8, 4)
    assert _materialize("wms_snapshot", day, small_landing).success
    key = raw_key("wms_snapshot")
    assert rows_balance(ch_client, key, ["wms_snapshot"], day).passed
    ch_client.command("DELETE FROM raw.wms_snapshot WHERE business_date = {d:Date} AND row_number = 1",
                      parameters={"d": day})
    failed = rows_balance(ch_client, key, ["wms_snapshot"], day)
    assert not failed.passed
    assert "wms_snapshot" in failed.metadata["unbalanced"].value
    assert _materialize("wms_snapshot", day, small_landing).success  # a re-load heals it
    assert rows_balance(ch_client, key, ["wms_snapshot"], day).passed


@pytest.mark.parametrize("table", ["fx_rates", "shipments"])
def test_a_day_without_files_materializes_nothing(endpoint, tmp_path, table):
    result = _materialize(table, date(2026, 7, 1), tmp_path)
    assert result.success
    (event,) = result.asset_materializations_for_node(f"raw__{table}")
    assert event.metadata["files"].value == 0

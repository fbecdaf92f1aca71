"""A simulated fortnight loaded into ClickHouse: what is in `raw` is what the files held, row for row.

The simulator is the oracle: it records how many rows it wrote per source and every bad row it planted
(`_manifest/anomalies.parquet`), so the expected counts come from it, not from the loader.
"""

from __future__ import annotations

import re
from datetime import timedelta

import polars as pl
import pytest
from load_helpers import DAYS, START, business, loaded

# Sources where one simulator row is one raw row (flat CSV layouts and the payouts JSON).
FLAT_SOURCES = ("erp_snapshot", "fx_rates", "inventory_movements", "orders_amazon", "orders_douyin", "orders_jd",
                "orders_pos", "orders_tmall", "purchase_receipts", "rate_cards", "shipments", "sku_master",
                "wms_snapshot")


@pytest.fixture(scope="module")
def reports(ch_client):
    return loaded(ch_client)


def _planted(kind: str) -> pl.DataFrame:
    return business().manifest.filter(pl.col("type") == kind)


def _lost_to_truncation(source: str) -> int:
    """Rows the simulator wrote but cut off the end of the truncated file (never readable)."""
    lost = 0
    for detail in _planted("truncated_file").filter(pl.col("source") == source)["detail"]:
        lost += int(re.search(r"(\d+) rows lost", detail).group(1))
    return lost


def test_every_file_balances_in_clickhouse(reports):
    files = [f for r in reports for f in r.files]
    assert len(files) == sum(len(r.balance) for r in reports) > 200
    unbalanced = [b.describe() for r in reports for b in r.balance if not b.ok]
    assert unbalanced == []
    assert all(f.rows_read == f.rows_loaded + f.rows_quarantined for f in files)
    assert [e for r in reports for e in r.errors] == []


# raw is shared by the whole session (other modules load other dates): count only this business's days.
IN_WINDOW = "business_date >= {lo:Date} AND business_date < {hi:Date}"
WINDOW = {"lo": START, "hi": START + timedelta(days=DAYS)}


@pytest.mark.parametrize("source", FLAT_SOURCES)
def test_rows_in_clickhouse_are_the_rows_written_minus_planted_bad_rows(ch_client, reports, source):
    written = business().rows_written[source]
    bad = _planted("malformed_row").filter(pl.col("source") == source).height
    truncated = _planted("truncated_file").filter(pl.col("source") == source).height  # its cut row
    lost = _lost_to_truncation(source)
    in_table, in_quarantine = ch_client.query(
        "SELECT (SELECT count() FROM raw.{t:Identifier} WHERE source = {s:String} AND " + IN_WINDOW + "),"
        " (SELECT countIf(row_number IS NOT NULL) FROM raw.quarantine WHERE source = {s:String} AND "
        + IN_WINDOW + ")",
        parameters={"t": _table_of(reports, source), "s": source, **WINDOW}).result_rows[0]
    assert in_table == written - lost - bad - truncated
    assert in_quarantine == bad + truncated


def _table_of(reports, source: str) -> str:
    (table,) = {f.target_table for r in reports if r.source == source for f in r.files}
    return table


def test_shopify_orders_all_arrive(ch_client, reports):
    """The Shopify JSON nests line items; the simulator counts orders, so compare orders per file."""
    orders = ch_client.query("SELECT uniqExact(source_file, order_no) FROM raw.order_lines "
                             "WHERE source = 'orders_shopify' AND " + IN_WINDOW, parameters=WINDOW).result_rows[0][0]
    assert orders == business().rows_written["orders_shopify"]


@pytest.mark.parametrize("mapping, written_key", [("settlements_alipay", "settlements/alipay_bill"),
                                                  ("settlements_shopify_payouts", "settlements/shopify_payouts")])
def test_settlement_rows_arrive(ch_client, reports, mapping, written_key):
    loaded_rows = ch_client.query("SELECT sum(rows_loaded) FROM raw._files WHERE mapping = {m:String} AND " + IN_WINDOW,
                                  parameters={"m": mapping, **WINDOW}).result_rows[0][0]
    assert loaded_rows == business().rows_written[written_key] > 0


def test_every_planted_malformed_row_is_in_quarantine(ch_client, reports):
    planted = _planted("malformed_row")
    assert planted.height >= 3
    for row in planted.iter_rows(named=True):
        found = ch_client.query(
            "SELECT field, source_field, reason, raw_text FROM raw.quarantine "
            "WHERE source_file = {f:String} AND row_number = {r:UInt32}",
            parameters={"f": row["file"], "r": row["row"]}).result_rows
        assert len(found) == 1, row
        field, source_field, reason, raw_text = found[0]
        assert row["field"] == field or row["field"] in (source_field or ""), (row, found)
        bad_value = re.search(r": '([^']*)'", row["detail"]).group(1)
        assert bad_value in reason and bad_value in raw_text, (row, found)


def test_the_truncated_file_is_in_quarantine_and_its_complete_rows_load(ch_client, reports):
    (planted,) = _planted("truncated_file").iter_rows(named=True)
    complete = int(re.search(r"(\d+) complete data rows", planted["detail"]).group(1))
    rows = ch_client.query(
        "SELECT row_number, reason FROM raw.quarantine WHERE source_file = {f:String}",
        parameters={"f": planted["file"]}).result_rows
    assert [r[0] for r in rows] == [planted["row"]]
    loaded_rows = ch_client.query("SELECT count(), max(row_number) FROM raw.order_lines WHERE source_file = {f:String}",
                                  parameters={"f": planted["file"]}).result_rows[0]
    assert loaded_rows == (complete, complete)


def test_lineage_points_back_to_the_file_and_row(ch_client, reports):
    biz = business()
    source_file, row_number, digest, batch = ch_client.query(
        "SELECT source_file, row_number, file_sha256, load_batch_id FROM raw.inventory_movements "
        "ORDER BY source_file, row_number LIMIT 1 OFFSET 5").result_rows[0]
    import hashlib

    data = (biz.landing / source_file).read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest
    assert row_number == 6 and len(batch) == 32
    # the 6th data row of the file is the 7th line (one header line)
    assert ch_client.query("SELECT count() FROM raw._files WHERE source_file = {f:String} AND load_batch_id = {b:String}",
                           parameters={"f": source_file, "b": batch}).result_rows[0][0] == 1

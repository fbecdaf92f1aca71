"""Loading a (source, business date) again replaces exactly that slice: same rows, same checksums."""

from __future__ import annotations

from datetime import date

from load_helpers import business, loaded, slice_checksums

from ingestion.load import load_date, load_source_date

DAY = date(2026, 10, 7)  # has carrier bills (with a re-delivered file) and the truncated Douyin file


def test_loading_a_day_twice_changes_nothing_but_the_batch_stamp(ch_client):
    loaded(ch_client)
    biz = business()
    before = slice_checksums(ch_client, DAY)
    other_day_before = slice_checksums(ch_client, date(2026, 10, 8))
    batches_before = set(ch_client.query("SELECT DISTINCT load_batch_id FROM raw._files WHERE business_date = {d:Date}",
                                         parameters={"d": DAY}).result_rows)
    reports = load_date(ch_client, biz.landing, DAY)
    assert all(r.balanced for r in reports)
    after = slice_checksums(ch_client, DAY)
    assert after == before
    assert before["order_lines"][0] > 500 and before["carrier_bill_lines"][0] > 500 and before["quarantine"][0] == 1
    assert slice_checksums(ch_client, date(2026, 10, 8)) == other_day_before
    batches_after = set(ch_client.query("SELECT DISTINCT load_batch_id FROM raw._files WHERE business_date = {d:Date}",
                                        parameters={"d": DAY}).result_rows)
    assert batches_after.isdisjoint(batches_before) and len(batches_after) > 5


def test_reloading_one_source_leaves_the_other_sources_of_the_table_alone(ch_client):
    loaded(ch_client)
    biz = business()
    others = [s for s in ("orders_amazon", "orders_tmall", "orders_jd")]
    before_others = slice_checksums(ch_client, DAY, others)
    before_douyin = slice_checksums(ch_client, DAY, ["orders_douyin"])
    stamp = ch_client.query("SELECT any(load_batch_id) FROM raw.order_lines WHERE business_date = {d:Date} "
                            "AND source = 'orders_amazon'", parameters={"d": DAY}).result_rows[0][0]
    report = load_source_date(ch_client, biz.landing, "orders_douyin", DAY)
    assert report.rows_quarantined == 1 and report.balanced
    assert slice_checksums(ch_client, DAY, ["orders_douyin"]) == before_douyin
    assert slice_checksums(ch_client, DAY, others) == before_others
    assert ch_client.query("SELECT uniqExact(load_batch_id) FROM raw.order_lines WHERE business_date = {d:Date} "
                           "AND source = 'orders_amazon'", parameters={"d": DAY}).result_rows[0][0] == 1
    assert ch_client.query("SELECT any(load_batch_id) FROM raw.order_lines WHERE business_date = {d:Date} "
                           "AND source = 'orders_amazon'", parameters={"d": DAY}).result_rows[0][0] == stamp

"""Freshness against a real landing folder and the real file registry, around the deadline."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, time, timedelta

from assets.freshness import deadline_for, freshness
from assets.monitoring_config import parse_config

DAY = date(2030, 1, 7)  # a Monday no other test loads


def _simulated_landing(tmp_path):
    from simulator import simulate

    landing = tmp_path / "landing"
    simulate(landing, start=DAY, days=1, orders_per_day=60, seed=3, skus=10)
    return landing


def test_deadline_is_local_time_of_the_next_day(monkeypatch):
    config = parse_config({})
    assert config.freshness.timezone == "Asia/Shanghai" and config.freshness.deadline == time(1, 30)
    assert deadline_for(DAY, config) == datetime(2030, 1, 7, 17, 30, tzinfo=UTC)  # 01:30 +08:00 on the 8th
    monkeypatch.setenv("TALLYHOUSE_SCHEDULE_TZ", "America/Los_Angeles")
    config = parse_config({"freshness": {"deadline": "06:00"}})
    assert deadline_for(DAY, config) == datetime(2030, 1, 8, 14, 0, tzinfo=UTC)  # 06:00 -08:00


def test_missing_daily_source_fails_only_after_the_deadline(tmp_path, ch_client):
    landing = _simulated_landing(tmp_path)
    shutil.rmtree(landing / "shipments" / DAY.isoformat())  # the TMS export never came
    config = parse_config({})
    due = deadline_for(DAY, config)

    before = freshness(ch_client, landing, DAY, "shipments", ["shipments"], config, due - timedelta(minutes=1))
    assert [(v.subject, v.passed) for v in before] == [("shipments", True)]
    assert "not due until" in before[0].message

    after = freshness(ch_client, landing, DAY, "shipments", ["shipments"], config, due + timedelta(hours=3))
    assert [(v.subject, v.passed, v.value, v.severity) for v in after] == [("shipments", False, 3.0, "P1")]
    assert "3.0 h after the deadline" in after[0].message

    # the six order channels all delivered: one verdict each, all passing, even long after the deadline
    sources = [f"orders_{c}" for c in ("amazon", "douyin", "jd", "pos", "shopify", "tmall")]
    orders = freshness(ch_client, landing, DAY, "order_lines", sources, config, due + timedelta(days=3))
    assert sorted((v.subject, v.passed) for v in orders) == [(s, True) for s in sorted(sources)]

    # sources on their own cadence (bills, settlements) are not judged
    assert freshness(ch_client, landing, DAY, "carrier_bill_lines", ["carrier_bills"], config,
                     due + timedelta(days=3)) == []


def test_a_file_in_the_registry_counts_as_arrived_after_the_landing_copy_is_gone(tmp_path, ch_client):
    from ingestion.load import load_date

    landing = _simulated_landing(tmp_path)
    (report,) = load_date(ch_client, landing, DAY, sources=["fx_rates"])
    assert report.balanced
    shutil.rmtree(landing / "fx_rates")  # archived away after loading
    config = parse_config({})
    late = deadline_for(DAY, config) + timedelta(hours=1)
    assert [v.passed for v in freshness(ch_client, landing, DAY, "fx_rates", ["fx_rates"], config, late)] == [True]
    assert [v.passed for v in freshness(None, landing, DAY, "fx_rates", ["fx_rates"], config, late)] == [False]

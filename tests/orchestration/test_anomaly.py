"""Volume anomaly detection on a simulated business with two planted shocks.

Eight weeks (Mon 2026-02-23 .. Sun 2026-04-19) of 200 orders a day, loaded by the real loader into the
real warehouse, staging built by the real dbt project. Amazon's orders collapse to 20% on Wed 04-15 and
Tmall's triple on Fri 04-17 (the simulator's `volume_shocks`). The month before (03-16 .. 04-14, the
first days with three same-weekday history points) must be quiet; the shocks must be found on the
right member, date and direction.
"""

from __future__ import annotations

import os
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from dagster import AssetCheckSeverity, materialize

from assets.anomaly import ANOMALY_KEY, anomaly_findings, detect, detect_days, event_days
from assets.monitoring_config import parse_config
from assets.resources import ClickHouseResource

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "marts"))
from marts_dbt import DBT_DATABASES, dbt  # noqa: E402

START = date(2026, 2, 23)
DAYS = 56
COLLAPSE = ("amazon", date(2026, 4, 15), 0.2)
SPIKE = ("tmall", date(2026, 4, 17), 3.0)
QUIET = [date(2026, 3, 16) + timedelta(days=i) for i in range(30)]
SOURCES = ["orders_amazon", "orders_douyin", "orders_jd", "orders_pos", "orders_shopify", "orders_tmall", "shipments"]


@pytest.fixture(scope="module")
def shocked(tmp_path_factory, ch_client, endpoint):
    from ingestion.load import load_date
    from simulator import simulate
    from warehouse import embedded

    creds = embedded.credentials()
    env = {"CLICKHOUSE_HOST": "127.0.0.1", "CLICKHOUSE_PORT": str(endpoint.port), "CLICKHOUSE_USER": creds.user,
           "CLICKHOUSE_PASSWORD": creds.password, "CLICKHOUSE_SECURE": "false"}
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    root = tmp_path_factory.mktemp("anomaly")
    landing = root / "landing"
    simulate(landing, start=START, days=DAYS, orders_per_day=200, seed=11, skus=60,
             volume_shocks=[(c, d.isoformat(), f) for c, d, f in (COLLAPSE, SPIKE)])
    ch_client.command("DROP DATABASE IF EXISTS raw")  # this business only
    for database in DBT_DATABASES:
        ch_client.command(f"DROP DATABASE IF EXISTS `{database}`")
        ch_client.command(f"CREATE DATABASE `{database}`")
    for i in range(DAYS):
        for report in load_date(ch_client, landing, START + timedelta(days=i), sources=SOURCES):
            assert report.balanced, (report.source, report.errors)
    result = dbt(["run", "--select", "+stg_channels__orders", "+stg_tms__shipments"], root / "dbt")
    assert result.success, result.failures
    yield landing
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_event_calendar_knows_the_promotion_days():
    config = parse_config({})
    assert event_days(config, date(2026, 11, 1), date(2026, 12, 31)) == [
        date(2026, 11, 11), date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 12)]
    with pytest.raises(ValueError, match="unknown"):
        event_days(parse_config({"anomaly": {"event_rules": ["easter"]}}), date(2026, 1, 1), date(2026, 2, 1))


def test_a_normal_month_is_quiet(shocked, ch_client):
    config = parse_config({})
    found = detect_days(ch_client, QUIET, config)  # one statement for the month, as a backfill does
    by_day = {day: [f for f in found if f.business_date == day] for day in QUIET}
    for day, day_found in by_day.items():
        # 6 channels x (orders, amount, units) + shipments of 4 warehouses and the carriers (ten; the
        # smallest cross-border lanes may ship nothing on a given weekday for weeks), all scored
        assert len(day_found) >= 6 * 3 + 4 + 8, day
        assert all(f.score is not None for f in day_found), day
        assert [f.subject for f in day_found if f.is_anomaly] == [], day
    worst = max(abs(f.score) for f in found)
    assert worst < config.anomaly.threshold
    stored = ch_client.query(
        "SELECT count(), countIf(is_anomaly) FROM ops.anomaly_findings FINAL "
        "WHERE business_date BETWEEN {a:Date} AND {b:Date}", parameters={"a": QUIET[0], "b": QUIET[-1]}
    ).result_rows[0]
    assert stored == (len(found), 0)
    # a day scored on its own gets the scores the batch gave it
    alone = {f.subject: f.score for f in detect(ch_client, QUIET[10], config)}
    assert alone == pytest.approx({f.subject: f.score for f in by_day[QUIET[10]]}, abs=1e-9)


def test_collapse_and_spike_are_found_on_the_right_member_date_and_direction(shocked, ch_client):
    config = parse_config({})
    channel, day, _ = COLLAPSE
    collapse = {f.subject: f for f in detect(ch_client, day, config)}
    assert collapse[f"channel:{channel}:orders"].is_anomaly
    assert collapse[f"channel:{channel}:orders"].direction == "collapse"
    assert collapse[f"channel:{channel}:orders"].score < -config.anomaly.threshold
    # only the shocked channel (and what it alone feeds) is flagged
    assert {s.split(":")[1] for s, f in collapse.items() if f.is_anomaly} <= {channel, "US-LAX"}

    channel, day, factor = SPIKE
    spike = {f.subject: f for f in detect(ch_client, day, config)}
    orders = spike[f"channel:{channel}:orders"]
    assert orders.is_anomaly and orders.direction == "spike"
    assert orders.observed == pytest.approx(factor * orders.baseline_median, rel=0.25)
    assert {s.split(":")[1] for s, f in spike.items() if f.is_anomaly} <= {channel, "CN-SZX"}

    # a known event day is scored but never flagged: declare the spike day a promotion
    promo = parse_config({"anomaly": {"event_days": [day.strftime("%m-%d")]}})
    as_event = {f.subject: f for f in detect(ch_client, day, promo)}
    assert as_event[f"channel:{channel}:orders"].score == pytest.approx(orders.score)
    assert not any(f.is_anomaly for f in as_event.values())


def test_the_asset_stores_findings_and_its_check_fails_with_severity(shocked, ch_client, tmp_path, monkeypatch):
    config_file = tmp_path / "monitoring.toml"
    config_file.write_text('[checks.severity]\nvolume_anomaly = "P1"\n')
    monkeypatch.setenv("TALLYHOUSE_MONITORING_CONFIG", str(config_file))
    day = COLLAPSE[1]
    result = materialize([anomaly_findings], partition_key=day.isoformat(),
                         resources={"clickhouse": ClickHouseResource()})
    assert result.success
    (evaluation,) = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert evaluation.asset_key == ANOMALY_KEY and not evaluation.passed
    assert evaluation.severity == AssetCheckSeverity.ERROR  # P1
    failed = ch_client.query(
        "SELECT subject, severity FROM ops.check_results WHERE run_id = {r:String} AND passed = 0",
        parameters={"r": result.run_id}).result_rows
    assert ("channel:amazon:orders", "P1") in failed
    quiet_day = QUIET[-1]
    quiet = materialize([anomaly_findings], partition_key=quiet_day.isoformat(),
                        resources={"clickhouse": ClickHouseResource()})
    (evaluation,) = [e.event_specific_data for e in quiet.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert evaluation.passed


def test_volume_shocks_are_off_by_default_and_multiply_one_channel_day(tmp_path):
    from simulator import simulate
    from simulator.orders import daily_counts
    from simulator.params import SimParams

    plain = simulate(tmp_path / "plain", start=date(2026, 5, 4), days=2, orders_per_day=100, seed=2, skus=20)
    params = (tmp_path / "plain" / "_manifest" / "params.json").read_text()
    assert "volume_shocks" not in params  # runs without shocks write the bytes they always wrote
    shocked = simulate(tmp_path / "shocked", start=date(2026, 5, 4), days=2, orders_per_day=100, seed=2, skus=20,
                       volume_shocks=[("tmall", "2026-05-05", 3.0)])
    assert '"volume_shocks"' in (tmp_path / "shocked" / "_manifest" / "params.json").read_text()
    # the first day is untouched, byte for byte
    for path in sorted((tmp_path / "plain").glob("*/2026-05-04/*")):
        twin = tmp_path / "shocked" / path.relative_to(tmp_path / "plain")
        assert twin.read_bytes() == path.read_bytes(), path
    base = SimParams(start=date(2026, 5, 4), days=2, orders_per_day=100, seed=2, skus=20)
    with_shock = SimParams(start=date(2026, 5, 4), days=2, orders_per_day=100, seed=2, skus=20,
                           volume_shocks=(("tmall", "2026-05-05", 3.0),))
    before, after = daily_counts(base, date(2026, 5, 5)), daily_counts(with_shock, date(2026, 5, 5))
    assert abs(after["tmall"] - 3 * before["tmall"]) <= 2  # 3 x the unrounded count, rounded
    assert {k: v for k, v in after.items() if k != "tmall"} == {k: v for k, v in before.items() if k != "tmall"}
    assert shocked.orders - plain.orders == after["tmall"] - before["tmall"]

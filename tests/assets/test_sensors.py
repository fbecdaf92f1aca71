"""The landing sensor: new files -> run requests for their partitions; nothing new -> nothing."""

from __future__ import annotations

import shutil

from dagster import build_sensor_context

from assets.ingestion import raw_key
from assets.resources import LandingResource
from assets.sensors import landing_files_sensor


def _tick(landing, cursor=None):
    context = build_sensor_context(cursor=cursor, resources={"landing": LandingResource(root=str(landing))})
    return landing_files_sensor(context)


def _copy_day(src, dst, source, day):
    target = dst / source / day
    target.mkdir(parents=True, exist_ok=True)
    for path in (src / source / day).iterdir():
        shutil.copy(path, target / path.name)


def test_new_files_request_their_partitions_once(small_landing, tmp_path):
    _copy_day(small_landing, tmp_path, "orders_jd", "2026-08-02")
    _copy_day(small_landing, tmp_path, "fx_rates", "2026-08-02")
    _copy_day(small_landing, tmp_path, "orders_tmall", "2026-08-03")
    (tmp_path / "_manifest").mkdir()
    (tmp_path / "_manifest" / "anomalies.json").write_text("[]")

    first = _tick(tmp_path)
    requests = {r.partition_key: set(r.asset_selection) for r in first.run_requests}
    assert requests == {"2026-08-02": {raw_key("order_lines"), raw_key("fx_rates")},
                        "2026-08-03": {raw_key("order_lines")}}
    assert all(r.run_key for r in first.run_requests)

    second = _tick(tmp_path, first.cursor)
    assert second.run_requests == []

    _copy_day(small_landing, tmp_path, "wms_snapshot", "2026-08-03")
    third = _tick(tmp_path, second.cursor)
    assert [(r.partition_key, set(r.asset_selection)) for r in third.run_requests] == [
        ("2026-08-03", {raw_key("wms_snapshot")})]
    assert third.run_requests[0].run_key not in {r.run_key for r in first.run_requests}
    assert _tick(tmp_path, third.cursor).run_requests == []


def test_files_of_unknown_sources_and_dates_outside_the_partitions_are_not_requested(tmp_path):
    (tmp_path / "mystery_feed" / "2026-08-02").mkdir(parents=True)
    (tmp_path / "mystery_feed" / "2026-08-02" / "x.csv").write_text("a\n1\n")
    (tmp_path / "fx_rates" / "1999-01-01").mkdir(parents=True)
    (tmp_path / "fx_rates" / "1999-01-01" / "fx_rates_19990101.csv").write_text("a\n1\n")
    (tmp_path / "fx_rates" / "not-a-date").mkdir(parents=True)
    (tmp_path / "fx_rates" / "not-a-date" / "f.csv").write_text("a\n1\n")
    assert _tick(tmp_path).run_requests == []

"""The pure pieces: dbt argument building, the window conversion, the T-1 rule, the translator's keys."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from assets.dbt_args import Window, build_args, location_args, vars_args


def test_inclusive_range_becomes_half_open_window():
    window = Window.inclusive(date(2026, 10, 1), date(2026, 10, 3))
    assert (window.start, window.end) == (date(2026, 10, 1), date(2026, 10, 4))
    assert window.days == [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)]
    assert window.dbt_vars() == {"min_date": "2026-10-01", "max_date": "2026-10-04"}


def test_one_day_and_month_end():
    assert Window.inclusive(date(2026, 2, 28), date(2026, 2, 28)).dbt_vars() == {
        "min_date": "2026-02-28", "max_date": "2026-03-01"}


def test_empty_or_reversed_window_is_refused():
    with pytest.raises(ValueError, match="empty business-date window"):
        Window(date(2026, 10, 2), date(2026, 10, 2))
    with pytest.raises(ValueError):
        Window.inclusive(date(2026, 10, 3), date(2026, 10, 1))


def test_window_from_a_partition_time_window_in_shanghai():
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    window = Window.from_time_window(datetime(2026, 10, 1, tzinfo=zone), datetime(2026, 10, 4, tzinfo=zone))
    assert window.days[0] == date(2026, 10, 1) and window.days[-1] == date(2026, 10, 3)


def test_build_args_with_and_without_window():
    assert build_args() == ["build", "--indirect-selection", "buildable"]
    args = build_args("build", Window.inclusive(date(2026, 10, 1), date(2026, 10, 1)), select="tag:x")
    assert args[:5] == ["build", "--indirect-selection", "buildable", "--select", "tag:x"]
    assert args[5] == "--vars"
    assert json.loads(args[6]) == {"max_date": "2026-10-02", "min_date": "2026-10-01"}
    assert build_args(full_refresh=True) == ["build", "--indirect-selection", "buildable", "--full-refresh"]


def test_step_errors_keep_dbt_s_own_message_and_name_the_way_out_of_schema_drift():
    from orchestration.pipeline_run import SCHEMA_DRIFT_HINT, step_error_text

    dagster_dbt = ("The dbt CLI process with command\n\n`dbt build`\n\nfailed with exit code `1`.\n\n"
                   "Errors parsed from dbt logs:\n\nCompilation Error in model rpt_x\n"
                   "  The source and target schemas on this incremental model are out of sync!")
    text = step_error_text(dagster_dbt)
    assert text.startswith("The dbt CLI process with command; Compilation Error in model rpt_x; The source")
    assert text.endswith(SCHEMA_DRIFT_HINT)
    assert step_error_text("boom\nTraceback") == "boom"
    assert step_error_text("") == "failed"


def test_vars_and_locations():
    assert vars_args(None) == [] and vars_args({}) == []
    assert location_args(Path("/p"), Path("/q"), Path("/w")) == [
        "--project-dir", "/p", "--profiles-dir", "/q", "--target-path", "/w/target", "--log-path", "/w/logs"]


@pytest.mark.parametrize(("scheduled", "expected"), [
    (datetime(2026, 10, 14, 18, 0, tzinfo=UTC), "2026-10-14"),   # 02:00 on the 15th in Shanghai
    (datetime(2026, 10, 15, 1, 0, tzinfo=UTC), "2026-10-14"),    # 09:00 on the 15th in Shanghai
    (datetime(2026, 10, 15, 16, 30, tzinfo=UTC), "2026-10-15"),  # 00:30 on the 16th in Shanghai
])
def test_t_minus_one_is_yesterday_in_the_schedule_zone(scheduled, expected):
    from orchestration.schedules import t_minus_one

    assert t_minus_one(scheduled, "Asia/Shanghai") == expected


def test_t_minus_one_depends_on_the_zone():
    from orchestration.schedules import t_minus_one

    # the same instant is the 15th in Shanghai but still the 14th in UTC
    instant = datetime(2026, 10, 14, 18, 0, tzinfo=UTC)
    assert (t_minus_one(instant, "Asia/Shanghai"), t_minus_one(instant, "UTC")) == ("2026-10-14", "2026-10-13")


def test_translator_maps_raw_sources_to_ingestion_keys_and_models_to_their_table():
    from assets.dbt import TallyhouseTranslator

    translator = TallyhouseTranslator()
    source = {"resource_type": "source", "schema": "raw", "name": "wms_snapshot", "identifier": "wms_snapshot"}
    model = {"resource_type": "model", "schema": "marts", "name": "fct_inventory_accuracy", "alias": None,
             "fqn": ["tallyhouse", "marts", "fct_inventory_accuracy"]}
    assert translator.get_asset_key(source).to_user_string() == "raw/wms_snapshot"
    assert translator.get_asset_key(model).to_user_string() == "marts/fct_inventory_accuracy"
    assert translator.get_group_name(model) == "marts"

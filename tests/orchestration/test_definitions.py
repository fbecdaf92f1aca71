"""The Definitions load the way `dagster dev -w workspace.yaml` loads them, and their shape is pinned by
a checked-in snapshot so a rename of an asset, group, job or schedule fails here first.

After an intended change, regenerate the snapshot with
`TALLYHOUSE_UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest tests/orchestration/test_definitions.py`
and review its diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).with_name("definitions_snapshot.json")


def _shape() -> dict:
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    graph = repo.asset_graph
    return {
        "assets": {k.to_user_string(): graph.get(k).group_name for k in sorted(graph.get_all_asset_keys())
                   if graph.get(k).is_materializable},
        "jobs": sorted(job.name for job in repo.get_all_jobs() if not job.name.startswith("__")),
        "schedules": {s.name: {"cron": s.cron_schedule, "timezone": s.execution_timezone, "job": s.job_name}
                      for s in repo.schedule_defs},
        "sensors": sorted(s.name for s in repo.sensor_defs),
    }


def test_dagster_definitions_validate_on_the_workspace():
    done = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
                          cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation successful" in done.stdout + done.stderr


def test_shape_matches_the_snapshot():
    shape = _shape()
    if os.environ.get("TALLYHOUSE_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(shape, indent=2, sort_keys=True) + "\n")
    assert shape == json.loads(SNAPSHOT.read_text())


def test_one_lineage_graph_from_raw_to_marts():
    """dbt sources on raw resolve to the ingestion assets: a mart's upstream reaches raw/<table>."""
    from dagster import AssetKey

    from orchestration.definitions import defs

    graph = defs.get_repository_def().asset_graph
    upstream = graph.get(AssetKey(["marts", "fct_inventory_accuracy"])).parent_keys
    ancestors, frontier = set(), set(upstream)
    while frontier:
        key = frontier.pop()
        ancestors.add(key)
        frontier |= set(graph.get(key).parent_keys) - ancestors
    names = {k.to_user_string() for k in ancestors}
    assert {"raw/wms_snapshot", "raw/erp_snapshot", "raw/sku_master", "staging/stg_wms__inventory_snapshot"} <= names
    assert graph.get(AssetKey(["raw", "wms_snapshot"])).is_materializable  # the ingestion asset, not a stub


def test_every_single_model_dbt_test_is_an_asset_check():
    from assets.dbt import MANIFEST
    from orchestration.definitions import defs

    manifest = json.loads(Path(MANIFEST).read_text())
    expected = {node["name"] for node in manifest["nodes"].values()
                if node["resource_type"] == "test" and node.get("attached_node")}
    checks = {key.name for key in defs.get_repository_def().asset_graph.asset_check_keys}
    assert expected and expected <= checks
    assert {"rows_balance", "files_readable"} <= checks


def test_daily_marts_are_partitioned_with_a_single_run_backfill_and_the_views_are_not():
    from dagster import AssetKey, BackfillPolicy

    from assets.partitions import business_date_partitions
    from orchestration.definitions import defs

    graph = defs.get_repository_def().asset_graph
    daily = graph.get(AssetKey(["marts", "fct_inventory_accuracy"]))
    assert daily.partitions_def == business_date_partitions
    assert daily.backfill_policy == BackfillPolicy.single_run()
    assert graph.get(AssetKey(["staging", "stg_wms__inventory_snapshot"])).partitions_def is None
    # a table that reads only the window and a lookback is built with the partition's window
    for windowed in ("int_settlement__expected_items", "int_settlement__settled_items"):
        assert graph.get(AssetKey(["intermediate", windowed])).partitions_def == business_date_partitions
    assert graph.get(AssetKey(["intermediate", "int_freight__bill_lines"])).partitions_def is None
    assert graph.get(AssetKey(["raw", "wms_snapshot"])).partitions_def == business_date_partitions


def test_schedule_requests_t_minus_one_in_shanghai():
    from datetime import UTC, datetime

    from dagster import build_schedule_context

    from orchestration.definitions import defs

    schedule = defs.get_schedule_def("nightly_t_minus_1")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "Asia/Shanghai")
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 10, 14, 18, 0, tzinfo=UTC),
                                     repository_def=defs.get_repository_def())
    request = schedule.evaluate_tick(context).run_requests[0]
    assert (request.partition_key, request.run_key) == ("2026-10-14", "2026-10-14")


def test_schedule_time_and_zone_come_from_the_environment():
    code = ("from orchestration.schedules import nightly_t_minus_1 as s; "
            "print(s.cron_schedule, s.execution_timezone)")
    env = {**os.environ, "TALLYHOUSE_SCHEDULE_CRON": "30 3 * * *", "TALLYHOUSE_SCHEDULE_TZ": "Europe/Berlin"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.stdout.split() == ["30", "3", "*", "*", "*", "Europe/Berlin"], done.stderr

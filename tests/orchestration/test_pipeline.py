"""End to end on the embedded warehouse: three daily partitions from landing files to marts through the
real Dagster job and the real dbt build; then `tallyhouse run` re-materializes one of them and nothing
changes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAILY_MARTS = {"rpt_inventory_accuracy_daily": "snapshot_date", "fct_inventory_accuracy": "snapshot_date",
               "fct_inventory_valuation": "valuation_date", "fct_inventory_aging": "snapshot_date"}


def test_three_partitions_run_as_three_ingestions_one_dbt_build_and_three_judgements(pipeline_business):
    report = pipeline_business.report
    labels = [step.label for step in report.steps]
    dates = pipeline_business.dates
    assert labels == [f"ingest {d}" for d in dates] + [f"dbt build {dates[0]}..{dates[-1]}"] + [
        f"monitor {d}" for d in dates]
    for step in report.steps:
        assert step.success and not step.errors, (step.label, step.errors)
        assert step.failed_checks == [], step.label
    # every dbt test passes; WARN-level findings elsewhere are the simulator's planted malformed rows
    # (quarantine share), which the monitoring reports without failing the run
    assert report.steps[len(dates)].warned_checks == []
    assert report.ok
    assert report.ok


def test_every_asset_of_the_job_materialized_for_its_partitions(pipeline_business):
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    instance = DagsterInstance.from_config(str(pipeline_business.dagster_home))
    graph = defs.get_repository_def().asset_graph
    keys = [k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable]
    days = {d.isoformat() for d in pipeline_business.dates}
    for key in keys:
        if graph.get(key).partitions_def is None:
            assert instance.get_latest_materialization_event(key) is not None, key
        else:
            assert days <= set(instance.get_materialized_partitions(key)), key


def test_daily_marts_hold_exactly_the_three_dates_with_the_lines_raw_implies(pipeline_business, ch_client):
    dates = pipeline_business.dates
    window = {"first": dates[0], "last": dates[-1]}
    for table, column in DAILY_MARTS.items():
        found = {r[0] for r in ch_client.query(
            f"SELECT DISTINCT {column} FROM marts.{table} "
            f"WHERE {column} BETWEEN {{first:Date}} - 7 AND {{last:Date}} + 7", parameters=window).result_rows}
        assert found == set(dates), table
    # a line per warehouse x sku x lot that either the WMS or the ERP knows on that day
    expected = ch_client.query(
        "SELECT snapshot_date, warehouse_id, count() FROM ("
        " SELECT snapshot_date, warehouse_id, sku, lot_id FROM raw.wms_snapshot "
        " WHERE snapshot_date BETWEEN {first:Date} AND {last:Date}"
        " UNION DISTINCT SELECT snapshot_date, warehouse_id, sku, lot_id FROM raw.erp_snapshot"
        " WHERE snapshot_date BETWEEN {first:Date} AND {last:Date}) GROUP BY 1, 2 ORDER BY 1, 2",
        parameters=window).result_rows
    got = ch_client.query(
        "SELECT snapshot_date, warehouse_id, lines FROM marts.rpt_inventory_accuracy_daily "
        "WHERE snapshot_date BETWEEN {first:Date} AND {last:Date} ORDER BY 1, 2", parameters=window).result_rows
    assert len(expected) == 3 * len({r[1] for r in expected}) and got == expected


def _checksums(client) -> dict[str, tuple[int, int]]:
    """count and order-independent hash of every marts table (views excluded: they hold no data)."""
    tables = [r[0] for r in client.query(
        "SELECT name FROM system.tables WHERE database = 'marts' AND engine NOT LIKE '%View' "
        "AND NOT is_temporary ORDER BY name").result_rows]
    return {t: tuple(client.query(f"SELECT count(), groupBitXor(cityHash64(*)) FROM marts.`{t}`").first_row)
            for t in tables}


def test_rerunning_a_partition_with_the_cli_changes_nothing(pipeline_business, ch_client):
    before = _checksums(ch_client)
    assert before["rpt_inventory_accuracy_daily"][0] > 0
    day = pipeline_business.dates[1].isoformat()
    done = subprocess.run([str(Path(sys.executable).with_name("tallyhouse")), "run", "--date", day],
                          cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert f"ingest {day}" in done.stdout and "FAILED" not in done.stdout
    assert _checksums(ch_client) == before


def test_cli_refuses_a_reversed_range_and_explains_the_inclusive_end():
    from typer.testing import CliRunner

    from tallyhouse.cli import app

    runner = CliRunner()
    reversed_range = runner.invoke(app, ["run", "--from", "2026-07-03", "--to", "2026-07-01"])
    assert reversed_range.exit_code == 2 and "before --from" in reversed_range.output
    assert "INCLUSIVE" in runner.invoke(app, ["run", "--help"]).output


# every daily mart and its business date: the marts database is shared by the test session, so a rebuild
# is compared on this business's dates only (other modules' dates are not part of its history)
DAILY_MART_DATES = {**DAILY_MARTS, "fct_order_margin": "order_date", "rpt_margin_daily": "order_date",
                    "fct_settlement_reconciliation": "settlement_date",
                    "rpt_channel_reconciliation_daily": "settlement_date", "fct_freight_audit": "bill_date"}


def _window_checksums(client, dates) -> dict[str, tuple[int, int]]:
    window = {"first": dates[0], "last": dates[-1]}
    return {t: tuple(client.query(f"SELECT count(), groupBitXor(cityHash64(*)) FROM marts.`{t}` "
                                  f"WHERE {column} BETWEEN {{first:Date}} AND {{last:Date}}",
                                  parameters=window).first_row)
            for t, column in DAILY_MART_DATES.items()}


def test_a_mart_whose_columns_drifted_fails_the_run_until_a_full_refresh_rebuilds_it(pipeline_business, ch_client):
    """An upgrade that changes a daily mart's columns meets the old table: the nightly run must stop (never
    append mismatched rows) and say how to get out; `--full-refresh` over the history rebuilds it as before."""
    from orchestration.pipeline_run import run_pipeline

    dates = pipeline_business.dates
    before = _window_checksums(ch_client, dates)
    assert before["fct_order_margin"][0] > 0 and before["rpt_inventory_accuracy_daily"][0] > 0
    ch_client.command("ALTER TABLE marts.rpt_inventory_accuracy_daily DROP COLUMN value_accuracy")

    drifted = run_pipeline(dates[-1], dates[-1], log_level="WARNING")
    dbt_step = next(step for step in drifted.steps if step.label.startswith("dbt build"))
    assert not dbt_step.success and not drifted.ok
    assert any("--full-refresh" in error for error in dbt_step.errors), dbt_step.errors

    rebuilt = run_pipeline(dates[0], dates[-1], full_refresh=True, log_level="WARNING")
    assert rebuilt.ok, [(s.label, s.errors, s.failed_checks) for s in rebuilt.steps]
    assert _window_checksums(ch_client, dates) == before

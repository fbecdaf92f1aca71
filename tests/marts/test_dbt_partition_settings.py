"""dbt's ClickHouse sessions carry profiles.yml's custom_settings: an INSERT touching more than 100 daily
partitions (what a full build or backfill of a daily mart over >100 days does) goes through dbt, while
the same INSERT on a session with the server's defaults is refused. Cheap: no business, one tiny table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from marts_dbt import PROJECT

from assets.dbt_args import location_args

DAYS = 120
TABLE = "marts.zz_partition_probe"


def _run_query(sql: str, work: Path) -> None:
    """Execute one statement over dbt's own connection (dbt's built-in `run_query` macro)."""
    from dbt.cli.main import dbtRunner

    done = dbtRunner().invoke(["run-operation", "run_query", "--args", json.dumps({"sql": sql}),
                               *location_args(PROJECT, PROJECT, work), "--no-send-anonymous-usage-stats"])
    assert done.success, done.exception


def test_dbt_inserts_into_more_than_100_partitions_where_the_default_session_cannot(
        ch_client, dbt_environment, tmp_path: Path) -> None:
    ch_client.command("CREATE DATABASE IF NOT EXISTS marts")
    ch_client.command(f"DROP TABLE IF EXISTS {TABLE}")
    ch_client.command(f"CREATE TABLE {TABLE} (d Date, n UInt32) ENGINE = MergeTree PARTITION BY d ORDER BY d")
    insert = (f"INSERT INTO {TABLE} SELECT toDate('2026-01-01') + number, toUInt32(number) "
              f"FROM numbers({DAYS})")
    try:
        with pytest.raises(Exception, match="TOO_MANY_PARTS|max_partitions_per_insert_block"):
            ch_client.command(insert)
        assert ch_client.command(f"SELECT count() FROM {TABLE}") == 0

        _run_query(insert, tmp_path)
        partitions = ch_client.command(
            "SELECT uniqExact(partition) FROM system.parts WHERE database = 'marts' "
            "AND table = 'zz_partition_probe' AND active")
        assert partitions == DAYS
        assert ch_client.query(f"SELECT count(), sum(n) FROM {TABLE}").first_row == (DAYS, DAYS * (DAYS - 1) // 2)
    finally:
        ch_client.command(f"DROP TABLE IF EXISTS {TABLE}")

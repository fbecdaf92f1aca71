"""A small simulated business, loaded into `raw` by the real loader and built by the real dbt project.

Session-scoped and expensive (about a minute of simulation and loading, then `dbt build` of the whole
project with the profile's default threads, 4), so the inventory and order-margin tests share one
build; the inventory incremental test rebuilds only the inventory marts into the same databases.
The freight and settlement tests load businesses of their own (other start dates) into the same
endpoint; this fixture therefore starts from an empty `raw`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from marts_dbt import DBT_DATABASES, dbt

START = date(2026, 10, 1)
DAYS = 14


@dataclass(frozen=True)
class Business:
    landing: Path
    start: date
    days: int
    dbt_dir: Path  # target and log paths of this session's dbt runs

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


@pytest.fixture(scope="session")
def business(tmp_path_factory: pytest.TempPathFactory, ch_client, dbt_environment) -> Business:
    """Simulate, load every source day by day, and `dbt build` everything once."""
    from ingestion.load import load_date
    from simulator import simulate

    root = tmp_path_factory.mktemp("marts")
    landing = root / "landing"
    simulate(landing, start=START, days=DAYS, orders_per_day=300, seed=7, skus=200)

    # Start `raw` empty so other tests' businesses cannot leak in; `ops` exists for the health models.
    from assets.ops_tables import ensure_ops_tables

    for (table,) in ch_client.query("select name from system.tables where database = 'raw'").result_rows:
        ch_client.command(f"DROP TABLE IF EXISTS raw.`{table}`")
    ensure_ops_tables(ch_client)
    for database in DBT_DATABASES:
        ch_client.command(f"DROP DATABASE IF EXISTS `{database}`")
        # recreated empty at once: dbt-clickhouse keeps its client (bound to the profile's `marts`) across
        # in-process runs, and a later module's first query fails if that database is gone
        ch_client.command(f"CREATE DATABASE `{database}`")

    # The data-health views (models/health) read the ops tables, which Dagster and the demo create.
    from assets.ops_tables import ensure_ops_tables

    ensure_ops_tables(ch_client)
    built = Business(landing=landing, start=START, days=DAYS, dbt_dir=root / "dbt")
    for day in built.dates:
        for report in load_date(ch_client, landing, day):
            assert report.balanced and not report.errors, (report.source, day, report.errors)
            if not report.source.startswith("orders_"):  # order exports carry planted bad rows by design
                assert report.rows_quarantined == 0, (report.source, day)

    result = dbt(["build"], built.dbt_dir)
    assert result.success, result.failures
    return built

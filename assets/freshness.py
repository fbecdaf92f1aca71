"""Freshness: did every daily source deliver its files for T-1 by the deadline?

Why a deadline rather than "now": a nightly run at 02:00 (schedule time zone) should not page anyone
for a file that may still arrive at 01:59 on a slow night, and a backfill of last month must judge
last month's deliveries, not today's. So the check asks: is it past `<T> <deadline>` local time
(T = the day after the business date)? If not, the verdict is "not due yet" (passes). If so, a source
with no delivered file for T-1 (none under `<landing>/<source>/<T-1>/` and none registered in
raw._files) fails. Files that are there now count even if they came late: lateness is history, the
check is about whether the data is missing.

The check is attached to every raw table; its subjects are the table's sources listed in
`freshness.daily_sources` (bills, settlements and rate cards arrive on their own cadence).
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from clickhouse_connect.driver.client import Client
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    multi_asset_check,
)

from assets.business_checks import partition_dates
from assets.ingestion import raw_key, sources_by_table
from assets.monitoring_config import MonitoringConfig, load_config
from assets.resources import ClickHouseResource, LandingResource
from assets.verdicts import Verdict, daily_check_spec, run_and_record
from ingestion.load import ensure_raw_schema, landing_files

CHECK_NAME = "freshness"


def deadline_for(day: date, config: MonitoringConfig) -> datetime:
    """The instant (UTC) by which the files of business date `day` must have landed."""
    local = datetime.combine(day + timedelta(days=1), config.freshness.deadline,
                             tzinfo=ZoneInfo(config.freshness.timezone))
    return local.astimezone(UTC)


def registered_sources(client: Client, day: date, sources: list[str]) -> set[str]:
    ensure_raw_schema(client)  # a warehouse that never loaded anything has registered nothing
    rows = client.query(
        "SELECT DISTINCT source FROM raw._files WHERE business_date = {day:Date} "
        "AND source IN {sources:Array(String)}",
        parameters={"day": day, "sources": sources}).result_rows
    return {row[0] for row in rows}


def freshness(client: Client | None, landing: Path, day: date, table: str, sources: list[str],
              config: MonitoringConfig, now: datetime) -> list[Verdict]:
    """One verdict per daily source of `table`; `client` None means the registry is not consulted."""
    daily = [s for s in sources if s in config.freshness.daily_sources]
    if not daily:
        return []
    due = deadline_for(day, config)
    arrived = registered_sources(client, day, daily) if client is not None else set()
    arrived |= {s for s in daily if landing_files(landing, s, day)}
    overdue_hours = (now - due).total_seconds() / 3600
    verdicts = []
    for source in daily:
        if source in arrived:
            passed, message = True, f"{source} {day}: files arrived"
        elif now < due:
            passed, message = True, f"{source} {day}: no files yet, not due until {due.isoformat()}"
        else:
            passed, message = False, (f"{source} {day}: no files {overdue_hours:.1f} h after the deadline "
                                      f"{due.isoformat()}")
        verdicts.append(Verdict(check_name=CHECK_NAME, asset_key=raw_key(table), business_date=day,
                                subject=source, severity=config.severity(CHECK_NAME), passed=passed,
                                value=max(overdue_hours, 0.0) if source not in arrived else 0.0,
                                threshold=0.0, message=message))
    return verdicts


# Every raw table gets the check (one multi-check, one step per run); which of its sources are judged
# (the daily ones) follows the config at run time, so a table with no daily source passes with nothing
# to judge.
@multi_asset_check(
    name="freshness_checks",
    specs=[daily_check_spec(CHECK_NAME, raw_key(table),
                            "each daily source delivered files for the day by freshness.deadline (local)")
           for table in sorted(sources_by_table())],
    can_subset=True,
)
def freshness_checks(context: AssetCheckExecutionContext, clickhouse: ClickHouseResource,
                     landing: LandingResource) -> Iterator[AssetCheckResult]:
    config = load_config()
    client = clickhouse.get_client()
    tables = sources_by_table()
    now = datetime.now(UTC)
    for check_key in sorted(context.selected_asset_check_keys, key=lambda k: k.asset_key.to_user_string()):
        table = check_key.asset_key.path[-1]
        verdicts = [v for day in partition_dates(context)
                    for v in freshness(client, landing.path(), day, table, tables[table], config, now)]
        yield run_and_record(client, CHECK_NAME, check_key.asset_key, config.severity(CHECK_NAME), verdicts,
                             context.run.run_id)


FRESHNESS_CHECKS: list[AssetChecksDefinition] = [freshness_checks]

"""The nightly T-1 schedule.

It fires at `TALLYHOUSE_SCHEDULE_CRON` (default `0 2 * * *`) in `TALLYHOUSE_SCHEDULE_TZ` (default
Asia/Shanghai) and requests the partition of the day before, in that zone: at 02:00 Shanghai on the
15th the run is for the 14th, whatever the machine's or UTC's date. The run key is the business date, so
a daemon restart never runs the same night twice.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dagster import RunRequest, ScheduleEvaluationContext, schedule

from assets.partitions import business_timezone
from orchestration.jobs import landing_to_marts

DEFAULT_CRON = "0 2 * * *"


def schedule_cron() -> str:
    return os.environ.get("TALLYHOUSE_SCHEDULE_CRON") or DEFAULT_CRON


def t_minus_one(scheduled: datetime, timezone: str) -> str:
    """The business date before the scheduled instant's local date in `timezone`, as a partition key."""
    local = scheduled.astimezone(ZoneInfo(timezone))
    return (local.date() - timedelta(days=1)).isoformat()


@schedule(
    name="nightly_t_minus_1",
    job=landing_to_marts,
    cron_schedule=schedule_cron(),
    execution_timezone=business_timezone(),
    description="Yesterday's (T-1) landing files to marts, every night.",
)
def nightly_t_minus_1(context: ScheduleEvaluationContext) -> RunRequest:
    # a manual evaluation (UI "test schedule", a unit test) may carry no scheduled time: use now
    key = t_minus_one(context.scheduled_execution_time or datetime.now(UTC), business_timezone())
    return RunRequest(run_key=key, partition_key=key, tags={"tallyhouse/trigger": "schedule"})

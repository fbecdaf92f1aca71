"""The business-date partitioning every ingestion and daily dbt asset shares.

The first partition comes from `TALLYHOUSE_PARTITIONS_START` (YYYY-MM-DD) so a deployment that
backfills three years and a demo that simulates two weeks use the same code.

Days are cut in the business's time zone (`TALLYHOUSE_SCHEDULE_TZ`, default Asia/Shanghai), the same zone
the nightly schedule runs in: a partition exists once its day has ended there, so the 02:00 run can
target T-1 at once instead of waiting for the day to end in UTC (18:00 Shanghai time of the next day).
"""

from __future__ import annotations

import os

from dagster import DailyPartitionsDefinition

DEFAULT_START = "2026-01-01"
DEFAULT_TIMEZONE = "Asia/Shanghai"


def partitions_start() -> str:
    return os.environ.get("TALLYHOUSE_PARTITIONS_START") or DEFAULT_START


def business_timezone() -> str:
    """The IANA zone in which business days (and so partitions and the T-1 schedule) are cut."""
    return os.environ.get("TALLYHOUSE_SCHEDULE_TZ") or DEFAULT_TIMEZONE


business_date_partitions = DailyPartitionsDefinition(start_date=partitions_start(), timezone=business_timezone())

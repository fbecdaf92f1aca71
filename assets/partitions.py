"""The business-date partitioning every ingestion asset shares.

The first partition comes from `TALLYHOUSE_PARTITIONS_START` (YYYY-MM-DD) so a deployment that
backfills three years and a demo that simulates two weeks use the same code.
"""

from __future__ import annotations

import os

from dagster import DailyPartitionsDefinition

DEFAULT_START = "2026-01-01"


def partitions_start() -> str:
    return os.environ.get("TALLYHOUSE_PARTITIONS_START") or DEFAULT_START


business_date_partitions = DailyPartitionsDefinition(start_date=partitions_start(), timezone="UTC")

"""One verdict per (check, subject): stored in ops.check_results and folded into a Dagster check result.

Why both: Dagster shows one pass/fail per check and asset, but people act per warehouse, carrier,
channel or source, and the alert sender and the data-health dashboard read those rows from
ops.check_results. A check fails when any subject fails; its Dagster severity is ERROR for P0/P1
(wake someone) and WARN for P2/P3.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    PreviewWarning,
)

from assets.ops_tables import ensure_ops_tables
from assets.partitions import business_date_partitions

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

CHECK_RESULT_COLUMNS = ("checked_at", "business_date", "check_name", "asset_key", "subject", "severity",
                        "passed", "value", "threshold", "message", "run_id")


@dataclass(frozen=True)
class Verdict:
    check_name: str
    asset_key: AssetKey
    business_date: date
    subject: str
    severity: str
    passed: bool
    value: float | None
    threshold: float | None
    message: str


def daily_check_spec(name: str, asset: AssetKey, description: str) -> AssetCheckSpec:
    """A check judged per business date (partitioned like its asset).

    Partitioned check specs are a Dagster preview feature, used on purpose: without them a check on a
    daily asset cannot know which day it judges. The preview warning is silenced here, once.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PreviewWarning)
        return AssetCheckSpec(name, asset=asset, description=description, partitions_def=business_date_partitions)


def record(client: Client, verdicts: list[Verdict], run_id: str, checked_at: datetime | None = None) -> None:
    """Append the verdicts to ops.check_results (readers take the latest per key)."""
    if not verdicts:
        return
    ensure_ops_tables(client)
    at = checked_at or datetime.now(UTC)
    client.insert("check_results", [
        (at, v.business_date, v.check_name, v.asset_key.to_user_string(), v.subject, v.severity,
         int(v.passed), v.value, v.threshold, v.message, run_id)
        for v in verdicts
    ], column_names=list(CHECK_RESULT_COLUMNS), database="ops")


def dagster_severity(severity: str) -> AssetCheckSeverity:
    return AssetCheckSeverity.ERROR if severity in ("P0", "P1") else AssetCheckSeverity.WARN


def to_check_result(check_name: str, key: AssetKey, severity: str, verdicts: list[Verdict]) -> AssetCheckResult:
    """The Dagster view of one check's verdicts: failed subjects listed, counts as metadata."""
    failed = [v for v in verdicts if not v.passed]
    return AssetCheckResult(
        check_name=check_name,
        asset_key=key,
        passed=not failed,
        severity=dagster_severity(severity),
        metadata={
            "severity": severity,
            "subjects_checked": len(verdicts),
            "subjects_failed": len(failed),
            "failures": MetadataValue.md("\n".join(f"- {v.message}" for v in failed) or "none"),
        },
    )


def run_and_record(client: Client, check_name: str, key: AssetKey, severity: str, verdicts: list[Verdict],
                   run_id: str) -> AssetCheckResult:
    record(client, verdicts, run_id)
    return to_check_result(check_name, key, severity, verdicts)

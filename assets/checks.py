"""Asset checks for ingestion, computed by querying ClickHouse after the load.

`rows_balance` is the "nothing read is silently dropped" rule: for every file of the partition, rows
read (as registered) = rows found in the raw table + rows found in raw.quarantine. `files_readable`
warns about files that could not be read or that no layout claims (they sit in quarantine as
file-level records and need a person).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue

from ingestion.load import RAW_DATABASE, check_balance

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

ROWS_BALANCE = "rows_balance"
FILES_READABLE = "files_readable"


def check_specs(key: AssetKey) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(ROWS_BALANCE, asset=key,
                       description="per file: rows read = rows in the raw table + rows in raw.quarantine"),
        AssetCheckSpec(FILES_READABLE, asset=key,
                       description="every landing file was readable and claimed by a layout"),
    ]


def rows_balance(client: Client, key: AssetKey, sources: list[str], business_date: date) -> AssetCheckResult:
    balances = [b for source in sources for b in check_balance(client, source, business_date)]
    unbalanced = [b.describe() for b in balances if not b.ok]
    return AssetCheckResult(
        check_name=ROWS_BALANCE,
        asset_key=key,
        passed=not unbalanced,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "files_checked": len(balances),
            "rows_read": sum(b.rows_read for b in balances),
            "rows_in_table": sum(b.rows_in_table for b in balances),
            "rows_in_quarantine": sum(b.rows_in_quarantine for b in balances),
            "unbalanced": MetadataValue.md("\n".join(f"- {u}" for u in unbalanced) or "none"),
        },
    )


def files_readable(client: Client, key: AssetKey, sources: list[str], business_date: date) -> AssetCheckResult:
    rows = client.query(
        f"SELECT source_file, status, file_error FROM `{RAW_DATABASE}`.`_files` "
        "WHERE business_date = {business_date:Date} AND source IN {sources:Array(String)} "
        "AND status IN ('unreadable', 'unmapped') ORDER BY source_file",
        parameters={"business_date": business_date, "sources": sources},
    ).result_rows
    return AssetCheckResult(
        check_name=FILES_READABLE,
        asset_key=key,
        passed=not rows,
        severity=AssetCheckSeverity.WARN,
        metadata={"problem_files": MetadataValue.md(
            "\n".join(f"- {f}: {status}: {error}" for f, status, error in rows) or "none")},
    )

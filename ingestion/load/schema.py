"""The `raw` database: contract tables, the file registry and the staging area, created idempotently.

Tables come from the contracts (`ingestion.contracts.create_table_sql`), with one change: they are
partitioned by `(business_date, source)` rather than by day alone. Several sources share a table and a
date (six order channels all land in `order_lines`), and the unit a load replaces is one source's day,
so making that the partition lets `REPLACE PARTITION` swap it without reading, copying or racing with
the other sources' rows of the same day.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ingestion.contracts import CONTRACTS, Column, Contract, create_table_sql
from ingestion.contracts.model import LINEAGE

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

RAW_DATABASE = "raw"
STAGING_DATABASE = "raw_staging"
PARTITION_KEY = "(business_date, source)"
STALE_STAGING_HOURS = 6

# The file registry: one row per landing file per load, the evidence for "rows read = loaded +
# quarantined" and the memory that recognises a file delivered again under another name (same hash).
FILES = Contract(
    "_files",
    (
        Column("target_table", "code", doc="the raw table the file's layout fills; empty when unmapped"),
        Column("mapping", "code", doc="the layout (mapping file stem) that read the file"),
        Column("bytes", "int64", minimum=0),
        Column("rows_read", "int64", minimum=0),
        Column("rows_loaded", "int64", minimum=0),
        Column("rows_quarantined", "int64", minimum=0),
        Column("status", "code", doc="loaded | quarantined_rows | unreadable | unmapped"),
        Column("file_error", "string", nullable=True),
        Column("duplicate_of", "string", nullable=True, doc="an earlier file with the same bytes"),
    ),
    order_by=("source", "source_file"),
    doc="every landing file of every load: counts, status, duplicates",
    lineage=tuple(c for c in LINEAGE if c.name != "row_number"),
)

RAW_TABLES: dict[str, Contract] = {**CONTRACTS, FILES.name: FILES}

_PARTITION_CLAUSE = re.compile(r"^PARTITION BY .*$", re.MULTILINE)
_STAGING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def table_ddl(contract: Contract, *, database: str = RAW_DATABASE, table: str | None = None) -> str:
    """The contract's DDL with the per-(day, source) partition key (see the module docstring)."""
    ddl, count = _PARTITION_CLAUSE.subn(f"PARTITION BY {PARTITION_KEY}", create_table_sql(
        contract, database=database, table=table))
    if count != 1:
        raise RuntimeError(f"unexpected DDL shape for {contract.name}: no single PARTITION BY clause")
    return ddl


def ensure_raw_schema(client: Client) -> None:
    """Create `raw`, its tables and the staging database if missing, and drop staging left by kills.

    Safe to call before every load: every statement is `IF NOT EXISTS`.
    """
    for database in (RAW_DATABASE, STAGING_DATABASE):
        client.command(f"CREATE DATABASE IF NOT EXISTS `{database}`")
    for contract in RAW_TABLES.values():
        client.command(table_ddl(contract))
        add_missing_columns(client, contract)
    drop_stale_staging(client)


def add_missing_columns(client: Client, contract: Contract, *, database: str = RAW_DATABASE) -> list[str]:
    """Columns a contract gained since its table was created, added in contract order.

    A load swaps a staging table of the contract's current shape into the raw table with REPLACE
    PARTITION, which needs both tables to have the same structure; without this, the first load after a
    contract grows (order_lines gained refund amounts) would fail on every existing warehouse. Rows
    loaded before the change read the new columns as NULL (all added columns are nullable) until their
    partition is loaded again.
    """
    existing = {row[0] for row in client.query(
        "SELECT name FROM system.columns WHERE database = {db:String} AND table = {table:String}",
        parameters={"db": database, "table": contract.name}).result_rows}
    added: list[str] = []
    previous: str | None = None
    for column in contract.all_columns:
        if column.name not in existing:
            if not column.nullable:
                raise RuntimeError(f"{database}.{contract.name} lacks the required column {column.name!r}: "
                                   "a non-nullable column cannot be added to loaded data; migrate it by hand")
            place = f" AFTER `{previous}`" if previous else " FIRST"
            client.command(f"ALTER TABLE `{database}`.`{contract.name}` "
                           f"ADD COLUMN IF NOT EXISTS `{column.name}` {column.clickhouse_type}{place}")
            added.append(column.name)
        previous = column.name
    return added


def drop_stale_staging(client: Client, *, older_than_hours: int = STALE_STAGING_HOURS) -> list[str]:
    """Staging tables of loads that were killed before cleaning up (younger ones may be in use)."""
    stale = client.query(
        "SELECT name FROM system.tables WHERE database = {db:String} "
        "AND metadata_modification_time < now() - toIntervalHour({hours:UInt32})",
        parameters={"db": STAGING_DATABASE, "hours": older_than_hours},
    ).result_rows
    names = [row[0] for row in stale if _STAGING_NAME.match(row[0])]
    for name in names:
        client.command(f"DROP TABLE IF EXISTS `{STAGING_DATABASE}`.`{name}`")
    return names

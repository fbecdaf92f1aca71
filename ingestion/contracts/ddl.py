"""ClickHouse DDL generated from a contract, so the table and the validation cannot disagree.

Partitioning by business_date makes a daily load replaceable as a unit: the loader stages the day's
rows (the source being re-loaded, plus the rows other sources already have in that day) and swaps the
partition in with one `ALTER TABLE ... REPLACE PARTITION`, which is atomic, so a load killed midway
leaves the previous state and a re-run gives the same rows: never duplicates, never a half load.
"""

from __future__ import annotations

from ingestion.contracts.model import Contract


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _sort_expression(contract: Contract, name: str) -> str:
    """ClickHouse refuses Nullable sort keys by default; nulls sort first as an empty string."""
    column = contract.column(name)
    if not column.nullable:
        return _quote(name)
    if column.kind not in ("string", "code"):
        raise ValueError(f"{contract.name}: nullable {column.kind} column {name!r} cannot be a sort key")
    return f"ifNull({_quote(name)}, '')"


def create_table_sql(contract: Contract, *, database: str = "raw", table: str | None = None) -> str:
    """`CREATE TABLE IF NOT EXISTS` for the contract; `table` names a staging copy of the same shape."""
    name = table or contract.name
    columns = ",\n".join(f"    {_quote(c.name)} {c.clickhouse_type}" for c in contract.all_columns)
    order_by = ", ".join(_sort_expression(contract, k) for k in contract.order_by)
    comment = contract.doc.replace("\\", "\\\\").replace("'", "\\'")
    return (
        f"CREATE TABLE IF NOT EXISTS {_quote(database)}.{_quote(name)}\n(\n{columns}\n)\n"
        f"ENGINE = MergeTree\nPARTITION BY {_quote(contract.partition_by)}\n"
        f"ORDER BY ({order_by})"
        + (f"\nCOMMENT '{comment}'" if comment else "")
    )


def create_database_sql(database: str = "raw") -> str:
    return f"CREATE DATABASE IF NOT EXISTS {_quote(database)}"

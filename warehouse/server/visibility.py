"""Metadata a created user may see: the databases, tables and columns it holds some grant on.

clickhouse-server shows a user only what it has a grant on (any privilege on a table implies SHOW
TABLES and SHOW COLUMNS on it, any grant inside a database implies SHOW DATABASES on it), in
system.databases/tables/columns and everything built on them: SHOW DATABASES/TABLES/COLUMNS, which
the engine rewrites into queries on those tables, and the information_schema views. The engine runs
every query as its own all-seeing `default` user, so the endpoint narrows these tables itself, with the
same mechanism as row policies: `additional_table_filters` on the system tables, which the engine
applies wherever they are read, including inside SHOW and the information_schema views.

`system` and `information_schema` stay visible to everyone, as on a server where reading the system
database needs no grant (select_from_system_db_requires_grant = 0, the default).
"""

from __future__ import annotations

from collections.abc import Iterable

from . import sqltext
from .access import Grant
from .privileges import FREE_DATABASES

# System tables that list databases or tables: (table, its database column, its table column or None).
METADATA_TABLES: list[tuple[str, str, str | None]] = [
    ("system.databases", "name", None),
    ("system.tables", "database", "name"),
    ("system.columns", "database", "table"),
    ("system.parts", "database", "table"),
    ("system.parts_columns", "database", "table"),
    ("system.detached_parts", "database", "table"),
    ("system.projections", "database", "table"),
    ("system.data_skipping_indices", "database", "table"),
    ("system.dictionaries", "database", "name"),
    ("system.mutations", "database", "table"),
    ("system.merges", "database", "table"),
]


def _strings(values: Iterable[str]) -> str:
    return ", ".join(sqltext.quote_string(v) for v in sorted(values))


def metadata_filters(grants: Iterable[Grant]) -> dict[str, str]:
    """`additional_table_filters` entries that keep the metadata tables to what `grants` reach;
    empty when a grant on `*.*` makes everything visible."""
    whole: set[str] = set(FREE_DATABASES)  # databases whose every table is visible
    tables: set[tuple[str, str]] = set()
    for grant in grants:
        if grant.database is None:
            return {}
        if grant.table is None:
            whole.add(grant.database)
        else:
            tables.add((grant.database, grant.table))
    databases = whole | {db for db, _ in tables}
    out: dict[str, str] = {}
    for table, db_column, table_column in METADATA_TABLES:
        db_ident = sqltext.quote_identifier(db_column)
        if table_column is None:
            out[table] = f"{db_ident} IN ({_strings(databases)})"
            continue
        condition = f"{db_ident} IN ({_strings(whole)})"
        if tables:
            pairs = ", ".join(f"({sqltext.quote_string(db)}, {sqltext.quote_string(t)})" for db, t in sorted(tables))
            condition += f" OR has([{pairs}], ({db_ident}, {sqltext.quote_identifier(table_column)}))"
        out[table] = condition
    return out

"""What a statement needs: privilege x database/table, read from the engine's own parse of it.

The engine parses the statement (`EXPLAIN AST`), so comments, quoting, subqueries, CTEs, joins,
`IN (SELECT ...)` and query parameters are understood exactly as when it runs; no regex over SQL.
From the tree: the statement kind and target (the root node and its identifiers) and every table it
reads (`TableIdentifier` nodes). The text form of the tree is lossy in one way, names holding dots
(`a.b.c` may be `a`.`b.c` or `a.b`.`c`), so every reading that exists is required; and an unqualified
name that is no table of the current database (a CTE, a temporary table) needs nothing, as the
engine can only read what exists.

Statements this module cannot judge per table (SYSTEM, KILL, RENAME, ATTACH, partition moves between
tables, CREATE FUNCTION, ...) are for the administrator only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import sqltext


@dataclass(frozen=True)
class Need:
    """One privilege on one table (`table` None: on the database itself)."""

    privilege: str
    database: str
    table: str | None


class AdminOnly(Exception):
    """The statement is not judged per table; only the administrator may run it."""


# Reading these needs no grant, as on clickhouse-server (which filters their rows; we do not).
FREE_DATABASES = {"system", "information_schema", "INFORMATION_SCHEMA"}
GUARDED_SYSTEM_TABLES = {"query_log", "query_thread_log", "processes", "part_log", "text_log", "trace_log"}
# Table functions that read nothing outside the query; the rest are refused (sqltext.external_access
# refuses the ones reaching files and networks before this runs).
SAFE_TABLE_FUNCTIONS = {
    "numbers", "numbers_mt", "zeros", "zeros_mt", "values", "generaterandom", "null", "view", "format",
    "generate_series", "generateseries", "input", "primes",
}
_ALTER_COMMANDS = {"DELETE": "ALTER DELETE", "UPDATE": "ALTER UPDATE"}
_CROSS_TABLE_ALTERS = {"REPLACE_PARTITION", "MOVE_PARTITION", "FETCH_PARTITION", "ATTACH_PARTITION_FROM"}


@dataclass
class _Node:
    depth: int
    kind: str
    rest: str


def _parse(tree: str) -> list[_Node]:
    nodes = []
    for line in tree.splitlines():
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip(" "))
        kind, _, rest = line.strip().partition(" ")
        # Drop `(children N)` and `(alias x)` annotations.
        for marker in (" (children ", "(children "):
            cut = rest.rfind(marker)
            if cut >= 0 and rest.endswith(")"):
                rest = rest[:cut]
        if rest.endswith(")") and " (alias " in rest:
            rest = rest[: rest.rfind(" (alias ")]
        elif rest.startswith("(alias "):
            rest = ""
        nodes.append(_Node(depth, kind, rest.strip()))
    return nodes


def _readings(dotted: str) -> list[tuple[str | None, str]]:
    """Every (database, table) a dotted name may mean; database None: the current one."""
    out: list[tuple[str | None, str]] = [(None, dotted)]
    for i, ch in enumerate(dotted):
        if ch == ".":
            out.append((dotted[:i], dotted[i + 1:]))
    return out


def _first_words(sql: str, count: int) -> list[str]:
    words = []
    for tok in sqltext.tokens(sql):
        if tok.kind != "word":
            break
        words.append(tok.text.upper())
        if len(words) == count:
            break
    return words


@dataclass
class _Plan:
    targets: list[tuple[str, list[tuple[str | None, str]]]]  # (privilege, readings)
    reads: list[list[tuple[str | None, str]]]
    database_needs: list[Need]


def _identifiers(nodes: list[_Node]) -> list[str]:
    """The root's direct `Identifier` children: [db, table] or [table] (or [database])."""
    return [n.rest for n in nodes if n.depth == 1 and n.kind == "Identifier"]


def _target(nodes: list[_Node]) -> list[tuple[str | None, str]]:
    ids = _identifiers(nodes)
    if len(ids) >= 2:
        return [(ids[0], ids[1])]
    if len(ids) == 1:
        return [(None, ids[0])]
    raise AdminOnly("no target table")


def plan(sql: str, tree: str) -> _Plan:
    nodes = _parse(tree)
    if not nodes:
        return _Plan([], [], [])
    root = nodes[0]
    reads: list[list[tuple[str | None, str]]] = []
    for i, node in enumerate(nodes):
        if node.kind == "TableIdentifier":
            reads.append(_readings(node.rest))
        elif (node.kind == "Function" and i > 0 and nodes[i - 1].kind == "TableExpression"
              and node.rest.lower() not in SAFE_TABLE_FUNCTIONS):
            raise AdminOnly(f"table function {node.rest}")
    kind = root.kind
    words = _first_words(sql, 4)
    if kind in ("SelectWithUnionQuery", "SelectIntersectExceptQuery", "Explain"):
        return _Plan([], reads, [])
    if kind == "InsertQuery":
        if any(n.depth == 1 and n.kind == "Function" for n in nodes):
            raise AdminOnly("INSERT INTO FUNCTION")
        return _Plan([("INSERT", _target(nodes))], reads, [])
    if kind == "AlterQuery":
        commands = [n.rest.split(" ")[0] for n in nodes if n.kind == "AlterCommand"]
        if any(c in _CROSS_TABLE_ALTERS for c in commands):
            raise AdminOnly("partition moves between tables")
        privileges = sorted({_ALTER_COMMANDS.get(c, "ALTER") for c in commands} or {"ALTER"})
        target = _target(nodes)
        return _Plan([(p, target) for p in privileges], reads, [])
    if kind in ("DeleteQuery", "UpdateQuery"):
        return _Plan([(_ALTER_COMMANDS[kind[:6].upper()], _target(nodes))], reads, [])
    if kind == "TruncateQuery":
        if "DATABASE" in words[:2]:
            raise AdminOnly("TRUNCATE DATABASE")
        return _Plan([("TRUNCATE", _target(nodes))], reads, [])
    if kind == "OptimizeQuery":
        return _Plan([("OPTIMIZE", _target(nodes))], reads, [])
    if kind == "CreateQuery":
        if words[:1] != ["CREATE"]:
            raise AdminOnly(" ".join(words[:2]))  # ATTACH
        body = [w for w in words[1:] if w not in ("OR", "REPLACE")]
        what = body[0] if body else ""
        if what == "DATABASE":
            return _Plan([], [], [Need("CREATE DATABASE", _identifiers(nodes)[0], None)])
        if what == "TEMPORARY":
            return _Plan([], reads, [Need("CREATE TEMPORARY TABLE", "", None)])
        privilege = {"TABLE": "CREATE TABLE", "VIEW": "CREATE VIEW", "MATERIALIZED": "CREATE VIEW",
                     "DICTIONARY": "CREATE DICTIONARY"}.get(what)
        if privilege is None:
            raise AdminOnly(f"CREATE {what}")
        if any(n.kind == "ViewTargets" for n in nodes) and what == "MATERIALIZED":
            raise AdminOnly("materialized view with a TO table")
        return _Plan([(privilege, _target(nodes))], reads, [])
    if kind == "DropQuery":
        if words[:1] != ["DROP"]:
            raise AdminOnly(" ".join(words[:2]))  # DETACH
        body = [w for w in words[1:] if w not in ("IF", "EXISTS")]
        what = body[0] if body else ""
        if what == "DATABASE":
            return _Plan([], [], [Need("DROP DATABASE", _identifiers(nodes)[0], None)])
        privilege = {"TABLE": "DROP TABLE", "VIEW": "DROP VIEW", "DICTIONARY": "DROP DICTIONARY"}.get(what)
        if what == "TEMPORARY":
            return _Plan([], [], [])
        if privilege is None:
            raise AdminOnly(f"DROP {what}")
        listed = [_readings(n.rest) for n in nodes if n.kind == "TableIdentifier"]
        if listed:
            return _Plan([(privilege, r) for r in listed], [], [])
        return _Plan([(privilege, _target(nodes))], [], [])
    # Showing one object's definition needs some grant on it, as on clickhouse-server (SHOW COLUMNS /
    # SHOW DATABASES are implied by any grant; see access.Grant.reaches). DESCRIBE of a subquery reads
    # what the subquery reads.
    if kind == "DescribeQuery":
        shown = [_readings(n.rest) for n in nodes if n.kind == "TableIdentifier" and n.depth == 2]
        inner = [_readings(n.rest) for n in nodes if n.kind == "TableIdentifier" and n.depth > 2]
        return _Plan([("SHOW COLUMNS", r) for r in shown], inner, [])
    if kind in ("ShowCreateTableQuery", "ShowCreateViewQuery", "ShowCreateDictionaryQuery"):
        return _Plan([("SHOW COLUMNS", _target(nodes))], [], [])
    if kind in ("ShowCreateDatabaseQuery", "ExistsDatabaseQuery"):
        return _Plan([], [], [Need("SHOW DATABASES", _identifiers(nodes)[0], None)])
    # EXISTS checks access before existence, as clickhouse-server does, except for temporary tables.
    if kind in ("ExistsTableQuery", "ExistsViewQuery", "ExistsDictionaryQuery"):
        return _Plan([] if "TEMPORARY" in words[:2] else [("SHOW TABLES", _target(nodes))], [], [])
    # Listings are narrowed by the engine itself (see `visibility`: filters on the system tables that
    # SHOW TABLES/COLUMNS/INDEXES read).
    if kind in ("Set", "UseQuery", "ShowTables", "ShowColumns", "ShowIndexes", "ShowSetting", "ShowFunctions",
                "ShowEngineQuery"):
        return _Plan([], [], [])
    raise AdminOnly(kind)


def requirements(
    sql: str,
    tree: str,
    current_database: str,
    existing: Callable[[set[tuple[str, str]]], set[tuple[str, str]]],
) -> list[Need]:
    """The privileges `sql` needs, given its `EXPLAIN AST` text and which (db, table) pairs exist."""
    p = plan(sql, tree)
    candidates: set[tuple[str, str]] = set()
    for _, readings in p.targets:
        candidates.update((db or current_database, t) for db, t in readings)
    for readings in p.reads:
        candidates.update((db or current_database, t) for db, t in readings)
    present = existing(candidates) if candidates else set()
    needs = [n for n in p.database_needs if not (n.privilege.startswith("SHOW ") and n.database in FREE_DATABASES)]
    for privilege, readings in p.targets:
        resolved = [(db or current_database, t) for db, t in readings]
        hits = [r for r in resolved if r in present]
        if not hits and len(resolved) == 1:
            hits = resolved  # a table about to be created, or a missing one the engine will report
        if privilege.startswith("SHOW "):
            hits = [(db, t) for db, t in hits if db not in FREE_DATABASES]
        needs.extend(Need(privilege, db, t) for db, t in hits)
    for readings in p.reads:
        for db, table in {(db or current_database, t) for db, t in readings}:
            if (db, table) not in present:
                continue
            if db in FREE_DATABASES and table not in GUARDED_SYSTEM_TABLES:
                continue
            needs.append(Need("SELECT", db, table))
    return needs


def describe(need: Need) -> str:
    scope = f"{need.database}.{need.table}" if need.table is not None else f"{need.database}.*"
    return f"{need.privilege} ON {scope}"


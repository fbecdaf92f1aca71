"""`SHOW CREATE TABLE system.<name>`, which chDB cannot answer.

clickhouse-server renders a system table's definition from its storage (`ENGINE = SystemTables` and the
columns), while chDB keeps no metadata for system tables and answers UNKNOWN_TABLE; clients and tools
(clickhouse-connect's own suite, schema browsers) ask for it. The engine still knows the columns and
the engine name, in system.columns and system.tables, so the endpoint assembles the statement from them
and answers it as the one-row, one-column `statement` result a server sends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from . import sqltext
from .access import _show_name

SYSTEM = "system"
# Runs one statement on the request's engine connection: (sql, query parameters) -> (output, stats).
Execute = Callable[[str, Mapping[str, str]], tuple[bytes, object]]


def system_target(statement: str, current_database: Callable[[], str]) -> str | None:
    """The system table named by `SHOW CREATE [TEMPORARY] [TABLE] [system.]name [FORMAT f]`, else None."""
    toks = [t for t in sqltext.tokens(statement) if t.depth == 0]
    while toks and toks[-1].text == ";":
        toks.pop()
    words = [t.text.upper() if t.kind == "word" else None for t in toks]
    if words[:2] != ["SHOW", "CREATE"]:
        return None
    i = 2
    for optional in ("TEMPORARY", "TABLE"):
        if i < len(words) and words[i] == optional:
            i += 1
    names: list[str] = []
    while i < len(toks) and toks[i].kind in ("word", "ident") and words[i] not in ("FORMAT", "SETTINGS", "INTO"):
        names.append(_unquote(toks[i].text))
        i += 1
        if i < len(toks) and toks[i].text == "." and len(names) == 1:
            i += 1
            continue
        break
    if i < len(toks) and words[i] != "FORMAT":  # anything else (SETTINGS, INTO OUTFILE): leave to the engine
        return None
    if len(names) == 2:
        return names[1] if names[0] == SYSTEM else None
    if len(names) == 1 and current_database() == SYSTEM:
        return names[0]
    return None


def _unquote(text: str) -> str:
    if text[:1] in "`\"" and len(text) >= 2:
        return text[1:-1].replace(text[0] * 2, text[0]).replace("\\" + text[0], text[0])
    return text


def render(name: str, engine: str, comment: str, columns: list[tuple[str, str]]) -> str:
    """The statement as clickhouse-server formats it."""
    lines = ",\n".join(f"    {sqltext.quote_identifier(col)} {type_}" for col, type_ in columns)
    text = f"CREATE TABLE {SYSTEM}.{_show_name(name)}\n(\n{lines}\n)\nENGINE = {engine}"
    if comment:
        text += f"\nCOMMENT {sqltext.quote_string(comment)}"
    return text


def answer(statement: str, execute: Execute) -> tuple[str, dict[str, str]] | None:
    """For `SHOW CREATE TABLE system.x`: a query answering it and its parameters; None for any other
    statement, or for an unknown system table (the engine then reports it)."""
    def current() -> str:
        out, _ = execute("SELECT currentDatabase()", {})
        return out.decode("utf-8").rstrip("\n")

    name = system_target(statement, current)
    if name is None:
        return None
    where = {"t": name}
    meta, _ = execute("SELECT engine, comment FROM system.tables WHERE database = 'system' AND name = {t:String} "
                      "FORMAT JSONCompactEachRow", where)
    if not meta.strip():
        return None
    engine, comment = json.loads(meta)
    out, _ = execute("SELECT name, type FROM system.columns WHERE database = 'system' AND table = {t:String} "
                     "ORDER BY position FORMAT JSONCompactEachRow", where)
    columns = [tuple(json.loads(line)) for line in out.decode("utf-8").splitlines() if line]
    text = render(name, engine, comment, columns)
    clause = sqltext.output_clause(statement)
    sql = "SELECT {tallyhouse_statement:String} AS statement" + (f" FORMAT {clause.format}" if clause.format else "")
    # Query parameter values arrive TSV-escaped.
    escaped = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    return sql, {"tallyhouse_statement": escaped}

"""Arrow inserts handed to the engine as Arrow record batches instead of bytes to parse.

chDB parses an `ArrowStream` body on one thread, decompressing every buffer as it goes, while its
`Python()` table function reads pyarrow record batches straight from memory (the same path the
in-process benchmark uses). Measured on 1M order lines, lz4-compressed as clickhouse-connect sends them:
0.62-1.2 s through the engine's Arrow parser, 0.46-0.6 s as `INSERT ... SELECT ... FROM Python(reader)`;
through the endpoint (8 interleaved 1M-row posts each, loaded machine) median 6.3 s vs 7.1 s, min 2.8 s vs
3.3 s: a modest gain, most of the endpoint's remaining cost being the client encoding the Arrow body.
So the endpoint decodes the incoming stream with pyarrow, batch by batch as the body arrives (nothing
is buffered whole), and lets the engine pull the batches. A body of many batches is inserted while the
rest still arrives; `warehouse.streaming_insert` sends such bodies (insert_arrow sends one batch).

Only plain inserts take this path: `INSERT INTO table (columns) FORMAT Arrow|ArrowStream` with an
explicit column list and nothing after it (clickhouse-connect's shape). The Arrow input format matches
columns by name and fills listed columns missing from the data with defaults, so the statement selects
the listed columns that the data has, by name; anything else keeps the engine's own Arrow parser.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from . import sqltext


@dataclass(frozen=True)
class PlainInsert:
    """`INSERT INTO <target> (<columns>)`: the target as written and the column names unquoted."""

    target: str
    columns: list[str]


def _unquote(tok: sqltext.Token) -> str | None:
    if tok.kind == "word":
        return tok.text
    if tok.kind == "ident" and len(tok.text) >= 2 and "\\" not in tok.text:
        quote = tok.text[0]
        return tok.text[1:-1].replace(quote * 2, quote)
    return None


def plain_insert(statement: str) -> PlainInsert | None:
    """The target and column list of a plain `INSERT INTO t (a, b)`; None for anything else."""
    toks = list(sqltext.tokens(statement))
    while toks and toks[-1].text == ";":
        toks.pop()
    words = [t.text.upper() for t in toks[:3]]
    if words[:2] != ["INSERT", "INTO"]:
        return None
    i = 3 if len(words) > 2 and words[2] == "TABLE" else 2
    start = i
    # The target: name or db.name, then the parenthesised column list ending the statement.
    while i < len(toks) and toks[i].depth == 0 and toks[i].text != "(":
        if toks[i].kind == "word" and toks[i].text.upper() in ("FUNCTION", "SETTINGS"):
            return None
        i += 1
    if i == start or i >= len(toks) or i - start not in (1, 3):
        return None
    target = statement[toks[start].start: toks[i - 1].end]
    columns: list[str] = []
    expect_name = True
    for tok in toks[i + 1:]:
        if tok.depth == 0:
            if tok.text != ")" or tok is not toks[-1] or expect_name:
                return None
            break
        if tok.depth != 1:
            return None
        if expect_name:
            name = _unquote(tok)
            if name is None:
                return None
            columns.append(name)
        elif tok.text != ",":
            return None
        expect_name = not expect_name
    else:
        return None
    return PlainInsert(target, columns) if columns else None


class _BodyFile(io.RawIOBase):
    """The request body (an iterator of chunks) as a readable file for pyarrow's stream reader."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def open_stream(chunks: Iterator[bytes]) -> pa.RecordBatchReader:
    """A record-batch reader over an ArrowStream body; batches are decoded as the body arrives."""
    return pa.ipc.open_stream(io.BufferedReader(_BodyFile(chunks), buffer_size=1 << 20))


def select_sql(insert: PlainInsert, schema: pa.Schema, source: str) -> str | None:
    """`INSERT INTO t (cols) SELECT cols FROM Python(source)` for the listed columns the data has."""
    present = [name for name in insert.columns if schema.get_field_index(name) >= 0]
    if not present:
        return None
    names = ", ".join(sqltext.quote_identifier(name) for name in present)
    return f"INSERT INTO {insert.target} ({names}) SELECT {names} FROM Python({source})"

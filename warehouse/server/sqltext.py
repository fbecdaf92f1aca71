"""Just enough of ClickHouse's SQL lexer to cut a request into statement, FORMAT clause and inline data.

The HTTP interface concatenates the `query` parameter and the body, and an INSERT's data follows its
`FORMAT name` (or `VALUES`) inside that text. The engine takes the statement and the data separately, so
the endpoint must find where the statement ends without mistaking a `FORMAT` in a string, a comment or
a column name for the clause. Offsets are character offsets; callers scan latin-1 text so that they are
also byte offsets into the original body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_WORD_RE = re.compile(r"[A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*")
_NUMBER_RE = re.compile(r"[0-9][0-9A-Za-z_.]*")
_DOLLAR_WORD_RE = re.compile(r"\$[A-Za-z0-9_$\x80-\xff]*")
_HEREDOC_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


@dataclass(frozen=True)
class Token:
    kind: str  # word | string | ident | heredoc | number | punct
    text: str
    start: int
    end: int
    depth: int


def tokens(sql: str) -> Iterator[Token]:
    """Lazily yield tokens with their parenthesis depth, skipping whitespace and comments."""
    i, n, depth = 0, len(sql), 0
    while i < n:
        c = sql[i]
        if c.isspace():
            i += 1
        elif sql.startswith("--", i) or c == "#":
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c in "'\"`":
            j = i + 1
            while j < n:
                if sql[j] == "\\":
                    j += 2
                    continue
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            end = min(j + 1, n)
            yield Token("string" if c == "'" else "ident", sql[i:end], i, end, depth)
            i = end
        elif c == "$" and (m := _HEREDOC_RE.match(sql, i)) and (close := sql.find(m.group(0), m.end())) >= 0:
            # As ClickHouse's lexer: `$tag$` opens a heredoc only if the same tag closes it later.
            end = close + len(m.group(0))
            yield Token("heredoc", sql[i:end], i, end, depth)
            i = end
        elif c == "$" and (m := _DOLLAR_WORD_RE.match(sql, i)):
            yield Token("word", m.group(0), i, m.end(), depth)
            i = m.end()
        elif c == "(" or c == "[":
            yield Token("punct", c, i, i + 1, depth)
            depth += 1
            i += 1
        elif c == ")" or c == "]":
            depth = max(0, depth - 1)
            yield Token("punct", c, i, i + 1, depth)
            i += 1
        elif m := _WORD_RE.match(sql, i):
            yield Token("word", m.group(0), i, m.end(), depth)
            i = m.end()
        elif m := _NUMBER_RE.match(sql, i):
            yield Token("number", m.group(0), i, m.end(), depth)
            i = m.end()
        else:
            yield Token("punct", c, i, i + 1, depth)
            i += 1


def first_keyword(sql: str) -> str:
    for tok in tokens(sql):
        return tok.text.upper() if tok.kind == "word" else ""
    return ""


@dataclass(frozen=True)
class InsertSplit:
    """An INSERT whose data travels after the statement: `statement` goes to the engine, data follows."""

    statement: str
    format: str
    data_offset: int


def split_insert(text: str) -> InsertSplit | None | bool:
    """Find where an INSERT's inline data starts.

    Returns the split, None when the text is not an INSERT that carries data (INSERT ... SELECT, other
    statements), or False when the statement is still incomplete (read more of the body and retry).
    """
    toks = tokens(text)
    first = next(toks, None)
    if first is None or first.kind != "word" or first.text.upper() != "INSERT":
        return None
    for tok in toks:
        if tok.depth != 0 or tok.kind != "word":
            continue
        word = tok.text.upper()
        if word in ("SELECT", "WITH") or word == "FROM":
            return None
        if word == "VALUES":
            return InsertSplit(text[: tok.start].rstrip(), "Values", tok.end)
        if word == "FORMAT":
            name = next(toks, None)
            if name is None or name.end >= len(text):
                return False
            # ClickHouse: data starts after the first newline, if there is one, or after the whitespace.
            i = name.end
            while i < len(text) and text[i] in " \t\r\f\v":
                i += 1
            if i < len(text) and text[i] == "\n":
                i += 1
            elif i >= len(text):
                return False
            return InsertSplit(text[: tok.start].rstrip(), name.text.strip("`\""), i)
    return False


@dataclass(frozen=True)
class OutputClause:
    """Where a statement's output clause goes: its explicit FORMAT (if any) and the insertion point."""

    format: str | None
    insert_at: int  # offset where `INTO OUTFILE ...` may be placed (before FORMAT or at the end)
    settings_at: int | None


def output_clause(sql: str) -> OutputClause:
    """The top-level `FORMAT name` clause, accepted only where ClickHouse accepts it: last, before SETTINGS."""
    toks = [t for t in tokens(sql) if t.depth == 0]
    # Drop trailing semicolons.
    while toks and toks[-1].text == ";":
        toks.pop()
    end = toks[-1].end if toks else 0
    for k in range(len(toks) - 2, -1, -1):
        tok = toks[k]
        if tok.kind == "word" and tok.text.upper() == "FORMAT" and toks[k + 1].kind in ("word", "ident"):
            rest = toks[k + 2:]
            if not rest or (rest[0].kind == "word" and rest[0].text.upper() == "SETTINGS"):
                settings_at = rest[0].start if rest else None
                return OutputClause(toks[k + 1].text.strip("`\""), tok.start, settings_at)
    return OutputClause(None, end, None)


def statement_end(sql: str) -> int:
    """Offset after the last meaningful token (drops trailing semicolons, comments and whitespace)."""
    toks = list(tokens(sql))
    while toks and toks[-1].text == ";":
        toks.pop()
    return toks[-1].end if toks else 0


def quote_string(value: str) -> str:
    """A ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def escape_non_utf8(text: str) -> str:
    """Make a query with raw non-UTF-8 bytes (decoded with surrogateescape) acceptable to the engine.

    clickhouse-server takes arbitrary bytes inside string literals; chDB takes only valid UTF-8 text, so
    such bytes are rewritten as `\\xHH` escapes, which ClickHouse turns back into the same bytes.
    """
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    parts: list[str] = []
    last = 0
    for tok in tokens(text):
        if tok.kind in ("string", "ident"):
            parts.append(text[last: tok.start])
            parts.append("".join(_escape_byte(ch) for ch in tok.text))
            last = tok.end
        elif tok.kind == "heredoc" and any("\udc80" <= ch <= "\udcff" for ch in tok.text):
            # Heredocs are raw, so the value is re-quoted as an ordinary literal that can carry escapes.
            tag = _HEREDOC_RE.match(tok.text).group(0)
            body = tok.text[len(tag): -len(tag)]
            literal = body.replace("\\", "\\\\").replace("'", "\\'")
            parts.append(text[last: tok.start])
            parts.append("'" + "".join(_escape_byte(ch) for ch in literal) + "'")
            last = tok.end
    parts.append(text[last:])
    return "".join(parts)


def _escape_byte(ch: str) -> str:
    return f"\\x{ord(ch) - 0xDC00:02X}" if "\udc80" <= ch <= "\udcff" else ch


def has_into_outfile(sql: str) -> bool:
    """Whether the statement asks the server to write a file (never allowed over HTTP)."""
    previous = ""
    for tok in tokens(sql):
        if tok.depth == 0 and tok.kind == "word":
            word = tok.text.upper()
            if previous == "INTO" and word == "OUTFILE":
                return True
            previous = word
        else:
            previous = ""
    return False


# Table functions that reach the server's filesystem, network or processes. clickhouse-server confines
# them with grants and user_files_path; chDB has neither, so read-only users are refused them outright.
EXTERNAL_ACCESS_FUNCTIONS = frozenset(
    name.lower()
    for name in (
        "file", "fileCluster", "url", "urlCluster", "s3", "s3Cluster", "gcs", "hdfs", "hdfsCluster",
        "azureBlobStorage", "azureBlobStorageCluster", "executable", "executablePool", "python", "remote",
        "remoteSecure", "cluster", "clusterAllReplicas", "mysql", "postgresql", "sqlite", "jdbc", "odbc",
        "mongodb", "redis", "iceberg", "icebergS3", "deltaLake", "hudi", "arrowFlight", "ytsaurus", "paimon",
    )
)


def external_access(sql: str) -> str | None:
    """The first table function (or INFILE clause) in `sql` that reads outside the database, if any."""
    previous: Token | None = None
    for tok in tokens(sql):
        if previous is not None and previous.kind == "word":
            name = previous.text.lower()
            if tok.text == "(" and name in EXTERNAL_ACCESS_FUNCTIONS:
                return previous.text
            if name == "infile":
                return "INFILE"
        previous = tok
    if previous is not None and previous.kind == "word" and previous.text.lower() == "infile":
        return "INFILE"
    return None

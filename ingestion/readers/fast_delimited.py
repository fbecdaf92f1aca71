"""The columnar fast path for delimited text: polars splits the well-formed rows, Python only the odd ones.

The stdlib csv reader costs about a microsecond per field in Python, several times the bare insert of
the same rows. Most lines of a real export are plain: one record per line, the header's number of
fields, quotes (if any) around whole fields. Those are found with vectorised string expressions and
split by polars' CSV reader in one call; every other line (too few or too many fields, a stray quote,
a blank row) goes through the same per-row rules as the row path (`tabular.classify_row`), so broken
rows are reported exactly as before, naming the row and field.

The fast path declines (returns None, and the caller uses the row path) whenever the file could hold a
record spanning lines or a line end the split would misread: an odd number of quotes on a line (a
quoted newline, or a file cut inside a quote), a lone carriage return, control characters, a header
pinned beyond the searched rows. Declining is always safe; guessing is not.
"""

from __future__ import annotations

import csv
import io
import re

import polars as pl

from ingestion.readers.base import ROW, BrokenRow, RawTable, unique_names
from ingestion.readers.tabular import HEADER_SEARCH_ROWS, classify_row, find_header, header_cells

_QUOTED_FIELD = r'"(?:[^"]|"")*"'
_PLACEHOLDER = "\x01"


def _shape(lines: pl.Series, sep: str, width: int) -> pl.Series:
    """True for lines that are one record of `width` fields whose quotes, if any, enclose whole fields
    (the lines both readers split the same way). The quote regex runs only on lines that have quotes."""
    plain = ~lines.str.contains('"', literal=True)
    ok = plain & (lines.str.count_matches(sep, literal=True) == width - 1)
    quoted_at = (~plain).arg_true()
    if quoted_at.len():
        quoted = lines.gather(quoted_at)
        cleaned = quoted.str.replace_all(_QUOTED_FIELD, _PLACEHOLDER)
        s = re.escape(sep)
        misplaced = cleaned.str.contains(f"[^{s}]{_PLACEHOLDER}|{_PLACEHOLDER}[^{s}]")
        good = (~cleaned.str.contains('"', literal=True) & ~misplaced
                & (cleaned.str.count_matches(sep, literal=True) == width - 1))
        ok = ok.scatter(quoted_at, good)
    return ok


def _blank_rows(frame: pl.DataFrame, lines: pl.Series, sep: str) -> pl.Series:
    """Rows whose every cell is blank; only lines made of separators, spaces and quotes can be."""
    maybe = lines.str.contains(f"^[\\s\"{re.escape(sep)}]*$")
    blank = pl.Series("blank", [False] * frame.height, dtype=pl.Boolean)
    at = maybe.arg_true()
    if at.len():
        subset = frame[at]
        exact = subset.select(pl.all_horizontal(pl.col(c).str.strip_chars() == "" for c in frame.columns)).to_series()
        blank = blank.scatter(at, exact)
    return blank


def _first_cells(frame: pl.DataFrame) -> list[str]:
    """Each row's first non-empty cell, stripped ("" when none): what a summary-row pattern tests."""
    stripped = [pl.col(c).str.strip_chars() for c in frame.columns]
    first = pl.coalesce([pl.when(e.str.len_chars() > 0).then(e) for e in stripped]).fill_null("")
    return frame.select(first.alias("first")).to_series().to_list()


def fast_grid_table(
    utf8: bytes,
    sep: str,
    *,
    expected_headers: list[str],
    header_row: int | None,
    encoding: str | None,
    skip_rows: re.Pattern[str] | None,
) -> RawTable | None:
    """The same RawTable `grid_to_table(split_rows(text))` gives, or None when this path cannot be sure.

    utf8: the decoded text as UTF-8 bytes (no BOM). Lines are split and tested in polars, not Python:
    Python string methods on non-ASCII text (every Chinese export) are the slow part otherwise.
    """
    if len(sep) != 1 or sep == '"' or b"\x00" in utf8 or _PLACEHOLDER.encode() in utf8:
        return None
    crlf = b"\r" in utf8
    if crlf and utf8.count(b"\r") != utf8.count(b"\r\n"):
        return None  # a lone CR ends a record for the csv module, not for a line split
    if header_row is not None and header_row > HEADER_SEARCH_ROWS:
        return None
    series = pl.Series("data", [utf8], dtype=pl.Binary).cast(pl.Utf8).str.split("\n").explode()
    if crlf:
        series = series.str.strip_suffix("\r")
    if series.len() and series[-1] == "":
        series = series.slice(0, series.len() - 1)  # the newline ending the last record starts no record
    if series.len() <= 1:
        return None  # nothing to gain; the row path reports empty and header-only files
    if (series.str.count_matches('"', literal=True) % 2 == 1).any():
        return None
    head = list(csv.reader(series.slice(0, HEADER_SEARCH_ROWS).to_list(), delimiter=sep, strict=False))
    h = find_header(head, expected_headers, header_row)
    header = unique_names(header_cells(head[h]))
    width = len(header)
    if width == 0 or ROW in header:
        return None  # the row path raises the precise UnreadableFile

    body = series.slice(h + 1)
    empty = body == ""
    regular = _shape(body, sep, width)
    regular_at = regular.arg_true()
    odd_at = (~empty & ~regular).arg_true().to_list()
    regular_lines = body.gather(regular_at)

    names = [f"c{i}" for i in range(width)]
    try:
        if regular_at.len():
            payload = regular_lines.str.join("\n").cast(pl.Binary).item()
            parsed = pl.read_csv(io.BytesIO(payload), has_header=False, separator=sep, quote_char='"',
                                 schema=dict.fromkeys(names, pl.Utf8), empty_string_is_null=False,
                                 raise_if_empty=False)
        else:
            parsed = pl.DataFrame(schema=dict.fromkeys(names, pl.Utf8))
    except pl.exceptions.PolarsError:
        return None
    if parsed.height != regular_at.len():
        return None

    odd_rows = [next(csv.reader([body[i]], delimiter=sep, strict=False), []) for i in odd_at]
    skip = pl.Series("skip", [False] * body.len(), dtype=pl.Boolean)
    if skip_rows is not None:
        flags = [bool(first) and skip_rows.search(first) is not None for first in _first_cells(parsed)]
        skip = skip.scatter(regular_at, pl.Series(flags, dtype=pl.Boolean))
        odd_flags = []
        for row in odd_rows:
            first = next((str(v).strip() for v in row if v is not None and str(v).strip()), "")
            odd_flags.append(bool(first) and skip_rows.search(first) is not None)
        if odd_at:
            skip = skip.scatter(odd_at, pl.Series(odd_flags, dtype=pl.Boolean))
    numbers = (~skip).cast(pl.UInt32).cum_sum()

    keep = ~_blank_rows(parsed, regular_lines, sep) & ~skip.gather(regular_at)
    good = parsed.with_columns(numbers.gather(regular_at).alias(ROW)).filter(keep)
    skip_list = skip.to_list() if odd_at else []

    extra: list[list[str | None]] = []
    extra_numbers: list[int] = []
    broken: list[BrokenRow] = []
    for i, row in zip(odd_at, odd_rows, strict=True):
        if skip_list[i]:
            continue
        outcome = classify_row(row, header, int(numbers[i]), strict_width=True)
        if isinstance(outcome, BrokenRow):
            broken.append(outcome)
        elif outcome is not None:
            extra.append(outcome)
            extra_numbers.append(int(numbers[i]))
    if extra:
        columns = {n: [r[k] for r in extra] for k, n in enumerate(names)}
        rescued = pl.DataFrame({**columns, ROW: extra_numbers}, schema={**dict.fromkeys(names, pl.Utf8),
                                                                         ROW: pl.UInt32})
        good = pl.concat([good, rescued]).sort(ROW)
    table = RawTable(good.rename(dict(zip(names, header, strict=True))), broken=broken, encoding=encoding)
    skipped = int(skip.sum())
    if skipped:
        table.notes.append(f"skipped {skipped} summary row(s) matching {skip_rows.pattern!r}")
    table.notes.append(f"columnar split: {regular_at.len()} rows fast, {len(odd_at)} by the row path")
    return table


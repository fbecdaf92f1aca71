"""The columnar fast path for spreadsheet grids: cell values become text per column, in polars.

The row path turns every cell into text with `excel.cell_text` and every row into a data row with
`tabular.classify_row`: a few microseconds per cell in Python, more than inserting the row. A bill's
columns hold one kind of value each (text, or numbers as Excel's floats), so a column of strings is
taken as it is and a column of floats is formatted by polars (integral floats as integers, others as
the shortest text that round-trips, which is Python's repr in the range polars prints positionally);
dates by polars too; only mixed columns (dates among text), integers, datetimes and the rare floats outside that range go through
`cell_text` cell by cell. Blank rows (numbered, dropped) and summary rows (not numbered) are found
with expressions.

It declines (None: the caller uses the row path) for what only the row path reports exactly: ragged
rows, non-empty cells beyond the header, a header pinned or found beyond the searched rows, a column
named like the row-number column, small sheets (nothing to gain).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import polars as pl

from ingestion.readers.base import ROW, RawTable, unique_names
from ingestion.readers.tabular import HEADER_SEARCH_ROWS, find_header, header_cells

# polars prints a float positionally in this range, exactly as Python's repr does; outside it repr
# uses an exponent ("1e-05")
_POSITIONAL = (1e-4, 1e16)


def _texts(values: Sequence[object], cell_text) -> pl.Series:  # noqa: ANN001 - excel.cell_text
    """One column's cells as `cell_text` renders them."""
    kinds = set(map(type, values))
    if kinds <= {str, type(None)}:
        s = pl.Series(values, dtype=pl.Utf8)
        return s.set(s == "", None)
    if kinds <= {float, type(None)}:
        f = pl.Series(values, dtype=pl.Float64)
        size = f.abs()
        integral = (f == f.round(0)) & (size < 1e15)
        positional = (size >= _POSITIONAL[0]) & (size < _POSITIONAL[1])
        text = pl.select(
            pl.when(integral).then(f.cast(pl.Int64, strict=False).cast(pl.Utf8))
            .when(positional).then(f.cast(pl.Utf8))
        ).to_series()
        odd = (f.is_not_null() & text.is_null()).arg_true()
        if odd.len():
            text = text.scatter(odd, pl.Series([cell_text(values[i]) for i in odd.to_list()], dtype=pl.Utf8))
        return text
    if kinds <= {date, type(None)}:  # exactly dates (a datetime is a date subclass, and is not here)
        return pl.Series(values, dtype=pl.Date).cast(pl.Utf8)  # ISO, as date.isoformat()
    return pl.Series([cell_text(v) for v in values], dtype=pl.Utf8)


def fast_sheet_table(grid: Sequence[Sequence[object]], *, expected_headers: list[str], header_row: int | None,
                     skip_rows: re.Pattern[str] | None, cell_text) -> RawTable | None:  # noqa: ANN001
    """What `grid_to_table` gives for the sheet's rows rendered by `cell_text`, or None to decline."""
    if len(grid) <= HEADER_SEARCH_ROWS + 1 or (header_row is not None and header_row > HEADER_SEARCH_ROWS):
        return None
    width_all = len(grid[0])
    if any(len(row) != width_all for row in grid):
        return None
    head = [[cell_text(v) for v in row] for row in grid[:HEADER_SEARCH_ROWS]]
    h = find_header(head, expected_headers, header_row)
    header = unique_names(header_cells(head[h]))
    width = len(header)
    if width == 0 or ROW in header:
        return None
    body = grid[h + 1:]
    columns = [_texts(values, cell_text) for values in zip(*body, strict=True)]
    frame = pl.DataFrame([c.alias(f"c{i}") for i, c in enumerate(columns)])
    filled = [pl.col(f"c{i}").str.contains(r"\S").fill_null(False) for i in range(width_all)]
    if width < width_all and frame.select(pl.any_horizontal(filled[width:]).any()).item():
        return None  # a value beyond the header: the row path names the misaligned row
    stripped = [pl.col(f"c{i}").str.strip_chars() for i in range(width)]
    first = pl.coalesce([pl.when(e.str.len_chars() > 0).then(e) for e in stripped]).fill_null("")
    marks = frame.select(pl.any_horizontal(filled[:width]).alias("filled"), first.alias("first"))
    skip = pl.Series("skip", [False] * len(body), dtype=pl.Boolean)
    if skip_rows is not None:
        skip = pl.Series("skip", [bool(v) and skip_rows.search(v) is not None for v in marks["first"].to_list()],
                         dtype=pl.Boolean)
    numbers = (~skip).cast(pl.UInt32).cum_sum().alias(ROW)
    keep = marks["filled"] & ~skip
    good = frame.select([pl.col(f"c{i}").alias(name) for i, name in enumerate(header)]).with_columns(numbers)
    table = RawTable(good.filter(keep), encoding=None)
    skipped = int(skip.sum())
    if skipped:
        table.notes.append(f"skipped {skipped} summary row(s) matching {skip_rows.pattern!r}")
    return table

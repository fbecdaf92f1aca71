"""Grid rows (CSV, XLSX, PDF tables) to a RawTable: find the header row, number and check the data rows.

Bills and exports often open with title lines ("顺丰速运 月结账单 2026-01") above the real header, so the
header is the row among the first few that matches the most expected column names; a mapping can pin it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from ingestion.readers.base import (
    ROW,
    BrokenRow,
    RawTable,
    UnreadableFile,
    frame_from_columns,
    row_text,
    unique_names,
)

HEADER_SEARCH_ROWS = 30


def normalize_header(name: str | None) -> str:
    """Compare headers as a person would: full-width and half-width alike, case and spacing ignored."""
    text = unicodedata.normalize("NFKC", name or "").replace("\ufeff", "")
    return " ".join(text.split()).casefold()


def _is_blank(row: Sequence[str | None]) -> bool:
    return all(v is None or not str(v).strip() for v in row)


def header_cells(row: Sequence[str | None]) -> list[str | None]:
    """The header row without its trailing blanks: a trailing delimiter or empty spreadsheet cells are not
    a column (every reader, row-wise or columnar, must agree on the width)."""
    cells = list(row)
    while cells and (cells[-1] is None or not str(cells[-1]).strip()):
        cells.pop()
    return cells


def find_header(rows: Sequence[Sequence[str | None]], expected: Iterable[str], header_row: int | None) -> int:
    """Index (0-based) of the header row; the pinned one, else the best match among the first rows."""
    if header_row is not None:
        if header_row < 1 or header_row > len(rows):
            raise UnreadableFile(f"header row {header_row} is past the end of the file ({len(rows)} rows)")
        return header_row - 1
    wanted = {normalize_header(e) for e in expected}
    best, best_hits = -1, 0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = len({normalize_header(v) for v in row if v is not None} & wanted)
        if hits > best_hits:
            best, best_hits = i, hits
    if best < 0:
        first = next((r for r in rows[:HEADER_SEARCH_ROWS] if not _is_blank(r)), None)
        if first is None:
            raise UnreadableFile("the file has no rows")
        raise UnreadableFile(
            f"no header row found: none of the expected column names in the first {HEADER_SEARCH_ROWS} rows "
            f"(first row: {row_text(list(first))[:300]})"
        )
    return best


def classify_row(row: Sequence[str | None], header: list[str], number: int, *,
                 strict_width: bool) -> list[str | None] | BrokenRow | None:
    """One data row against the header: its cells (padded where allowed), a broken row, or None (blank).

    Shared by the row path and the columnar fast path (for the lines it cannot split), so both report
    a cut or misaligned row with the same field and reason.
    """
    width = len(header)
    if _is_blank(row) and (not strict_width or len(row) == 0 or len(row) >= width):
        return None  # an empty line, or a full row of empty cells; a short empty row may be a cut one
    cells = list(row)
    while len(cells) > width and (cells[-1] is None or not str(cells[-1]).strip()):
        cells.pop()  # trailing delimiters / empty spreadsheet cells carry nothing
    if len(cells) > width:
        return BrokenRow(number, "<row>", f"row has {len(cells)} fields, the header has {width}", row_text(cells))
    if len(cells) < width:
        if strict_width:
            return BrokenRow(
                number, header[len(cells)],
                f"row has {len(cells)} fields, the header has {width}: cut short from column "
                f"{header[len(cells)]!r} on (truncated or misaligned)", row_text(cells), header[len(cells)])
        cells.extend([None] * (width - len(cells)))
    return [None if value is None else str(value) for value in cells]


def grid_to_table(
    rows: Sequence[Sequence[str | None]],
    *,
    expected_headers: Iterable[str],
    header_row: int | None = None,
    strict_width: bool = True,
    drop_repeated_header: bool = False,
    encoding: str | None = None,
    last_row_cut: bool = False,
    skip_rows: re.Pattern[str] | None = None,
) -> RawTable:
    """Rows after the header become data rows numbered from 1; blank rows keep their number but vanish.

    strict_width: a CSV row with fewer fields than the header was cut (a truncated file) and one with
    extra non-empty fields is misaligned; both are broken rows. Spreadsheets and PDFs drop trailing
    empty cells, so there short rows are padded instead. last_row_cut: the reader saw the data end
    inside a quoted field, so the last row is broken whatever its width. skip_rows: rows whose first
    non-empty cell matches (a bill's "合计"/"Total" line) are summaries, not data: they are not
    numbered and are counted in the table's notes.
    """
    h = find_header(rows, expected_headers, header_row)
    cells = header_cells(rows[h])
    header = unique_names([None if v is None else str(v) for v in cells])
    width = len(header)
    if width == 0:
        raise UnreadableFile(f"header row {h + 1} is empty")
    header_key = [normalize_header(v) for v in cells]
    columns: list[list[str | None]] = [[] for _ in range(width)]
    numbers: list[int] = []
    broken: list[BrokenRow] = []
    number = skipped = 0
    body = rows[h + 1 :]
    for index, row in enumerate(body):
        if drop_repeated_header and [normalize_header(v) for v in row][: len(header_key)] == header_key:
            continue  # a page break repeated the header: not a data row
        if skip_rows is not None:
            first = next((str(v).strip() for v in row if v is not None and str(v).strip()), "")
            if first and skip_rows.search(first):
                skipped += 1
                continue
        number += 1
        if last_row_cut and index == len(body) - 1 and not (
                _is_blank(row) and (not strict_width or len(row) == 0 or len(row) >= width)):
            cells = list(row)
            cut_at = header[min(len(cells), width) - 1]
            broken.append(BrokenRow(number, cut_at, "the file ends inside a quoted field: the last row is cut",
                                    row_text(cells), cut_at))
            continue
        outcome = classify_row(row, header, number, strict_width=strict_width)
        if isinstance(outcome, BrokenRow):
            broken.append(outcome)
        elif outcome is not None:
            for col, value in zip(columns, outcome, strict=True):
                col.append(value)
            numbers.append(number)
    table = RawTable(frame_from_columns(header, columns, numbers), broken=broken, encoding=encoding)
    if skipped:
        table.notes.append(f"skipped {skipped} summary row(s) matching {skip_rows.pattern!r}")
    if ROW in header:
        raise UnreadableFile(f"a column is named {ROW!r}")
    return table

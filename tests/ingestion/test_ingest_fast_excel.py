"""The columnar spreadsheet path gives exactly the row path's table (text, numbering, summaries, blanks)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import polars as pl
import pytest
from openpyxl import Workbook
from polars.testing import assert_frame_equal
from python_calamine import CalamineWorkbook

from ingestion.readers.base import ROW
from ingestion.readers.excel import cell_text, read_xlsx
from ingestion.readers.fast_excel import fast_sheet_table
from ingestion.readers.tabular import grid_to_table

HEADERS = ["Invoice", "Ship Date", "Tracking", "Weight", "Amount", "Note"]
SUMMARY = re.compile(r"^(Total|合计)")


def _sheet(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Detail"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rows(extra_cell: bool = False) -> list[list[object]]:
    rows: list[list[object]] = [["FedEx invoice detail, week 40"], [], HEADERS]
    for i in range(60):
        rows.append([
            "INV-1", date(2026, 10, 1 + i % 5), 7300000 + i,  # a numeric tracking number stays digits
            [0.5, 1.0, 12.25, 1e-05, 3e16][i % 5],            # integral, fractional, tiny and huge floats
            f"{i}.50" if i % 7 else 8,                         # text and numbers mixed in one column
            None if i % 3 else "  ",
        ])
        if i == 20:
            rows.append([None] * 6)                           # blank: numbered, dropped
        if i == 30:
            rows.append(["Total", None, None, None, 1234.5, None])  # summary: not numbered
    if extra_cell:
        rows[10] = [*rows[10], "stray"]
    return rows


def _grid(data: bytes) -> list[list[object]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Detail").to_python(
        skip_empty_area=False)


def test_columnar_sheet_equals_the_row_path() -> None:
    grid = _grid(_sheet(_rows()))
    fast = fast_sheet_table(grid, expected_headers=HEADERS, header_row=None, skip_rows=SUMMARY, cell_text=cell_text)
    slow = grid_to_table([[cell_text(v) for v in row] for row in grid], expected_headers=HEADERS,
                         strict_width=False, skip_rows=SUMMARY)
    assert fast is not None
    assert_frame_equal(fast.frame, slow.frame)
    assert fast.notes == slow.notes == ["skipped 1 summary row(s) matching '^(Total|合计)'"]
    assert fast.frame.height == 60 and fast.frame[ROW].max() == 61  # the blank row kept its number
    weights = fast.frame["Weight"].to_list()
    assert weights[:5] == ["0.5", "1", "12.25", "1e-05", "3e+16"]
    assert fast.frame["Tracking"][0] == "7300000" and fast.frame["Ship Date"][0] == "2026-10-01"


@pytest.mark.parametrize("case", ["value beyond the header", "small sheet"])
def test_columnar_sheet_declines_what_only_the_row_path_reports(case: str) -> None:
    rows = _rows(extra_cell=True) if case == "value beyond the header" else _rows()[:12]
    grid = _grid(_sheet(rows))
    assert fast_sheet_table(grid, expected_headers=HEADERS, header_row=None, skip_rows=SUMMARY,
                            cell_text=cell_text) is None
    table = read_xlsx(_sheet(rows), expected_headers=HEADERS, skip_rows=SUMMARY)  # the row path still reads it
    if case == "value beyond the header":
        assert [b.reason for b in table.broken] == ["row has 7 fields, the header has 6"]
    else:
        assert table.frame.height == 9


def test_read_xlsx_uses_the_columnar_path_with_datetimes_and_row_numbers() -> None:
    rows = [HEADERS] + [["I", datetime(2026, 10, 1, 8, 30, 15), "T", 1.5, 2, None] for _ in range(40)]
    table = read_xlsx(_sheet(rows), expected_headers=HEADERS)
    assert table.frame["Ship Date"].unique().to_list() == ["2026-10-01 08:30:15"]
    assert table.frame["Amount"].unique().to_list() == ["2"]
    assert table.frame[ROW].to_list() == list(range(1, 41))
    assert table.frame.schema["Note"] == pl.Utf8

"""CSV/TSV: decoding, delimiter sniffing, and a truncated last row kept apart from the good ones.

The stdlib csv module (the row path) yields each record with its field count, which is how a row cut
mid-line (a truncated upload) is told from a good one. Files whose lines are plainly one record each go
through the columnar fast path (`fast_delimited`) instead, which falls back to the row path per line.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

from ingestion.readers.base import RawTable, UnreadableFile
from ingestion.readers.encoding import decode, utf8_body, utf8_head
from ingestion.readers.fast_delimited import fast_grid_table
from ingestion.readers.tabular import grid_to_table

CANDIDATES = (",", "\t", ";", "|")
SNIFF_CHARS = 200_000  # the delimiter is sniffed from the first lines within this many characters


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the first lines into the same, largest number of fields."""
    lines = [ln for ln in text[:SNIFF_CHARS].splitlines()[:20] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", (0, 0)
    for cand in CANDIDATES:
        counts = [len(next(csv.reader([ln], delimiter=cand))) - 1 for ln in lines]
        mode, freq = Counter(counts).most_common(1)[0]
        score = (freq if mode > 0 else 0, mode)
        if score > best_score:
            best, best_score = cand, score
    return best


def split_rows(text: str, delimiter: str) -> tuple[list[list[str | None]], bool]:
    """All records, and whether the data ended inside a quoted field (how a truncated upload looks).

    A strict pass detects the open quote at the end; when the strict pass fails for another reason
    (a stray quote mid-file) a lenient pass still reads every record, so one bad quote cannot swallow
    the rest of the file.
    """
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)), False
    except csv.Error as exc:
        cut = "unexpected end of data" in str(exc)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)), cut


def read_delimited(
    data: bytes,
    *,
    expected_headers: list[str],
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    skip_rows: re.Pattern[str] | None = None,
) -> RawTable:
    def separator(head: str) -> str:
        sep = delimiter if delimiter and delimiter != "auto" else sniff_delimiter(head)
        return "\t" if sep == "\\t" else sep

    def fast(utf8: bytes, sep: str, used: str) -> RawTable | None:
        table = fast_grid_table(utf8, sep, expected_headers=expected_headers, header_row=header_row,
                                encoding=used, skip_rows=skip_rows)
        if table is not None:
            table.notes.append(f"delimiter {sep!r}, encoding {used}")
        return table

    # UTF-8 goes to polars as bytes: no Python str of the whole file unless the row path needs one.
    quick = utf8_body(data, encoding)
    if quick is not None:
        head = utf8_head(quick[0], SNIFF_CHARS)
        if head and not head.isspace() and (table := fast(quick[0], separator(head), quick[1])) is not None:
            return table
    text, used = decode(data, encoding)
    if not text or text.isspace():
        raise UnreadableFile("the file is empty")
    sep = separator(text[:SNIFF_CHARS])
    if quick is None and (table := fast(text.encode("utf-8"), sep, used)) is not None:
        return table
    try:
        rows, cut = split_rows(text, sep)
    except csv.Error as exc:  # the csv module's own limits (field size) end the read as a whole
        raise UnreadableFile(f"cannot split the file into CSV records: {exc}") from None
    table = grid_to_table(
        rows, expected_headers=expected_headers, header_row=header_row, encoding=used, last_row_cut=cut,
        skip_rows=skip_rows,
    )
    table.notes.append(f"delimiter {sep!r}, encoding {used}")
    return table

"""The common shape every reader returns: all values as text, each row keeping its 1-based number.

Reading everything as strings first keeps the reader ignorant of types: typing and validation happen
once, in the standard parser, with the raw text still at hand for the quarantine record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

# Column holding the 1-based data row number; a name no real header can collide with in practice.
ROW = "__row__"


class UnreadableFile(Exception):
    """The file as a whole cannot be read; the message is the quarantine reason."""


@dataclass(frozen=True)
class BrokenRow:
    """A row whose structure is wrong (cut short, too many fields): it never reaches the typed frame."""

    row_number: int
    field: str
    reason: str
    raw_text: str
    source_field: str | None = None


@dataclass
class RawTable:
    """Rows as text (`frame`: Utf8 columns named as in the file, plus ROW) and the rows that were broken."""

    frame: pl.DataFrame
    broken: list[BrokenRow] = field(default_factory=list)
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    # Records (JSON, XML, EDI) have no header: a key absent from every record is a per-row missing
    # value, not a file whose layout is wrong.
    keyed: bool = False

    @property
    def rows_read(self) -> int:
        return self.frame.height + len(self.broken)

    @property
    def columns(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW]


def frame_from_columns(names: list[str], columns: list[list[str | None]], row_numbers: list[int]) -> pl.DataFrame:
    """A string frame from column lists; names must already be unique."""
    data: dict[str, pl.Series] = {n: pl.Series(n, col, dtype=pl.Utf8) for n, col in zip(names, columns, strict=True)}
    data[ROW] = pl.Series(ROW, row_numbers, dtype=pl.UInt32)
    return pl.DataFrame(data)


def unique_names(names: list[str | None]) -> list[str]:
    """Headers made unique and non-empty, so two "金额" columns or a blank header never collide."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for i, raw in enumerate(names, start=1):
        name = (raw or "").strip() or f"column_{i}"
        if name == ROW:
            name = f"{ROW}_"
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name}_{count}")
    return out


def records_to_table(records: list[dict[str, str | None]], *, encoding: str | None = None) -> RawTable:
    """Records (JSON objects, XML elements) to a RawTable: columns are the union of keys, first seen first."""
    names: dict[str, None] = {}
    for record in records:
        for key in record:
            names.setdefault(key, None)
    ordered = list(names)
    safe = unique_names(ordered)
    columns = [[record.get(key) for record in records] for key in ordered]
    return RawTable(frame_from_columns(safe, columns, list(range(1, len(records) + 1))), encoding=encoding,
                    keyed=True)


def row_text(fields: list[str | None]) -> str:
    """A broken row as a JSON array: unambiguous even when fields contain the delimiter."""
    return json.dumps(fields, ensure_ascii=False)

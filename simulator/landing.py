"""Writing files under `<out>/<source>/<YYYY-MM-DD>/<file>`, deterministically and append-aware.

`--append` re-simulates the whole business and writes only the dates that did not exist before, so
this writer is told the first date it may write; everything older is left byte-identical on disk.
It also counts rows per source (the run summary and the benchmark report them) and keeps the list of
files written.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl


@dataclass
class Landing:
    out: Path
    write_from: date  # dates before this are already on disk (append) and are not rewritten
    rows: Counter = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)
    seconds: Counter = field(default_factory=Counter)  # wall time per source or phase (for the bench)
    cpu_seconds: Counter = field(default_factory=Counter)  # process CPU time, all threads (ditto)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Accumulate wall and CPU time under `name`; reported by the benchmark, never written to a file."""
        began, cpu_began = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - began
            self.cpu_seconds[name] += time.process_time() - cpu_began

    def path(self, source: str, day: date, name: str) -> str:
        """Path relative to the landing root, as the manifest records it."""
        return f"{source}/{day.isoformat()}/{name}"

    def wants(self, day: date) -> bool:
        return day >= self.write_from

    def write_bytes(self, source: str, day: date, name: str, data: bytes, rows: int) -> str | None:
        rel = self.path(source, day, name)
        if not self.wants(day):
            return None
        target = self.out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.rows[source] += rows
        self.files.append(rel)
        return rel


def csv_bytes(frame: pl.DataFrame, *, separator: str = ",", encoding: str = "utf-8", bom: bool = False,
              quote_style: str = "necessary") -> bytes:
    """A frame as CSV bytes in the encoding a source system uses (polars writes UTF-8 only)."""
    options = {"separator": separator, "quote_style": quote_style, "null_value": "",
               "line_terminator": "\r\n" if encoding == "gbk" else "\n"}
    if encoding != "utf-8":
        data = frame.write_csv(None, **options).encode(encoding)
    else:
        buffer = io.BytesIO()
        frame.write_csv(buffer, **options)
        data = buffer.getvalue()
    return (b"\xef\xbb\xbf" + data) if bom else data


def all_strings(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast every column to text (writers format numbers and dates first, faults edit text cells);
    empty text becomes null so that the CSV cell is empty rather than `""`."""
    text = pl.all().cast(pl.Utf8)
    return frame.with_columns(pl.when(text == "").then(None).otherwise(text).name.keep())

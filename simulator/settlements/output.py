"""What every settlement writer hands back: rows written, files, and where each item landed.

The manifest must name the exact file and data row of every planted error, and the file where a
missing item should have been; the writers know both, so they report them in one shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

SOURCE = "settlements"

FILES_SCHEMA: dict[str, pl.DataType] = {
    "channel": pl.Utf8, "currency": pl.Utf8, "settle_date": pl.Date, "file": pl.Utf8,
}
# One row per written money row that belongs to an order item: component is principal, commission,
# promotion, fulfilment_fee or refund; field is the file's column holding that amount.
LOCATIONS_SCHEMA: dict[str, pl.DataType] = {
    "channel": pl.Utf8, "currency": pl.Utf8, "settle_date": pl.Date, "kind": pl.Utf8, "order_no": pl.Utf8,
    "line_no": pl.Int32, "component": pl.Utf8, "file": pl.Utf8, "field": pl.Utf8, "row": pl.Int64,
}


WATCH_KEYS = ["channel", "currency", "settle_date", "order_no"]


@dataclass
class WriterResult:
    """Rows per source, files per settlement, and the locations of the watched (planted) orders.

    Only watched orders' rows are kept: the manifest needs a handful of locations, and keeping every
    written row would cost more than writing the files.
    """

    watch: pl.DataFrame
    rows: dict[str, int] = field(default_factory=dict)
    files: list[pl.DataFrame] = field(default_factory=list)
    locations: list[pl.DataFrame] = field(default_factory=list)

    def add(self, source: str, rows: int) -> None:
        self.rows[source] = self.rows.get(source, 0) + rows

    def locate(self, rows: pl.DataFrame) -> None:
        """Keep the written rows (LOCATIONS_SCHEMA columns) that belong to watched orders."""
        self.locations.append(rows.join(self.watch.select(WATCH_KEYS), on=WATCH_KEYS, how="semi"))

    def files_frame(self) -> pl.DataFrame:
        return pl.concat([pl.DataFrame(schema=FILES_SCHEMA), *[f.select(list(FILES_SCHEMA)).cast(FILES_SCHEMA)
                                                                for f in self.files]])

    def locations_frame(self) -> pl.DataFrame:
        return pl.concat([pl.DataFrame(schema=LOCATIONS_SCHEMA),
                          *[f.select(list(LOCATIONS_SCHEMA)).cast(LOCATIONS_SCHEMA) for f in self.locations]])


def settlement_folder(out: Path, day) -> Path:
    folder = out / SOURCE / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def relative(out: Path, path: Path) -> str:
    return path.relative_to(out).as_posix()

"""Genuinely bad input in the landing files: malformed rows and one file cut off mid-row.

Ingestion must quarantine such rows (and the truncated file's broken tail) with the file, row and
field named, never drop them silently. Each fault is planted in the text of an otherwise valid file and
recorded in the manifest with the 1-based data row and the field, so a test can re-read the file and
find it exactly there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from simulator import rng as streams
from simulator.manifest import Manifest
from simulator.params import SimParams

# channel -> (order id column, quantity column, order time column)
FIELDS: dict[str, tuple[str, str, str]] = {
    "amazon": ("amazon-order-id", "quantity", "purchase-date"),
    "tmall": ("订单编号", "数量", "下单时间"),
    "jd": ("订单编号", "数量", "下单时间"),
    "douyin": ("主订单编号", "数量", "下单时间"),
    "pos": ("receipt_no", "qty", "business_date"),
}
BAD_QTY = ("1O", "two", "l", "3..0")
TRUNCATED_CHANNEL = "douyin"


@dataclass(frozen=True)
class PlannedFault:
    channel: str
    kind: str  # non_numeric_qty | impossible_date
    position: float  # where in the file, as a share of its rows
    bad_qty: str


def plan(params: SimParams, day: date, day_index: int) -> list[PlannedFault]:
    """Malformed rows to plant in the order files of `day`."""
    if params.malformed_rows_per_week <= 0:
        return []
    rng = streams.day_rng(params.seed, streams.DATA_FAULTS, day)
    n = int(day_index % 7 == 3) + int(rng.poisson(max(params.malformed_rows_per_week - 1.0, 0.0) / 7))
    channels = sorted(FIELDS)
    if day_index == params.truncated_file_day:
        channels.remove(TRUNCATED_CHANNEL)
    out = []
    for _ in range(n):
        out.append(PlannedFault(
            channel=channels[int(rng.integers(0, len(channels)))],
            kind="non_numeric_qty" if rng.random() < 0.5 else "impossible_date",
            position=float(rng.random()),
            bad_qty=BAD_QTY[int(rng.integers(0, len(BAD_QTY)))],
        ))
    return out


def _impossible(value: str) -> str:
    """The same timestamp shape with a month and day that cannot exist (e.g. 2026-13-32 or 2026/13/32)."""
    sep = "/" if "/" in value[:8] else "-"
    return value[:4] + sep + "13" + sep + "32" + value[10:]


def apply_malformed(table: pl.DataFrame, channel: str, faults: list[PlannedFault], *, day: date, source: str,
                    rel: str, manifest: Manifest) -> pl.DataFrame:
    """Corrupt the planned cells of a text table and record each one (row numbers are 1-based data rows)."""
    mine = [f for f in faults if f.channel == channel]
    if not mine or table.height == 0:
        return table
    id_col, qty_col, date_col = FIELDS[channel]
    used: set[int] = set()
    for fault in mine:
        row = min(int(fault.position * table.height), table.height - 1)
        while row in used:
            row = (row + 1) % table.height
        used.add(row)
        field = qty_col if fault.kind == "non_numeric_qty" else date_col
        old = table[row, field]
        new = fault.bad_qty if fault.kind == "non_numeric_qty" else _impossible(old)
        table = table.with_columns(
            pl.when(pl.int_range(pl.len()) == row).then(pl.lit(new)).otherwise(pl.col(field)).alias(field))
        manifest.add("malformed_row", day, source=source, file=rel, row=row + 1, field=field,
                     order_no=table[row, id_col], channel=channel,
                     detail=f"{fault.kind}: {new!r} (the record had {old!r})")
    return table


def truncate(data: bytes, *, day: date, source: str, rel: str, channel: str, manifest: Manifest,
             id_column: int = 0) -> bytes:
    """Cut a delimited text file in the middle of a data row ~70% of the way in; record it."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines = lines[:-1]
    n_rows = len(lines) - 1
    if n_rows < 2:
        return data
    row = max(1, int(n_rows * 0.7))  # 1-based data row that gets cut
    offset = sum(len(x) + 1 for x in lines[:row])  # header + rows before it
    victim = lines[row]
    cut = offset + max(1, len(victim) // 2)
    order_no = victim.decode("utf-8", errors="replace").split(",")[id_column]
    manifest.add("truncated_file", day, source=source, file=rel, row=row, channel=channel, order_no=order_no,
                 detail=f"file ends {len(victim) // 2} bytes into data row {row} of {n_rows}; "
                        f"{row - 1} complete data rows, {n_rows - row} rows lost; {cut} of {len(data)} bytes")
    return data[:cut]



"""Shared state for the loader tests: one simulated business, loaded once per test session.

Module-level caches (not a conftest fixture: tests/ingestion/conftest.py belongs to the parser tests)
so every test_load_* module shares the same simulation and the same load.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import polars as pl

from ingestion.load import LoadReport, load_date
from ingestion.load.schema import RAW_DATABASE, RAW_TABLES

START = date(2026, 10, 1)
DAYS = 14
ORDERS_PER_DAY = 200
SEED = 7
BATCH_COLUMNS = ("load_batch_id", "loaded_at")


@dataclass(frozen=True)
class Business:
    landing: Path
    rows_written: dict[str, int]
    manifest: pl.DataFrame

    @property
    def dates(self) -> list[date]:
        return [START + timedelta(days=i) for i in range(DAYS)]


@cache
def business() -> Business:
    from simulator import simulate

    root = Path(tempfile.mkdtemp(prefix="tallyhouse-load-"))
    atexit.register(shutil.rmtree, root, True)
    summary = simulate(root, start=START, days=DAYS, orders_per_day=ORDERS_PER_DAY, seed=SEED)
    manifest = pl.read_parquet(root / "_manifest" / "anomalies.parquet")
    return Business(root, dict(summary.rows), manifest)


_loaded: list[LoadReport] = []


def loaded(client) -> list[LoadReport]:
    """Load every day of the business once (per session) and return the reports."""
    if not _loaded:
        biz = business()
        for day in biz.dates:
            _loaded.extend(load_date(client, biz.landing, day))
    return _loaded


def slice_checksums(client, business_date: date, sources: list[str] | None = None) -> dict[str, tuple[int, int]]:
    """table -> (rows, checksum) of one business date, over every column but the batch stamp.

    Hashes the text of the whole row so NULLs count too (cityHash64 of a NULL argument is NULL).
    """
    where = "business_date = {d:Date}" + (" AND source IN {s:Array(String)}" if sources else "")
    params = {"d": business_date, "s": sources or []}
    result = {}
    for name, contract in RAW_TABLES.items():
        columns = ", ".join(f"`{c.name}`" for c in contract.all_columns if c.name not in BATCH_COLUMNS)
        count, checksum = client.query(
            f"SELECT count(), sum(cityHash64(toString(tuple({columns})))) FROM `{RAW_DATABASE}`.`{name}` WHERE {where}",
            parameters=params).result_rows[0]
        result[name] = (int(count), int(checksum))
    return result

"""Benchmark: parse and load one simulated business day at 100,000 orders/day, every source.

Simulates `--days` days (default 7, so the weekly carrier bills and the settlements exist) and ingests
the last one with the production loader (`ingestion.load.load_source_date`: parse, stage, swap
partition, balance check read back from ClickHouse); the day-one reference files (SKU master, rate
cards) are loaded too and reported apart. The baseline, measured in the same run on the same
endpoint: a plain streamed Arrow insert (the loader's own, warehouse.streaming_insert) of the
already-parsed frames into a scratch table of the same shape. The ratio says what parsing, staging
and checking cost over the bare insert.

    .venv/bin/python bench/ingestion.py [--orders-per-day 100000] [--days 7] [--landing DIR] [--configured]

`--landing DIR` reuses (or keeps) a simulation there; `--configured` uses the configured warehouse
instead of a throwaway embedded endpoint (it writes real raw partitions for the simulated dates).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START = date(2026, 10, 1)
REFERENCE_SOURCES = ("sku_master", "rate_cards")


def log(message: str) -> None:
    print(message, flush=True)


def warehouse_client(configured: bool):
    """The configured warehouse, or a throwaway embedded endpoint in a temporary TALLYHOUSE_HOME."""
    from warehouse.client import bench_client

    return bench_client(configured)


@contextlib.contextmanager
def simulated_landing(landing: str | None, days: int, orders_per_day: int) -> Iterator[Path]:
    from simulator import simulate

    root = Path(landing) if landing else Path(tempfile.mkdtemp(prefix="tallyhouse-bench-landing-"))
    try:
        if (root / "_manifest" / "params.json").exists():
            log(f"reusing the simulation in {root}")
        else:
            began = time.perf_counter()
            simulate(root, start=START, days=days, orders_per_day=orders_per_day, seed=7)
            log(f"simulated {days} days x {orders_per_day:,} orders/day in {time.perf_counter() - began:.1f}s "
                f"into {root}")
        yield root
    finally:
        if not landing:
            shutil.rmtree(root, ignore_errors=True)


def bare_insert_seconds(client, landing: Path, source: str, day: date, mappings) -> tuple[float, float, int]:
    """(parse seconds, bare insert seconds, rows): the parsed frames inserted as they are, no staging."""
    import polars as pl

    from ingestion.contracts import get_contract
    from ingestion.lineage import new_batch_id, stamp_batch
    from ingestion.load.landing import landing_files
    from ingestion.load.schema import table_ddl
    from ingestion.mapping import mapping_for
    from ingestion.parser import RepeatedFiles, parse_file
    from warehouse.streaming_insert import insert_arrow

    began = time.perf_counter()
    frames: dict[str, list[pl.DataFrame]] = {}
    repeated = RepeatedFiles()  # as the loader does: a re-sent file's bytes are parsed once
    for path in landing_files(landing, source, day):
        mapping = mapping_for(source, path.name, mappings)
        if mapping is None:
            continue
        result = parse_file(path, mapping, source=source, business_date=day, landing_root=landing,
                            repeated=repeated)
        frames.setdefault(result.contract, []).append(result.frame)
    parse_seconds = time.perf_counter() - began

    batch = new_batch_id()
    tables = []
    for name, parts in frames.items():
        contract = get_contract(name)
        table = f"bare_{name}_{batch}"
        client.command(table_ddl(contract, database="bench", table=table))
        frame = stamp_batch(pl.concat(parts, how="diagonal_relaxed"), batch_id=batch)
        schema = contract.polars_schema()
        ready = frame.select([pl.col(c).cast(schema[c]) for c in schema]).to_arrow(
            compat_level=pl.CompatLevel.oldest())
        tables.append((table, ready))
    began = time.perf_counter()
    rows = 0
    for table, ready in tables:
        insert_arrow(client, table, ready, database="bench")  # the loader's own insert
        rows += ready.num_rows
    insert_seconds = time.perf_counter() - began
    for table, _ in tables:
        client.command(f"DROP TABLE IF EXISTS bench.`{table}`")
    return parse_seconds, insert_seconds, rows


def run(landing: Path, client, day: date) -> int:
    from ingestion.load import ensure_raw_schema, landing_sources, load_source_date
    from ingestion.mapping import shipped_mappings

    ensure_raw_schema(client)
    client.command("CREATE DATABASE IF NOT EXISTS bench")
    mappings = shipped_mappings()
    jobs = [(s, day) for s in landing_sources(landing, day)]
    jobs += [(s, START) for s in REFERENCE_SOURCES if s not in {j[0] for j in jobs}]
    log(f"\ningesting {day} (+ reference files of {START}) from {landing}")
    header = (f"{'source':<22} {'day':<10} {'files':>5} {'MB':>7} {'rows':>10} {'quar.':>5} {'load s':>7} "
              f"{'rows/s':>10} {'parse s':>7} {'insert s':>8} {'load/ins':>8} {'parse/ins':>9}")
    log(header)
    log("-" * len(header))
    totals = {"day": [0.0, 0.0, 0, 0.0], "reference": [0.0, 0.0, 0, 0.0]}
    failures = []
    for source, when in jobs:
        report = load_source_date(client, landing, source, when, mappings=mappings, ensure_schema=False)
        parse_s, insert_s, rows = bare_insert_seconds(client, landing, source, when, mappings)
        if report.errors:
            failures.extend(report.errors)
        kind = "day" if when == day else "reference"
        totals[kind][0] += report.seconds
        totals[kind][1] += insert_s
        totals[kind][2] += report.rows_loaded
        totals[kind][3] += parse_s
        log(f"{source:<22} {when.isoformat():<10} {len(report.files):>5} {report.bytes / 1e6:>7.1f} "
            f"{report.rows_loaded:>10,} {report.rows_quarantined:>5} {report.seconds:>7.2f} "
            f"{report.rows_loaded / report.seconds:>10,.0f} {parse_s:>7.2f} {insert_s:>8.2f} "
            f"{report.seconds / insert_s:>8.1f} {parse_s / insert_s:>9.1f}")
    log("-" * len(header))
    for kind, (load_s, insert_s, rows, parse_s) in totals.items():
        if rows:
            log(f"{'total ' + kind:<22} {'':<10} {'':>5} {'':>7} {rows:>10,} {'':>5} {load_s:>7.2f} "
                f"{rows / load_s:>10,.0f} {parse_s:>7.2f} {insert_s:>8.2f} {load_s / insert_s:>8.1f} "
                f"{parse_s / insert_s:>9.1f}")
    day_load = totals["day"][0]
    log(f"\nwhole day {day}: {day_load:.1f}s (aim < 60 s); load / bare insert = "
        f"{day_load / totals['day'][1]:.1f}x, parse / bare insert = {totals['day'][3] / totals['day'][1]:.1f}x "
        f"(aim <= 2x); {os.cpu_count()} CPUs")
    for failure in failures:
        log(f"error: {failure}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders-per-day", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=7, help="days to simulate; the last one is ingested")
    parser.add_argument("--landing", help="simulate into (or reuse) this landing root and keep it")
    parser.add_argument("--configured", action="store_true", help="use the configured warehouse")
    args = parser.parse_args(argv)
    with simulated_landing(args.landing, args.days, args.orders_per_day) as landing, \
            warehouse_client(args.configured) as client:
        return run(landing, client, START + timedelta(days=args.days - 1))


if __name__ == "__main__":
    raise SystemExit(main())

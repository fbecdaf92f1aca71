"""Benchmark: time to write a simulated business (default 30 days x 100,000 orders/day).

Prints rows and rows/s per landing source, wall time per phase, and a baseline measured in the same
process: polars writing the same number of order-line rows as plain CSV (the floor any exporter pays),
so the ratio says how much our formats cost over raw writing on this machine.

    .venv/bin/python bench/simulator.py [--days 30] [--orders-per-day 100000] [--out DIR] [--keep]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def baseline_rows_per_second(rows: int = 2_000_000) -> float:
    """Raw polars CSV writing of an order-line-shaped frame, in memory."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(0)
    frame = pl.DataFrame({
        "order_no": rng.integers(10**11, 10**12, rows).astype(str), "sku": rng.integers(0, 800, rows),
        "qty": rng.integers(1, 4, rows), "price": rng.random(rows) * 100, "status": "shipped",
        "ts": (np.datetime64("2026-10-01T00:00:00") + rng.integers(0, 86400, rows).astype("timedelta64[s]"))
        .astype("datetime64[us]"),
    })
    began = time.perf_counter()
    frame.write_csv(io.BytesIO())
    return rows / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--orders-per-day", type=int, default=100_000)
    parser.add_argument("--skus", type=int, default=800)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the output directory")
    args = parser.parse_args()

    from simulator import simulate

    out = args.out or Path(tempfile.mkdtemp(prefix="tallyhouse-bench-"))
    if out.exists():
        shutil.rmtree(out)
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    cpu_began = time.process_time()
    summary = simulate(out, start=date(2026, 10, 1), days=args.days, orders_per_day=args.orders_per_day,
                       seed=args.seed, skus=args.skus)
    total = time.perf_counter() - began
    cpu = time.process_time() - cpu_began
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())

    print(f"simulate: {args.days} days x {args.orders_per_day:,} orders/day, {args.skus} SKUs")
    print(f"total wall time      {total:8.1f} s   ({summary.orders:,} orders, {summary.files:,} files, "
          f"{size / 1e9:.2f} GB)")
    print(f"process CPU time     {cpu:8.1f} s   (all threads; peak RSS {peak_gb:.1f} GB; load average "
          f"{load_before:.1f} before / {os.getloadavg()[0]:.1f} after on {os.cpu_count()} CPUs: wall time "
          "is only comparable on an otherwise idle machine)")
    print("\nper source                          rows    wall s     CPU s   rows/s (wall)")
    for source, rows in summary.rows.items():
        secs = summary.seconds.get(source)
        rate = f"{rows / secs:13,.0f}" if secs else "    (in phase)"
        print(f"  {source:<28} {rows:>12,} {secs or 0:9.2f} {summary.cpu_seconds.get(source, 0):9.2f} {rate}")
    print("\nphases                            wall s     CPU s")
    for name, secs in summary.seconds.items():
        if name.startswith("phase:"):
            print(f"  {name[6:]:<28} {secs:14.2f} {summary.cpu_seconds[name]:9.2f}")
    all_rows = sum(summary.rows.values())
    base = baseline_rows_per_second()
    print(f"\nall sources: {all_rows:,} rows in {total:.1f} s = {all_rows / total:,.0f} rows/s")
    print(f"baseline (raw polars write_csv, same process): {base:,.0f} rows/s; "
          f"simulator end-to-end is {base / (all_rows / total):.1f}x slower than raw writing")
    print(f"target < 120 s: {'met' if total < 120 else 'NOT met'}")
    if not args.keep and args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()

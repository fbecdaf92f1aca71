"""Benchmark: does a nightly T-1 dbt run cost the day's volume or the history's?

For each horizon (default 30 and 365 days at 5,000 orders/day) on a throwaway embedded endpoint:
simulate the business, ingest every day but the last, `dbt build --full-refresh` the whole project
(window up to T-1 exclusive), ingest T-1, then time the nightly run: `dbt run` of the whole project
with the window {min_date: T-1, max_date: T}. Printed: the time of each phase per horizon and the
ratio of the T-1 run at the long horizon to the T-1 run at the short one (the aim: at most 1.5, i.e.
history barely matters). The short horizon is the baseline, measured in the same process.

    .venv/bin/python bench/marts.py [--short-days 30] [--long-days 365] [--orders-per-day 5000]
        [--skus 800] [--threads 4] [--keep DIR] [--top 12]

With --keep DIR the simulated landing and each horizon's embedded warehouse stay in DIR, and a
second run reuses them: it loads only the days not loaded yet (T-1 is removed from raw first, so the
full build sees the history only), then times the same dbt build and T-1 run. The ingest time of a
reusing run is therefore not comparable; the dbt numbers are.

dbt runs as a subprocess (`.venv/bin/dbt`), as the demo runs it, on a copy of dbt_project/ taken when
the benchmark starts, with target and log paths in a temporary folder and DBT_THREADS from --threads.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START = date(2026, 1, 1)
PROJECT = ROOT / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")


def log(message: str) -> None:
    print(message, flush=True)


@dataclass
class ModelCost:
    """One model's share of a dbt command: dbt's wall time for the node and what its queries read."""

    seconds: float
    read_rows: int
    queries: int


@dataclass
class HorizonTimes:
    days: int
    orders: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    raw_rows: int = 0
    t1_models: dict[str, ModelCost] = field(default_factory=dict)


def load_average() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def snapshot_project(work: Path) -> Path:
    """A copy of dbt_project/ as the benchmark starts, so edits made while it runs cannot mix in."""
    copy = work / "dbt_project"
    shutil.copytree(PROJECT, copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    return copy


def run_dbt(args: list[str], work: Path, env: dict[str, str], variables: str | None = None) -> float:
    """Run dbt against the snapshot of the project; return wall seconds, fail loudly on error."""
    project = work.parent / "dbt_project"
    command = [str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(project),
               "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
               "--no-send-anonymous-usage-stats"]
    if variables:
        command += ["--vars", variables]
    began = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-40:])
        raise RuntimeError(f"dbt {' '.join(args)} failed ({done.returncode}):\n{tail}\n{done.stderr[-2000:]}")
    return seconds


def server_now(client) -> object:
    """The endpoint's clock, so the query-log window of a dbt command does not depend on ours."""
    return client.query("select now64(6)").first_row[0]


def model_costs(client, work: Path, since: object) -> dict[str, ModelCost]:
    """Per model: dbt's execution time (run_results.json) and the rows its queries read since `since`.

    dbt prefixes every statement with a comment naming its node, so system.query_log can be grouped
    by model; rows read is what grows with the history when a model scans it, whatever the load.
    """
    client.command("SYSTEM FLUSH LOGS")
    read = {node: (int(rows), int(queries)) for node, rows, queries in client.query(
        """select extract(query, '"node_id": "([^"]+)"') as node, sum(read_rows), count()
           from system.query_log
           where type = 'QueryFinish' and event_time_microseconds >= {since:DateTime64(6)} and node != ''
           group by node""", parameters={"since": since}).result_rows}
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    costs = {}
    for result in results:
        node = result["unique_id"]
        if not node.startswith("model."):
            continue
        rows, queries = read.get(node, (0, 0))
        costs[node.split(".")[-1]] = ModelCost(float(result["execution_time"]), rows, queries)
    return costs


def print_top(costs: dict[str, ModelCost], top: int, indent: str = "      ") -> None:
    for name, cost in sorted(costs.items(), key=lambda item: -item[1].seconds)[:top]:
        log(f"{indent}{name:<40} {cost.seconds:7.1f}s {cost.read_rows:>14,} rows read")


def ingest(client, landing: Path, days: list[date]) -> None:
    from ingestion.load import load_date

    for number, day in enumerate(days, start=1):
        for report in load_date(client, landing, day):
            if report.errors:
                raise RuntimeError(f"loading {report.source} {day}: {report.errors[:3]}")
        if number % 30 == 0:
            log(f"    ingested {number}/{len(days)} days ({load_average()})")


def loaded_days(client) -> set[date]:
    """Business dates a kept warehouse already holds (none on a fresh endpoint)."""
    if not client.command("exists table raw._files"):
        return set()
    return {row[0] for row in client.query("select distinct business_date from raw._files").result_rows}


def forget_day(client, day: date) -> None:
    """Drop one business date from every raw table: a kept warehouse returns to its state before T-1.

    Raw is partitioned by (business_date, source), so that is dropping whole partitions (instant), not
    a delete mutation that rewrites parts.
    """
    partitions = client.query(
        "select distinct table, partition_id from system.parts where database = 'raw' and active"
        " and min_date = {day:Date} and max_date = {day:Date}", parameters={"day": day}).result_rows
    for table, partition_id in partitions:
        if not re.fullmatch(r"[0-9a-f_-]+", partition_id):  # ids come from system.parts: hex digests
            raise RuntimeError(f"unexpected partition id {partition_id!r} of raw.{table}")
        client.command(f"alter table raw.`{table}` drop partition id '{partition_id}'")


def measure(days: int, args: argparse.Namespace, keep: Path | None, root: Path) -> HorizonTimes:
    """Simulate, ingest, full build and T-1 run for one horizon on its own throwaway endpoint."""
    from assets.ops_tables import ensure_ops_tables
    from simulator import simulate
    from warehouse.client import bench_client
    from warehouse.settings import resolve

    times = HorizonTimes(days)
    work = root / f"run-{days}"
    work.mkdir()
    landing = (keep / f"landing-{days}") if keep else work / "landing"
    home = (keep / f"home-{days}") if keep else None
    dates = [START + timedelta(days=i) for i in range(days)]
    t_minus_1 = dates[-1]
    with bench_client(False, prefix=f"tallyhouse-bench-marts-{days}-", home=home) as client:
        env = {**os.environ, **resolve(environ={}, dotenv_paths=[]).environment(),
               "DBT_THREADS": str(args.threads)}
        began = time.perf_counter()
        if (landing / "_manifest" / "params.json").exists():
            log(f"  [{days} d] reusing the simulated landing in {landing}")
        else:
            summary = simulate(landing, start=START, days=days, orders_per_day=args.orders_per_day,
                               seed=args.seed, skus=args.skus)
            times.orders = summary.orders
            log(f"  [{days} d] simulated {times.orders:,} orders in {time.perf_counter() - began:.1f}s")
        times.seconds["simulate"] = time.perf_counter() - began

        began = time.perf_counter()
        if home:
            forget_day(client, t_minus_1)
        already = loaded_days(client)
        ingest(client, landing, [day for day in dates[:-1] if day not in already])
        times.seconds["ingest history"] = time.perf_counter() - began
        if already:
            log(f"  [{days} d] the kept warehouse already held {len(already)} days; ingest time covers the rest")
        times.raw_rows = int(client.query(
            "select sum(rows) from system.parts where active and database = 'raw'").first_row[0] or 0)
        log(f"  [{days} d] ingested {days - 1} days ({times.raw_rows:,} raw rows) in "
            f"{times.seconds['ingest history']:.1f}s")

        ensure_ops_tables(client)  # the data-health models read the pipeline's own `ops` tables
        window_to_t1 = f'{{"max_date": "{t_minus_1.isoformat()}"}}'
        log(f"  [{days} d] dbt build --full-refresh starts ({load_average()})")
        since = server_now(client)
        times.seconds["dbt build (full)"] = run_dbt(["build", "--full-refresh"], work, env, window_to_t1)
        log(f"  [{days} d] dbt build --full-refresh in {times.seconds['dbt build (full)']:.1f}s ({load_average()}); "
            "slowest models:")
        print_top(model_costs(client, work, since), args.top)

        began = time.perf_counter()
        ingest(client, landing, [t_minus_1])
        times.seconds["ingest T-1"] = time.perf_counter() - began

        window = f'{{"min_date": "{t_minus_1.isoformat()}", "max_date": "{(t_minus_1 + timedelta(days=1)).isoformat()}"}}'
        log(f"  [{days} d] T-1 dbt run starts ({load_average()})")
        since = server_now(client)
        times.seconds["dbt run T-1"] = run_dbt(["run"], work, env, window)
        times.t1_models = model_costs(client, work, since)
        log(f"  [{days} d] T-1 dbt run ({t_minus_1}) in {times.seconds['dbt run T-1']:.1f}s ({load_average()}); "
            "slowest models:")
        print_top(times.t1_models, args.top)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short-days", type=int, default=30)
    parser.add_argument("--long-days", type=int, default=365)
    parser.add_argument("--orders-per-day", type=int, default=5000)
    parser.add_argument("--skus", type=int, default=800)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep (and reuse) the simulated landing and the loaded warehouse here")
    parser.add_argument("--top", type=int, default=12, help="how many of the slowest models to print per run")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)

    log(f"marts benchmark: {args.short_days} and {args.long_days} days from {START} at "
        f"{args.orders_per_day:,} orders/day, {args.skus} SKUs, seed {args.seed}, dbt threads {args.threads}, "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    root = Path(tempfile.mkdtemp(prefix="tallyhouse-bench-marts-"))
    snapshot_project(root)
    try:
        results = [measure(days, args, args.keep, root) for days in (args.short_days, args.long_days)]
    finally:
        shutil.rmtree(root, ignore_errors=True)

    phases = list(results[0].seconds)
    log("")
    log(f"{'phase':<20}" + "".join(f"{f'{r.days} days':>14}" for r in results))
    for phase in phases:
        log(f"{phase:<20}" + "".join(f"{r.seconds[phase]:>13.1f}s" for r in results))
    log(f"{'raw rows':<20}" + "".join(f"{r.raw_rows:>14,}" for r in results))
    short, long = results
    log(f"\nT-1 run per model (dbt seconds; rows read from the endpoint's query log), slowest at {long.days} d first:")
    log(f"{'model':<40}{f'{short.days} d':>9}{f'{long.days} d':>9}{f'rows {short.days} d':>15}"
        f"{f'rows {long.days} d':>15}{'rows x':>8}")
    for name, cost in sorted(long.t1_models.items(), key=lambda item: -item[1].seconds):
        base = short.t1_models.get(name, ModelCost(0.0, 0, 0))
        growth = f"{cost.read_rows / base.read_rows:.1f}" if base.read_rows else "-"
        log(f"{name:<40}{base.seconds:>8.1f}s{cost.seconds:>8.1f}s{base.read_rows:>15,}{cost.read_rows:>15,}{growth:>8}")
    ratio = long.seconds["dbt run T-1"] / short.seconds["dbt run T-1"]
    log(f"\nT-1 run at day {long.days} / T-1 run at day {short.days}: {ratio:.2f} (aim <= 1.5)")
    log(f"full build at day {long.days} / at day {short.days}: "
        f"{long.seconds['dbt build (full)'] / short.seconds['dbt build (full)']:.2f} (history grows "
        f"{long.days / short.days:.1f}x)")
    log(f"finished at {load_average()} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

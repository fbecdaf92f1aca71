"""Benchmark: per-request latency of the embedded ClickHouse endpoint for small statements.

Ingestion and dbt issue many tiny statements, so the fixed cost of one request (HTTP round trip,
connection setup, result framing) dominates small loads. This starts a throwaway endpoint in a
temporary TALLYHOUSE_HOME (unless `--configured`) and times, through clickhouse-connect as the
project uses it, `SELECT 1`, a 10-row select, a DDL command and a 100-row insert. A loopback
`/ping` round trip is timed in the same run as the baseline: what HTTP alone costs on this machine.

    python bench/latency.py [--repeat 200] [--configured] [--no-compress]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

# Run as `python bench/latency.py`, this file's directory heads sys.path and `bench/warehouse.py`
# would shadow the `warehouse` package; put the project root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))


def endpoint_client(configured: bool, compress: bool):
    """A client to the configured warehouse, or to a throwaway embedded endpoint."""
    from warehouse.client import bench_client

    return bench_client(configured, prefix="tallyhouse-latency-", compress=compress)


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds per call, after a few warm-up calls (first-use costs are not per-request costs)."""
    for _ in range(3):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--configured", action="store_true", help="use the configured warehouse")
    parser.add_argument("--no-compress", action="store_true", help="client compression off")
    args = parser.parse_args()

    with endpoint_client(args.configured, not args.no_compress) as client:
        client.command("CREATE DATABASE IF NOT EXISTS bench_latency")
        client.command("DROP TABLE IF EXISTS bench_latency.t")
        client.command("CREATE TABLE bench_latency.t (id UInt32, name String) ENGINE = MergeTree ORDER BY id")
        rows = [[i, f"row {i}"] for i in range(100)]
        host, port = client.url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
        ping = http.client.HTTPConnection(host, int(port), timeout=10)

        def ping_once() -> None:
            ping.request("GET", "/ping")
            ping.getresponse().read()

        checks: dict[str, Callable[[], object]] = {
            "HTTP /ping (baseline)": ping_once,
            "query SELECT 1": lambda: client.query("SELECT 1"),
            "query 10 rows": lambda: client.query("SELECT number, toString(number) FROM numbers(10)"),
            "command (DDL)": lambda: client.command(
                "CREATE TABLE IF NOT EXISTS bench_latency.x (a Int32) ENGINE = Memory"),
            "insert 100 rows": lambda: client.insert("bench_latency.t", rows, column_names=["id", "name"]),
        }
        assert client.query("SELECT 1").result_rows == [(1,)]
        assert len(client.query("SELECT number FROM numbers(10)").result_rows) == 10
        results = {name: timed(action, args.repeat) for name, action in checks.items()}
        inserted = client.command("SELECT count() FROM bench_latency.t")
        expected = 100 * (args.repeat + 3)
        if inserted != expected:
            raise SystemExit(f"insert check failed: {inserted} rows, expected {expected}")
        client.command("DROP DATABASE bench_latency")
        ping.close()

    baseline = statistics.median(results["HTTP /ping (baseline)"])
    print(f"\n{args.repeat} requests each, client compression {'off' if args.no_compress else 'on'}")
    print(f"{'request':<24}{'median ms':>11}{'p90 ms':>9}{'x /ping':>9}")
    for name, samples in results.items():
        median = statistics.median(samples)
        p90 = statistics.quantiles(samples, n=10)[-1]
        print(f"{name:<24}{median:>11.2f}{p90:>9.2f}{median / baseline:>9.1f}")


if __name__ == "__main__":
    main()

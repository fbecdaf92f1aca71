"""Benchmark: the embedded ClickHouse endpoint against chDB in-process, in one run.

The endpoint exists so every tool can speak ClickHouse's HTTP interface to chDB; this measures what
that costs. The same order-line rows are inserted and the same group-by queries are run twice:

* endpoint: over loopback HTTP to the embedded endpoint (a throwaway one in a temporary TALLYHOUSE_HOME
  unless `--configured`), through the product's `warehouse.client.get_client` with clickhouse-connect's
  default compression (on: lz4 Arrow buffers); `--compress off` measures without. Measured on an idle
  machine, on/off makes no clear difference to the streamed insert (0.73-0.80 vs 0.73-0.81 of
  in-process) and off makes clickhouse-connect's own insert_arrow slower (0.54-0.59 vs 0.61-0.68), so
  the product keeps compression on, loopback or not.
  Inserts go through the product's `warehouse.streaming_insert.insert_arrow` (an ArrowStream body sent
  slice by slice, so the server inserts while the client still encodes); clickhouse-connect's own
  `insert_arrow` (one Arrow file encoded whole before sending) is measured alongside into a second
  table, so both endpoint paths are reported. Queries use `query_arrow`;
* in-process: chDB in this process on its own temporary data directory, `INSERT ... SELECT * FROM
  Python(batch)` (chDB reads the Arrow batch directly, the fastest honest in-process path) and
  `query(..., "Arrow")`.

Both sides get the same batches and the same queries, interleaved (endpoint then in-process, batch by
batch and repetition by repetition) so that load from other processes on the machine hits both alike.
The endpoint runs in another process, so this process's chDB session does not conflict with it.
Results are checked equal between the two sides before any speed is printed.

    python bench/warehouse.py [--rows 10000000] [--batch-rows 1000000] [--repeat 5] [--compress auto|on|off]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# Run as `python bench/warehouse.py`, this file's directory heads sys.path and its name would shadow
# the `warehouse` package; put the project root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

from simulator.catalog import CHANNELS  # noqa: E402
from warehouse import streaming_insert  # noqa: E402

TABLE_DDL = """
CREATE TABLE {table} (
    order_no String,
    line_no UInt16,
    channel LowCardinality(String),
    store LowCardinality(String),
    order_ts DateTime64(3, 'UTC'),
    sku String,
    qty UInt32,
    unit_price Decimal(18, 2),
    discount Decimal(18, 2),
    currency LowCardinality(String),
    status LowCardinality(String),
    warehouse_id LowCardinality(String),
    dest_country LowCardinality(String)
)
ENGINE = MergeTree
ORDER BY (channel, order_ts, order_no)
"""

# What the marts ask of order lines: revenue by channel/warehouse/month, a top-SKU ranking (20,000
# groups) and per-order totals (a third of the row count in groups: the heavy one).
QUERIES: dict[str, str] = {
    "revenue by channel, warehouse, month": """
        SELECT channel, warehouse_id, currency, toStartOfMonth(order_ts) AS month,
               count() AS lines, sum(qty) AS units, sum(qty * unit_price - discount) AS net
        FROM {table} WHERE status != 'cancelled'
        GROUP BY channel, warehouse_id, currency, month ORDER BY channel, warehouse_id, month""",
    "top 100 SKUs by net revenue": """
        SELECT sku, sum(qty) AS units, sum(qty * unit_price - discount) AS net, count() AS lines
        FROM {table} GROUP BY sku ORDER BY net DESC, sku LIMIT 100""",
    "order totals (about rows/3 groups)": """
        SELECT count() AS orders, sum(total) AS grand_total, max(lines) AS max_lines FROM (
            SELECT order_no, sum(qty * unit_price - discount) AS total, count() AS lines
            FROM {table} GROUP BY order_no)""",
}

STATUSES = pa.array(["delivered", "shipped", "placed", "cancelled", "refunded", "returned"])
STATUS_WEIGHTS = np.array([0.70, 0.12, 0.08, 0.05, 0.03, 0.02])


def log(message: str) -> None:
    print(message, flush=True)


def _decimal(cents: np.ndarray, scale: int = 2) -> pa.Array:
    """Arrow decimal128 from non-negative integer cents without per-row Python work."""
    words = np.zeros((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    return pa.Array.from_buffers(pa.decimal128(18, scale), len(cents), [None, pa.py_buffer(words)])


def order_lines(rows: int, offset: int, rng: np.random.Generator) -> pa.Table:
    """`rows` order lines shaped like simulator.frames.ORDER_LINES, three lines per order."""
    # An order keeps its channel, timestamp and number across its lines: derive them from the order id.
    line_no = (np.arange(offset, offset + rows) % 3 + 1).astype(np.uint16)
    order_id = np.arange(offset, offset + rows) // 3
    channel_idx = order_id % len(CHANNELS)
    channel_ids = pa.array([c.id for c in CHANNELS])
    currencies = pa.array([c.currency for c in CHANNELS])
    # Multi-warehouse channels ship an order (all its lines) from one of two warehouses.
    warehouse_pick = rng.integers(0, 2, rows // 3 + 2)[order_id - order_id[0]]
    warehouses = np.array([c.ships_from[0] for c in CHANNELS], dtype=object)
    warehouses_alt = np.array([c.ships_from[-1] for c in CHANNELS], dtype=object)
    countries = np.array([c.dest_countries[0] for c in CHANNELS], dtype=object)
    countries_alt = np.array([c.dest_countries[-1] for c in CHANNELS], dtype=object)
    warehouse = np.where(warehouse_pick == 0, warehouses[channel_idx], warehouses_alt[channel_idx])
    country = np.where(warehouse_pick == 0, countries[channel_idx], countries_alt[channel_idx])
    start_ms = np.datetime64("2025-01-01T00:00:00", "ms").astype(np.int64)
    # Orders arrive in time order, one every two seconds.
    order_ts = start_ms + order_id * 2_000
    unit_cents = rng.integers(199, 29_999, rows)
    qty = rng.integers(1, 6, rows).astype(np.uint32)
    discount_cents = np.where(rng.random(rows) < 0.2, (unit_cents * qty * 0.1).astype(np.int64), 0)
    store_no = pa.array(order_id % 3).cast(pa.string())
    return pa.table(
        {
            "order_no": pc.binary_join_element_wise("SO-", pa.array(order_id + 10_000_000).cast(pa.string()), ""),
            "line_no": pa.array(line_no),
            "channel": channel_ids.take(pa.array(channel_idx)),
            "store": pc.binary_join_element_wise(channel_ids.take(pa.array(channel_idx)), store_no, "-"),
            "order_ts": pa.array(order_ts, pa.timestamp("ms", tz="UTC")),
            "sku": pc.binary_join_element_wise("SKU-", pa.array(rng.integers(10_000, 30_000, rows)).cast(pa.string()), ""),
            "qty": pa.array(qty),
            "unit_price": _decimal(unit_cents),
            "discount": _decimal(discount_cents),
            "currency": currencies.take(pa.array(channel_idx)),
            "status": STATUSES.take(pa.array(rng.choice(len(STATUSES), rows, p=STATUS_WEIGHTS))),
            "warehouse_id": pa.array(warehouse.astype(str)),
            "dest_country": pa.array(country.astype(str)),
        }
    )


def batches(rows: int, batch_rows: int, seed: int = 7) -> list[pa.Table]:
    """The whole data set, generated up front so generation is not timed."""
    rng = np.random.default_rng(seed)
    out = []
    for offset in range(0, rows, batch_rows):
        out.append(order_lines(min(batch_rows, rows - offset), offset, rng))
        log(f"  generated {offset + len(out[-1]):>12,} / {rows:,} rows")
    return out


@dataclass
class Timings:
    """Seconds per side for one measured operation."""

    endpoint: list[float] = field(default_factory=list)
    in_process: list[float] = field(default_factory=list)
    client_encode: list[float] = field(default_factory=list)
    endpoint_whole_file: list[float] = field(default_factory=list)
    # CPU seconds (this process, plus the endpoint process for the endpoint side): what the work costs
    # whatever else the machine runs, unlike wall time on a loaded machine.
    endpoint_cpu: list[float] = field(default_factory=list)
    in_process_cpu: list[float] = field(default_factory=list)


def client_serialisation(client):
    """What clickhouse-connect's insert_arrow does before sending: the Arrow file, compressed as the
    client's settings ask. Timed on its own to show how much of the endpoint's insert time the client
    spends before the first byte reaches the endpoint (the in-process side has no such step)."""
    from clickhouse_connect.driver.query import arrow_buffer

    compression = client.write_compression if client.write_compression in ("zstd", "lz4") else None
    return lambda batch: arrow_buffer(batch, compression)


def endpoint_client(configured: bool, compress: str):
    """A client to the configured warehouse, or to a throwaway embedded endpoint; `compress` "auto"
    keeps warehouse.client's default."""
    from warehouse.client import bench_client

    options = {} if compress == "auto" else {"compress": compress == "on"}
    return bench_client(configured, **options)


def endpoint_cpu_clock(configured: bool):
    """CPU seconds used so far by the throwaway endpoint's process (Linux /proc), or None."""
    if configured:
        return None
    from warehouse import embedded

    pid = embedded.status().pid
    stat = Path(f"/proc/{pid}/stat")
    if pid is None or not stat.exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def seconds() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    return seconds


def in_process_session(path: str):
    """chDB in this process on its own data directory (never the endpoint's)."""
    from chdb import session

    return session.Session(path)


def run(rows: int, batch_rows: int, repeat: int, configured: bool, compress: str) -> int:
    log(f"tallyhouse warehouse benchmark: {rows:,} order lines, batches of {batch_rows:,}, "
        f"{repeat} repetitions per query")
    log("[1/4] generating data")
    data = batches(rows, batch_rows)
    nbytes = sum(b.nbytes for b in data)
    log(f"  {nbytes / 1e6:,.0f} MB of Arrow in {len(data)} batches")

    log("[2/4] starting the endpoint and the in-process session")
    with endpoint_client(configured, compress) as client, tempfile.TemporaryDirectory(
        prefix="tallyhouse-bench-chdb-"
    ) as chdb_dir:
        sess = in_process_session(chdb_dir)
        log(f"  endpoint client compression: {client.write_compression or 'off'}"
            + (" (warehouse.client's default)" if compress == "auto" else " (--compress)"))
        client.command("CREATE DATABASE IF NOT EXISTS bench")
        client.command("DROP TABLE IF EXISTS bench.order_lines")
        client.command(TABLE_DDL.format(table="bench.order_lines"))
        client.command("DROP TABLE IF EXISTS bench.order_lines_whole_file")
        client.command(TABLE_DDL.format(table="bench.order_lines_whole_file"))
        sess.query("CREATE DATABASE IF NOT EXISTS bench")
        sess.query(TABLE_DDL.format(table="bench.order_lines"))

        # Warm both paths (first-call imports, connection setup) outside the timings.
        warmup = data[0].slice(0, 10_000)
        client.command(TABLE_DDL.format(table="bench.warmup"))
        sess.query(TABLE_DDL.format(table="bench.warmup"))
        client.insert_arrow("bench.warmup", warmup)
        streaming_insert.insert_arrow(client, "bench.warmup", warmup)
        sess.query("INSERT INTO bench.warmup SELECT * FROM Python(warmup)")
        client.command("DROP TABLE bench.warmup")
        sess.query("DROP TABLE bench.warmup")

        log("[3/4] inserting (endpoint: streaming_insert.insert_arrow, and clickhouse-connect insert_arrow "
            "into a second table; in-process: INSERT ... FROM Python(batch))")
        inserts = Timings()
        done = 0
        serialise = client_serialisation(client)
        server_cpu = endpoint_cpu_clock(configured)
        for batch in data:
            started = time.perf_counter()
            serialise(batch)
            inserts.client_encode.append(time.perf_counter() - started)
            started, cpu_here, cpu_there = time.perf_counter(), time.process_time(), server_cpu() if server_cpu else 0.0
            streaming_insert.insert_arrow(client, "bench.order_lines", batch)
            inserts.endpoint.append(time.perf_counter() - started)
            if server_cpu:
                inserts.endpoint_cpu.append(time.process_time() - cpu_here + server_cpu() - cpu_there)
            started = time.perf_counter()
            client.insert_arrow("bench.order_lines_whole_file", batch)
            inserts.endpoint_whole_file.append(time.perf_counter() - started)
            # Emptied after every batch, so its background merges do not load the endpoint's side.
            landed = client.command("SELECT count() FROM bench.order_lines_whole_file")
            if landed != len(batch):
                raise SystemExit(f"insert_arrow landed {landed} rows of {len(batch)}")
            client.command("TRUNCATE TABLE bench.order_lines_whole_file")
            started, cpu_here = time.perf_counter(), time.process_time()
            sess.query("INSERT INTO bench.order_lines SELECT * FROM Python(batch)")
            inserts.in_process.append(time.perf_counter() - started)
            inserts.in_process_cpu.append(time.process_time() - cpu_here)
            done += len(batch)
            log(f"  {done:>12,} rows  endpoint {len(batch) / inserts.endpoint[-1] / 1e6:6.2f} M rows/s"
                f"  (whole-file insert_arrow {len(batch) / inserts.endpoint_whole_file[-1] / 1e6:6.2f})"
                f"  in-process {len(batch) / inserts.in_process[-1] / 1e6:6.2f} M rows/s")
        endpoint_count = client.command("SELECT count() FROM bench.order_lines")
        in_process_count = int(sess.query("SELECT count() FROM bench.order_lines", "CSV").bytes())
        if endpoint_count != rows or in_process_count != rows:
            raise SystemExit(f"row counts differ: endpoint {endpoint_count}, in-process {in_process_count}, sent {rows}")
        client.command("DROP TABLE bench.order_lines_whole_file")

        log(f"[4/4] aggregating ({repeat} repetitions each, median reported)")
        queries: dict[str, Timings] = {}
        for title, template in QUERIES.items():
            sql = template.format(table="bench.order_lines")
            timing = queries[title] = Timings()
            for attempt in range(1, repeat + 1):
                started = time.perf_counter()
                remote = client.query_arrow(sql)
                timing.endpoint.append(time.perf_counter() - started)
                started = time.perf_counter()
                local = pa.ipc.open_file(sess.query(sql, "Arrow").bytes()).read_all()
                timing.in_process.append(time.perf_counter() - started)
                if attempt == 1 and remote.to_pylist() != local.to_pylist():
                    raise SystemExit(f"results differ for {title!r}:\n{remote.slice(0, 3)}\n{local.slice(0, 3)}")
                log(f"  {title}: run {attempt}  endpoint {timing.endpoint[-1]:.3f}s  "
                    f"in-process {timing.in_process[-1]:.3f}s")
        client.command("DROP TABLE bench.order_lines")
        sess.close()

    return report(rows, inserts, queries)


def report(rows: int, inserts: Timings, queries: dict[str, Timings]) -> int:
    """Print rows/s per side and the ratios; exit status 0 whether or not targets are met."""
    insert_endpoint = rows / sum(inserts.endpoint)
    insert_local = rows / sum(inserts.in_process)
    agg_endpoint_total = sum(statistics.median(t.endpoint) for t in queries.values())
    agg_local_total = sum(statistics.median(t.in_process) for t in queries.values())
    log("")
    log(f"{'operation':40} {'endpoint rows/s':>16} {'in-process rows/s':>18} {'ratio':>7} {'target':>7}")
    insert_whole_file = rows / sum(inserts.endpoint_whole_file)
    log(f"{'insert ' + format(rows, ',') + ' rows':40} {insert_endpoint:16,.0f} {insert_local:18,.0f} "
        f"{insert_endpoint / insert_local:7.2f} {'>=0.70':>7}")
    log(f"{'  (clickhouse-connect insert_arrow)':40} {insert_whole_file:16,.0f} {insert_local:18,.0f} "
        f"{insert_whole_file / insert_local:7.2f}")
    for title, timing in queries.items():
        remote = rows / statistics.median(timing.endpoint)
        local = rows / statistics.median(timing.in_process)
        log(f"{'  ' + title:40} {remote:16,.0f} {local:18,.0f} {remote / local:7.2f}")
    log(f"{'aggregation (all queries)':40} {len(queries) * rows / agg_endpoint_total:16,.0f} "
        f"{len(queries) * rows / agg_local_total:18,.0f} {agg_local_total / agg_endpoint_total:7.2f} {'>=0.80':>7}")
    if inserts.endpoint_cpu:
        log(f"{'insert CPU seconds (client + endpoint)':40} {sum(inserts.endpoint_cpu):16.2f} "
            f"{sum(inserts.in_process_cpu):18.2f} {sum(inserts.in_process_cpu) / sum(inserts.endpoint_cpu):7.2f}"
            "  (load-independent cost; background merges included on both sides)")
    encode = sum(inserts.client_encode)
    log(f"  endpoint inserts: warehouse.streaming_insert.insert_arrow (ArrowStream, slices of "
        f"{streaming_insert.SLICE_ROWS:,} rows, encoded while the server inserts); clickhouse-connect's "
        f"insert_arrow spends {encode / sum(inserts.endpoint_whole_file):.0%} of its time encoding the whole "
        f"Arrow file before sending ({encode:.2f}s of {sum(inserts.endpoint_whole_file):.2f}s, timed separately)")
    insert_ok = insert_endpoint / insert_local >= 0.7
    agg_ok = agg_local_total / agg_endpoint_total >= 0.8
    log(f"insert target {'met' if insert_ok else 'MISSED'}, aggregation target {'met' if agg_ok else 'MISSED'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="order lines to insert (default 10M)")
    parser.add_argument("--batch-rows", type=int, default=1_000_000, help="rows per insert (default 1M)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per query (median reported)")
    parser.add_argument("--compress", choices=["auto", "on", "off"], default="auto",
                        help="clickhouse-connect compression (default auto: warehouse.client's default, on)")
    parser.add_argument("--configured", action="store_true",
                        help="use the configured warehouse (CLICKHOUSE_* / embedded in TALLYHOUSE_HOME) "
                             "instead of a throwaway embedded endpoint; creates and drops bench.order_lines")
    args = parser.parse_args(argv)
    return run(args.rows, args.batch_rows, args.repeat, args.configured, args.compress)


if __name__ == "__main__":
    raise SystemExit(main())

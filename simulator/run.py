"""`simulate()`: one run of the business, from parameters to landing files and the manifest.

The whole horizon is always simulated from the first day (cheap: a day is a few vectorised steps),
because that is what makes `--append` exact: the longer run recomputes the same first days
bit-for-bit and only the new dates are written to disk. The manifest and params are rewritten in full.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from simulator import faults, fx, order_files, shipments, shopify_orders, skus
from simulator.catalog import CHANNELS
from simulator.frames import ORDER_LINES, SHIPMENTS, conform
from simulator.inventory_files import write_inventory
from simulator.landing import Landing, csv_bytes
from simulator.manifest import Manifest
from simulator.orders import generate_day
from simulator.params import RATE_FIELDS, SimParams, params_path
from simulator.stock import WH_INDEX, Ledger, StockSimulation

Progress = Callable[[str, int, int], None]
# No order changes status later than this many days after it was placed (ship <= 2, transit <= 12,
# return or refund <= 20 days after delivery); bounds the rows scanned for a day's channel files.
MAX_ORDER_LIFE_DAYS = 40


@dataclass
class RunSummary:
    out: Path
    start: date
    end: date  # exclusive
    written_from: date  # first date written by this call (later than start when appending)
    rows: dict[str, int] = field(default_factory=dict)  # rows written per source by this call
    files: int = 0
    anomalies: dict[str, int] = field(default_factory=dict)  # planted items by type (whole horizon)
    orders: int = 0  # orders placed over the whole horizon
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase/source (benchmark only)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # process CPU time, same keys


def simulate(out: Path, *, start: date | None = None, days: int, orders_per_day: int | None = None,
             seed: int | None = None, skus: int | None = None, append: bool = False,
             progress: Progress | None = None, volume_shocks: Sequence[tuple[str, date | str, float]] | None = None,
             **rates: float) -> RunSummary:
    """Write the landing files of a simulated business under `out`.

    With `append=True` the stored parameters of `out` are reused and the business is extended by
    `days` more days; only files for the new dates are written (arguments other than `days` and
    `progress` must then be omitted or equal the stored ones). `volume_shocks` plants (channel, date,
    factor) order-volume shocks (none by default), for testing anomaly detection.
    """
    out = Path(out)
    shocks = None if volume_shocks is None else tuple(
        (channel, day if isinstance(day, str) else day.isoformat(), float(factor))
        for channel, day, factor in volume_shocks)
    stored = _stored(out)
    if append:
        if stored is None:
            raise FileNotFoundError(f"--append needs an existing run: {params_path(out)} is missing")
        given = {"start": start, "orders_per_day": orders_per_day, "seed": seed, "skus": skus,
                 "volume_shocks": shocks, **rates}
        clash = {k: v for k, v in given.items() if v is not None and getattr(stored, k) != v}
        if clash:
            raise ValueError(f"--append continues the stored business; these differ from it: {clash}")
        params = replace(stored, days=stored.days + days)
        write_from = stored.end
    else:
        if start is None or orders_per_day is None or seed is None:
            raise ValueError("start, orders_per_day and seed are required (unless appending)")
        unknown = sorted(set(rates) - set(RATE_FIELDS))
        if unknown:
            raise TypeError(f"unknown simulation parameters {unknown}; known: {list(RATE_FIELDS)}")
        extra: dict[str, object] = {"skus": skus} if skus is not None else {}
        if shocks:
            extra["volume_shocks"] = shocks
        params = SimParams(start=start, days=days, orders_per_day=orders_per_day, seed=seed, **extra, **rates)
        if stored is not None and stored != params:
            raise ValueError(f"{out} holds a different run ({params_path(out)}); use an empty directory, "
                             "the same parameters, or --append")
        write_from = params.start
    params.validate()
    return _run(out, params, write_from, progress or (lambda stage, done, total: None))


def _stored(out: Path) -> SimParams | None:
    path = params_path(out)
    return SimParams.from_json(path.read_text()) if path.exists() else None


def _run(out: Path, params: SimParams, write_from: date, progress: Progress) -> RunSummary:
    landing = Landing(out, write_from)
    manifest = Manifest()
    dates = params.dates()
    catalog = skus.build_catalog(params.seed, params.skus)
    rates = fx.rates(params.seed, params.start, params.end)
    total_steps = 3 * len(dates)

    with landing.timed("phase:generate_orders"):
        lines = _generate_lines(params, catalog, progress, total_steps)
    with landing.timed("phase:stock_ledger"):
        ledger = _simulate_stock(params, catalog, rates, lines, progress, total_steps)

    # Files, from the same ground truth.
    with landing.timed("sku_master"):
        _write_static(landing, params, catalog)
    with landing.timed("fx_rates"):
        _write_fx(landing, rates)
    with landing.timed("shipments"):
        parcels = shipments.build(lines, catalog, params.end)
        _write_shipments(landing, parcels, params.end)
    write_inventory(landing, ledger, manifest, params)
    _write_orders(landing, lines, catalog, params, manifest, progress, total_steps)

    # Freight (S2) and settlements (S3).
    with landing.timed("phase:order_lines_frame"):
        order_lines = final_order_lines(lines, params.end)
    _call_parts(landing, parcels, order_lines, params, manifest)

    with landing.timed("phase:manifest"):
        manifest.write(out)
        params_path(out).write_text(params.to_json())
    frame = manifest.frame()
    return RunSummary(
        out=out, start=params.start, end=params.end, written_from=write_from, rows=dict(sorted(landing.rows.items())),
        files=len(landing.files), anomalies=dict(sorted(Counter(frame["type"].to_list()).items())),
        orders=int(lines.select(pl.struct("channel", "order_no").n_unique()).item()),
        seconds=dict(sorted(landing.seconds.items())),
        cpu_seconds=dict(sorted(landing.cpu_seconds.items())),
    )


def _generate_lines(params: SimParams, catalog: pl.DataFrame, progress: Progress, total_steps: int
                    ) -> pl.DataFrame:
    """Order lines of every day, each day from its own generator, with waybill and stock-group ids."""
    lines_by_day = []
    before: Counter = Counter()
    for i, day in enumerate(params.dates()):
        day_lines = generate_day(params, day, catalog, dict(before))
        lines_by_day.append(day_lines)
        before.update(dict(day_lines.group_by("channel").agg(pl.col("order_no").n_unique()).iter_rows()))
        progress("orders", i + 1, total_steps)
    lines = pl.concat(lines_by_day, how="vertical")
    return lines.with_row_index("line_id").with_columns(
        (pl.col("warehouse_id").replace_strict(WH_INDEX, return_dtype=pl.Int64) * params.skus
         + pl.col("sku_idx")).alias("g"),
    )


def _simulate_stock(params: SimParams, catalog: pl.DataFrame, rates: pl.DataFrame, lines: pl.DataFrame,
                    progress: Progress, total_steps: int) -> Ledger:
    """Run the ledger day by day: what leaves (shipments, POS), comes back (returns) and is reserved."""
    dates = params.dates()
    sim = StockSimulation(params, catalog, fx.cny_rate_map(rates))
    sim.opening()
    is_pos = pl.col("channel") == "pos"
    leave_date = pl.when(is_pos).then(pl.col("order_date")).otherwise(pl.col("ship_date"))
    stock_cols = ["line_id", "g", "qty", "order_no", "channel", "order_date", "ship_date", "cancel_date",
                  "return_date", "order_ts", "line_no"]
    by_leave = _partition(lines.select(*stock_cols, leave_date.alias("leave_date")), "leave_date")
    by_order = _partition(lines.select(*stock_cols), "order_date")
    for i, day in enumerate(dates):
        demand = by_leave.get(day, _empty(by_leave)).sort("g", "order_ts", "order_no", "line_no", maintain_order=True)
        recent = [by_order[d] for d in (day - timedelta(days=k) for k in range(4)) if d in by_order]
        pending = pl.concat(recent).filter(
            (pl.col("ship_date") > day) | (pl.col("ship_date").is_null() & (pl.col("cancel_date") > day))
        ).select("g", "qty")
        sim.run_day(day, i, demand, pending)
        progress("stock", len(dates) + i + 1, total_steps)
    return sim.result()


def _partition(frame: pl.DataFrame, by: str) -> dict[date, pl.DataFrame]:
    parts = frame.filter(pl.col(by).is_not_null()).partition_by(by, as_dict=True, maintain_order=True)
    return {key[0]: part for key, part in parts.items()}


def _empty(parts: dict[date, pl.DataFrame]) -> pl.DataFrame:
    return next(iter(parts.values())).clear() if parts else pl.DataFrame()


def _write_static(landing: Landing, params: SimParams, catalog: pl.DataFrame) -> None:
    master = skus.sku_master_file(catalog)
    landing.write_bytes("sku_master", params.start, "sku_master.csv", csv_bytes(master), master.height)


def _write_fx(landing: Landing, rates: pl.DataFrame) -> None:
    for (day,), part in rates.partition_by("rate_date", as_dict=True, maintain_order=True).items():
        if landing.wants(day):
            body = part.with_columns(pl.col("rate").map_elements(lambda r: f"{r:.4f}", return_dtype=pl.Utf8))
            landing.write_bytes("fx_rates", day, f"fx_rates_{day:%Y%m%d}.csv", csv_bytes(body), part.height)


def _write_shipments(landing: Landing, parcels: pl.DataFrame, end: date) -> None:
    """TMS waybill events: a row when a parcel ships and another when it is delivered. A day's file
    lists the day's deliveries (by delivery time) then its shipments (in the parcels' order)."""
    ts = "%Y-%m-%dT%H:%M:%SZ"
    cols = ["event", *SHIPMENTS]
    window = (pl.col("event_date") < end) & (pl.col("event_date") >= landing.write_from)
    shipped = parcels.with_columns(pl.lit("shipped").alias("event"), pl.col("ship_date").alias("event_date"),
                                   pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("delivered_ts")).filter(window)
    delivered = parcels.filter(pl.col("delivered_ts").is_not_null()).with_columns(
        pl.lit("delivered").alias("event"), pl.col("delivered_ts").dt.date().alias("event_date"),
    ).filter(window).sort("delivered_ts", maintain_order=True)
    by_day = {
        "delivered": delivered.partition_by("event_date", as_dict=True, maintain_order=True),
        "shipped": shipped.partition_by("event_date", as_dict=True, maintain_order=True),
    }
    days = sorted({k[0] for parts in by_day.values() for k in parts})
    for day in days:
        part = pl.concat([by_day[e][(day,)] for e in ("delivered", "shipped") if (day,) in by_day[e]])
        body = part.select(cols).with_columns(pl.col("ship_ts").dt.strftime(ts), pl.col("delivered_ts").dt.strftime(ts))
        landing.write_bytes("shipments", day, f"waybills_{day:%Y%m%d}.csv", csv_bytes(body), part.height)


def _write_orders(landing: Landing, lines: pl.DataFrame, catalog: pl.DataFrame, params: SimParams,
                  manifest: Manifest, progress: Progress, total_steps: int) -> None:
    sku_info = catalog.select("sku", "name", "name_zh", "weight_kg").with_columns(
        pl.Series("asin", [_asin(i) for i in range(catalog.height)]))
    start_index = {d: i for i, d in enumerate(params.dates())}
    # Only orders young enough to still change status can appear in a day's file.
    live = lines.filter(pl.col("order_date") >= landing.write_from - timedelta(days=MAX_ORDER_LIFE_DAYS))
    for day in params.dates():
        i = start_index[day]
        if not landing.wants(day):
            # Already on disk: record its faults again so an appended manifest equals a single run's.
            _replay_faults(landing, rows_for=lines, day=day, params=params, manifest=manifest,
                           sku_info=sku_info, index=i)
            continue
        planned = faults.plan(params, day, i)
        with landing.timed("phase:order_appearances"):
            parts = order_files.appearances_on(live, day).partition_by("channel", as_dict=True,
                                                                       maintain_order=True)
        for ch in CHANNELS:
            part = parts.get((ch.id,))
            if part is None:
                continue
            with landing.timed(order_files.FILE_SPECS[ch.id][0]):
                _write_order_file(landing, part, ch.id, day, i, planned, params, manifest, sku_info)
        progress("files", 2 * len(params.dates()) + i + 1, total_steps)


def _write_order_file(landing: Landing, part: pl.DataFrame, channel: str, day: date, index: int,
                      planned: list[faults.PlannedFault], params: SimParams, manifest: Manifest,
                      sku_info: pl.DataFrame) -> None:
    source, name, sep, encoding, bom = order_files.FILE_SPECS[channel]
    rel = landing.path(source, day, name.format(ymd=f"{day:%Y%m%d}"))
    if channel == "shopify":
        data, n = shopify_orders.shopify_json(part, sku_info)
    else:
        table = order_files.table(channel, part, sku_info)
        table = faults.apply_malformed(table, channel, planned, day=day, source=source, rel=rel, manifest=manifest)
        data, n = csv_bytes(table, separator=sep, encoding=encoding, bom=bom), table.height
        if channel == faults.TRUNCATED_CHANNEL and index == params.truncated_file_day:
            data = faults.truncate(data, day=day, source=source, rel=rel, channel=channel, manifest=manifest)
    landing.write_bytes(source, day, rel.rsplit("/", 1)[1], data, n)


def _replay_faults(landing: Landing, *, rows_for: pl.DataFrame, day: date, params: SimParams,
                   manifest: Manifest, sku_info: pl.DataFrame, index: int) -> None:
    """Record (without writing) the faults of a date already on disk, so an appended manifest is complete."""
    planned = faults.plan(params, day, index)
    truncated = index == params.truncated_file_day
    if not planned and not truncated:
        return
    window = rows_for.filter(pl.col("order_date").is_between(day - timedelta(days=MAX_ORDER_LIFE_DAYS), day))
    rows = order_files.appearances_on(window, day)
    for ch in CHANNELS:
        if ch.id == "shopify":
            continue
        part = rows.filter(pl.col("channel") == ch.id)
        if part.height == 0:
            continue
        source, name, sep, encoding, bom = order_files.FILE_SPECS[ch.id]
        rel = landing.path(source, day, name.format(ymd=f"{day:%Y%m%d}"))
        table = faults.apply_malformed(order_files.table(ch.id, part, sku_info), ch.id, planned, day=day,
                                       source=source, rel=rel, manifest=manifest)
        if ch.id == faults.TRUNCATED_CHANNEL and truncated:
            faults.truncate(csv_bytes(table, separator=sep, encoding=encoding, bom=bom), day=day, source=source,
                            rel=rel, channel=ch.id, manifest=manifest)


def _asin(i: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    n = (i * 2_654_435_761 + 97_531) % 36**8
    chars = []
    for _ in range(8):
        n, r = divmod(n, 36)
        chars.append(alphabet[r])
    return "B0" + "".join(reversed(chars))


def final_order_lines(lines: pl.DataFrame, end: date) -> pl.DataFrame:
    """frames.ORDER_LINES: each line's state as far as the horizon knows it (later events unknown)."""
    last = end - timedelta(days=1)
    known = {c: pl.when(pl.col(c) < end).then(pl.col(c)).otherwise(None)
             for c in ("cancel_date", "ship_date", "delivered_date", "refund_date", "return_date")}
    frame = lines.filter(pl.col("order_date") < end).with_columns(**known)

    def by(col: str) -> pl.Expr:
        return pl.col(col).is_not_null() & (pl.col(col) <= last)

    frame = frame.with_columns(
        pl.when(by("return_date")).then(pl.lit("returned")).when(by("refund_date")).then(pl.lit("refunded"))
        .when(by("delivered_date")).then(pl.lit("delivered")).when(by("ship_date")).then(pl.lit("shipped"))
        .when(by("cancel_date")).then(pl.lit("cancelled")).otherwise(pl.lit("placed")).alias("status"),
        pl.when(pl.col("refund_date").is_not_null()).then(pl.col("refund_amount")).otherwise(0.0)
        .alias("refund_amount"),
    )
    return conform(frame, ORDER_LINES)


def _call_parts(landing: Landing, parcels: pl.DataFrame, order_lines: pl.DataFrame, params: SimParams,
                manifest: Manifest) -> None:
    """Rate cards and carrier bills (simulator.freight) and channel settlements (simulator.settlements)
    from the same shipments and order lines the core wrote, so every bill line and payout has a truth."""
    from simulator.freight import write_freight
    from simulator.settlements import write_settlements

    with landing.timed("phase:freight (S2)"):
        landing.rows.update(_only_new(write_freight(parcels, start=params.start, end=params.end,
                                                    seed=params.seed, out=landing.out, manifest=manifest)))
    with landing.timed("phase:settlements (S3)"):
        landing.rows.update(_only_new(write_settlements(order_lines, start=params.start, end=params.end,
                                                        seed=params.seed, out=landing.out, manifest=manifest)))


def _only_new(counts: dict[str, int]) -> dict[str, int]:
    return {k: int(v) for k, v in counts.items()}

"""Order lines of one business day, with every later event of each order drawn up front.

Each order's whole life (cancel, ship, deliver, return, refund dates) is drawn from the generator of
the day it was placed, so the orders of day d depend on nothing after d and an order's later status
changes are known without carrying state between days. Channels re-deliver an order in the file of
every day its status changes; the writers derive those re-deliveries from the event dates.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from simulator import geography, seasonality
from simulator import rng as streams
from simulator.catalog import CHANNELS, by_id, zone_for
from simulator.params import SimParams
from simulator.shipments import waybill_numbers

CHANNEL_SHARE = {"amazon": 0.30, "shopify": 0.15, "tmall": 0.24, "jd": 0.13, "douyin": 0.13, "pos": 0.05}
STORES = {
    "amazon": ("TallyHome US",),
    "shopify": ("tallyhome-eu.myshopify.com",),
    "tmall": ("TallyHome旗舰店",),
    "jd": ("TallyHome京东旗舰店",),
    "douyin": ("TallyHome抖音小店",),
    "pos": ("SH01", "SZ02", "BJ03", "HZ04"),
}
# Share of orders per local hour 0..23: quiet nights, lunch and evening peaks.
HOURLY = np.array([1.2, 0.7, 0.4, 0.3, 0.3, 0.4, 0.8, 1.6, 2.8, 4.0, 5.0, 5.4,
                   5.6, 5.2, 5.0, 5.1, 5.3, 5.5, 5.8, 6.4, 7.6, 8.2, 7.0, 4.3])
HOURLY = HOURLY / HOURLY.sum()
POS_HOURLY = np.zeros(24)
POS_HOURLY[10:22] = [4, 6, 8, 8, 7, 7, 8, 9, 11, 12, 11, 9]
POS_HOURLY = POS_HOURLY / POS_HOURLY.sum()
RETURN_FACTOR = {"amazon": 2.0, "shopify": 1.6, "tmall": 1.0, "jd": 0.9, "douyin": 1.2, "pos": 0.3}
TRANSIT_DAYS = {  # (choices, probabilities) by carrier-mix key
    "CN-SZX": ((1, 2, 3, 4), (0.3, 0.4, 0.2, 0.1)),
    "CN-SZX-XB": ((6, 8, 10, 12), (0.2, 0.4, 0.3, 0.1)),
    "US-LAX": ((2, 3, 4, 5, 6), (0.2, 0.3, 0.25, 0.15, 0.1)),
    "EU-FRA": ((1, 2, 3, 4), (0.35, 0.4, 0.15, 0.1)),
    "3PL-UK": ((1, 2, 3), (0.4, 0.45, 0.15)),
}
WAREHOUSE_TZ = {"CN-SZX": "Asia/Shanghai", "US-LAX": "America/Los_Angeles", "EU-FRA": "Europe/Berlin",
                "3PL-UK": "Europe/London"}
FIRST_NAMES = ("James", "Mary", "Lukas", "Emma", "Louis", "Chloé", "Daan", "Sophie", "Oliver", "Amelia")
LAST_NAMES = ("Smith", "Müller", "Martin", "de Vries", "Brown", "Schmidt", "Bernard", "Jones", "Wilson")


def utc_offset(tz: str, day: date) -> timedelta:
    """The zone's UTC offset at noon of a local date (DST changes happen at night)."""
    offset = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(tz)).utcoffset()
    assert offset is not None
    return offset


def daily_counts(params: SimParams, day: date) -> dict[str, int]:
    """Orders per channel on a day; its own generator, so order ids can count across days cheaply."""
    rng = streams.day_rng(params.seed, streams.ORDERS, day)
    noise = rng.normal(1.0, 0.03, len(CHANNELS))
    return {
        ch.id: max(0, round(params.orders_per_day * CHANNEL_SHARE[ch.id] * seasonality.volume_factor(ch.id, day) * z
                            * params.shock(ch.id, day)))
        for ch, z in zip(CHANNELS, noise, strict=True)
    }


def _strings(values: tuple[str, ...] | list[str], idx: np.ndarray) -> pl.Series:
    """Text column from a small vocabulary and integer codes (avoids slow numpy object arrays)."""
    return pl.Series(list(values), dtype=pl.Utf8).gather(pl.Series(idx, dtype=pl.Int64))


def _draw(rng: np.random.Generator, weights: list[float] | tuple[float, ...], n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _at_local(days: np.ndarray, seconds: np.ndarray, offsets_s: np.ndarray) -> np.ndarray:
    """UTC instants (datetime64[us]) of local (date, seconds after midnight) at the given offsets."""
    base = days.astype("datetime64[D]").astype("datetime64[us]")
    return base + ((seconds - offsets_s) * 1_000_000).astype("timedelta64[us]")


def _offsets(tz_idx: np.ndarray, tzs: tuple[str, ...], days: np.ndarray) -> np.ndarray:
    """Seconds of UTC offset per (tz, local date), computed once per distinct pair (NaT -> 0)."""
    day_int = days.astype("datetime64[D]").astype(np.int64)
    valid = ~np.isnat(days)
    out = np.zeros(len(days), dtype=np.int64)
    if not valid.any():
        return out
    key = tz_idx.astype(np.int64) * 1_000_000 + np.where(valid, day_int - day_int[valid].min(), 0)
    uniq, inv = np.unique(key[valid], return_inverse=True)
    base = day_int[valid].min()
    offs = np.array([
        int(utc_offset(tzs[int(k // 1_000_000)], date.fromordinal(int(k % 1_000_000 + base) + 719_163))
            .total_seconds()) for k in uniq
    ], dtype=np.int64)
    out[valid] = offs[inv]
    return out


# Flattened destination and carrier tables (codes index into these).
_REGION_ROWS = [(cc, *r) for cc in geography.REGIONS for r in geography.REGIONS[cc]]
_REGION_START = {cc: next(i for i, r in enumerate(_REGION_ROWS) if r[0] == cc) for cc in geography.REGIONS}
_WAREHOUSES = ("CN-SZX", "US-LAX", "EU-FRA", "3PL-UK")
_MIX_KEYS = ("CN-SZX", "US-LAX", "EU-FRA", "3PL-UK", "CN-SZX-XB")
_MIX_ROWS = [(k, c, sv, w) for k in _MIX_KEYS for c, sv, w in geography.CARRIER_MIX[k]]
_MIX_START = {k: next(i for i, r in enumerate(_MIX_ROWS) if r[0] == k) for k in _MIX_KEYS}
_TZS = tuple(WAREHOUSE_TZ[w] for w in _WAREHOUSES)
# Contract zone of every (carrier mix row, destination region) pair, looked up by integer codes.
_ZONES = sorted({zone_for(m[1], r[0], r[1]) for m in _MIX_ROWS for r in _REGION_ROWS})
_ZONE_CODE = np.array([[_ZONES.index(zone_for(m[1], r[0], r[1])) for r in _REGION_ROWS] for m in _MIX_ROWS])


def _channel_orders(params: SimParams, day: date, channel: str, n: int, counts_before: int,
                    rng: np.random.Generator) -> pl.DataFrame:
    ch = by_id(CHANNELS, channel)
    seq = np.arange(n, dtype=np.int64)
    hours = rng.choice(24, size=n, p=POS_HOURLY if channel == "pos" else HOURLY)
    seconds = np.sort(hours * 3600 + rng.integers(0, 3600, n))
    order_ts = _at_local(np.full(n, np.datetime64(day)), seconds,
                         np.full(n, int(utc_offset(ch.timezone, day).total_seconds())))

    countries = geography.CHANNEL_COUNTRIES[channel]
    country_local = _draw(rng, [w for _, w in countries], n)
    region = np.zeros(n, dtype=np.int64)
    for ci, (cc, _) in enumerate(countries):
        mask = country_local == ci
        regs = geography.REGIONS[cc]
        region[mask] = _REGION_START[cc] + _draw(rng, [r[1] for r in regs], int(mask.sum()))
    country_names = [cc for cc, _ in countries]
    is_gb = np.array([cc == "GB" for cc in country_names])[country_local] if n else np.zeros(0, dtype=bool)
    is_cn = np.array([cc == "CN" for cc in country_names])[country_local] if n else np.zeros(0, dtype=bool)
    postal_tail = rng.integers(0, 1000, n)

    wh = np.full(n, _WAREHOUSES.index(geography.warehouse_for(channel, "")), dtype=np.int64)
    if channel == "shopify":
        wh[is_gb] = _WAREHOUSES.index(geography.warehouse_for(channel, "GB"))
        direct = rng.random(n) < geography.SHOPIFY_DIRECT_SHARE
        wh[direct] = 0
    mix_key = np.where((wh == 0) & ~is_cn, 4, wh)

    is_pos = channel == "pos"
    mix = np.full(n, -1, dtype=np.int64)
    transit = np.zeros(n, dtype=np.int64)
    if not is_pos:
        for k in sorted(set(mix_key.tolist())):
            key = _MIX_KEYS[k]
            mask = mix_key == k
            rows = geography.CARRIER_MIX[key]
            mix[mask] = _MIX_START[key] + _draw(rng, [r[2] for r in rows], int(mask.sum()))
            choices, probs = TRANSIT_DAYS[key]
            transit[mask] = rng.choice(np.array(choices), size=int(mask.sum()), p=np.array(probs))

    none = np.full(n, -1, dtype=np.int64)
    if is_pos:
        ship_off = none.copy()
        deliv_off = np.zeros(n, dtype=np.int64)  # handed over at the till
        cancel_off = none.copy()
    else:
        ship_off = rng.choice(np.array([0, 1, 2]), size=n, p=np.array([0.45, 0.4, 0.15]))
        deliv_off = ship_off + transit
        cancelled = rng.random(n) < params.cancel_rate
        cancel_off = np.where(cancelled, (rng.random(n) * ship_off).astype(np.int64), -1)
        ship_off = np.where(cancelled, -1, ship_off)
        deliv_off = np.where(cancelled, -1, deliv_off)
    alive = deliv_off >= 0
    returned = alive & (rng.random(n) < params.return_rate * RETURN_FACTOR[channel])
    return_off = np.where(returned, deliv_off + (rng.integers(1, 15, n) if is_pos else rng.integers(3, 21, n)), -1)
    refunded = alive & ~returned & (rng.random(n) < params.refund_rate)
    refund_off = np.where(refunded, deliv_off + rng.integers(0 if is_pos else 1, 11, n), -1)
    refund_off = np.where(returned, return_off, refund_off)
    refund_frac = np.where(returned, 1.0, np.where(refunded, np.round(rng.uniform(0.2, 1.0, n), 2), 0.0))
    ship_sec = rng.integers(10 * 3600, 20 * 3600, n)
    deliv_sec = rng.integers(9 * 3600, 21 * 3600, n)
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    store = rng.integers(0, len(STORES[channel]), n)
    suffix = rng.integers(0, 100_000, n)

    store_names = _strings(STORES[channel], store)
    order_no = _order_numbers(channel, day, seq, counts_before, suffix, store_names)
    day64 = np.datetime64(day)

    def at(off: np.ndarray) -> np.ndarray:
        return np.where(off >= 0, day64 + off.astype("timedelta64[D]"), np.datetime64("NaT"))

    ship_date = at(ship_off)
    deliv_date = at(deliv_off)
    if is_pos:
        ship_ts = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
        deliv_ts = order_ts + np.timedelta64(60, "s").astype("timedelta64[us]")
    else:
        ship_ts = _at_local(ship_date, ship_sec, _offsets(wh, _TZS, ship_date))
        deliv_ts = _at_local(deliv_date, deliv_sec, _offsets(wh, _TZS, deliv_date))
    mix_safe = np.maximum(mix, 0)
    no_carrier = pl.Series(mix < 0)

    orders = pl.DataFrame({
        "order_no": order_no,
        "channel": pl.Series([channel], dtype=pl.Utf8).gather(np.zeros(n, dtype=np.int64)),
        "store": store_names,
        "order_ts": order_ts,
        "order_date": np.full(n, day64),
        "currency": pl.Series(["GBP" if g else ch.currency for g in (False, True)]).gather(is_gb.astype(np.int64)),
        "warehouse_id": _strings(_WAREHOUSES, wh),
        "carrier": _strings([r[1] for r in _MIX_ROWS], mix_safe),
        "service": _strings([r[2] for r in _MIX_ROWS], mix_safe),
        "zone": _strings(_ZONES, _ZONE_CODE[mix_safe, region] if n else np.zeros(0, dtype=np.int64)),
        "dest_country": _strings([r[0] for r in _REGION_ROWS], region),
        "dest_region": _strings([r[1] for r in _REGION_ROWS], region),
        "dest_city": _strings([r[3] for r in _REGION_ROWS], region),
        "postal_code": _strings([r[4] for r in _REGION_ROWS], region),
        "buyer_first": _strings(FIRST_NAMES, first),
        "buyer_last": _strings(LAST_NAMES, last),
        "cancel_date": at(cancel_off),
        "ship_date": ship_date,
        "delivered_date": deliv_date,
        "return_date": at(return_off),
        "refund_date": at(refund_off),
        "refund_frac": refund_frac,
        "ship_ts": ship_ts,
        "delivered_ts": deliv_ts,
        "order_seq": seq,
        "postal_tail": postal_tail,
    })
    carriers = pl.when(no_carrier | pl.Series(ship_off < 0)).then(None).otherwise(orders["carrier"])
    waybill = waybill_numbers(pl.select(carriers.alias("c")).to_series(), day, channel, orders["order_seq"])
    return orders.with_columns(
        waybill.alias("waybill_no"),
        pl.col("order_ts").dt.replace_time_zone("UTC"),
        pl.col("ship_ts").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        pl.col("delivered_ts").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        pl.when(no_carrier).then(None).otherwise(pl.col("carrier")).alias("carrier"),
        pl.when(no_carrier).then(None).otherwise(pl.col("service")).alias("service"),
        pl.when(no_carrier).then(None).otherwise(pl.col("zone")).alias("zone"),
        pl.concat_str("postal_code", pl.col("postal_tail").cast(pl.Utf8).str.zfill(3)).alias("postal_code"),
        pl.concat_str("buyer_first", pl.lit(" "), "buyer_last").alias("buyer_name"),
    ).drop("postal_tail", "buyer_first", "buyer_last")


def _order_numbers(channel: str, day: date, seq: np.ndarray, before: int, suffix: np.ndarray,
                   store: pl.Series) -> pl.Series:
    """Channel-shaped order ids, unique per channel across days (built from the date and sequence)."""
    o = day.toordinal()
    s = pl.Series(seq)
    x = pl.Series(suffix)

    def z(series: pl.Series, width: int) -> pl.Expr:
        return pl.lit(series).cast(pl.Utf8).str.zfill(width)

    if channel == "amazon":
        expr = pl.concat_str(pl.lit(f"{111 + o % 4}-{(o * 3) % 10_000_000:07d}-"),
                             z((s * 7919 + 12345) % 10_000_000, 7))
    elif channel == "shopify":
        expr = pl.concat_str(pl.lit("#"), (pl.lit(s) + 1001 + before).cast(pl.Utf8))
    elif channel == "tmall":
        expr = pl.concat_str(pl.lit(str(o)), z(s, 7), z(x, 5))
    elif channel == "jd":
        expr = pl.concat_str(pl.lit(f"3{o % 100_000:05d}"), z(s, 6))
    elif channel == "douyin":
        expr = pl.concat_str(pl.lit(f"69{o}"), z(s, 7), z(x % 10_000, 4))
    else:
        expr = pl.concat_str(pl.lit("POS-"), pl.lit(store),
                             pl.lit(f"-{day.strftime('%Y%m%d')}-"), z(s, 6))
    return pl.select(expr.alias("order_no")).to_series()


def generate_day(params: SimParams, day: date, catalog: pl.DataFrame, counts_before: dict[str, int]
                 ) -> pl.DataFrame:
    """All order lines placed on `day` (local date of the channel), with their future events."""
    rng = streams.day_rng(params.seed, streams.ORDERS, day)
    rng.normal(1.0, 0.03, len(CHANNELS))  # the draw daily_counts used; keep streams aligned
    counts = daily_counts(params, day)
    frames = [
        _channel_orders(params, day, ch.id, counts[ch.id], counts_before.get(ch.id, 0), rng)
        for ch in CHANNELS
    ]
    orders = pl.concat([f for f in frames if f.height], how="vertical")
    return _explode_lines(orders, catalog, day, rng)


LINE_COUNTS = np.array([1, 2, 3])
LINE_PROBS = np.array([0.72, 0.20, 0.08])
QTY = np.array([1, 2, 3])
QTY_PROBS = np.array([0.82, 0.13, 0.05])


def _explode_lines(orders: pl.DataFrame, catalog: pl.DataFrame, day: date, rng: np.random.Generator
                   ) -> pl.DataFrame:
    n = orders.height
    n_lines = rng.choice(LINE_COUNTS, size=n, p=LINE_PROBS)
    total = int(n_lines.sum())
    order_idx = np.repeat(np.arange(n), n_lines)
    starts = np.cumsum(n_lines) - n_lines
    line_no = (np.arange(total) - np.repeat(starts, n_lines) + 1).astype(np.int32)
    sku_idx = rng.choice(catalog.height, size=total, p=catalog["popularity"].to_numpy())
    qty = rng.choice(QTY, size=total, p=QTY_PROBS).astype(np.int32)
    disc_draw = rng.random(total)
    shares = {ch.id: seasonality.promotion(ch.id, day)[2] for ch in CHANNELS}
    promo_share = orders["channel"].replace_strict(shares, return_dtype=pl.Float64).to_numpy()[order_idx]
    discounted = disc_draw < np.where(promo_share > 0, 0.8, 0.06)
    share = np.where(promo_share > 0, promo_share, 0.10) * discounted

    currencies = ("CNY", "USD", "EUR", "GBP")
    price_matrix = catalog.select(f"price_{c.lower()}" for c in currencies).to_numpy()
    cur_idx = orders["currency"].replace_strict({c: i for i, c in enumerate(currencies)},
                                                return_dtype=pl.Int64).to_numpy()[order_idx]
    unit_price = price_matrix[sku_idx, cur_idx]
    discount = np.round(unit_price * qty * share, 2)
    refund = np.round((unit_price * qty - discount) * orders["refund_frac"].to_numpy()[order_idx], 2)
    # Channels stay in catalog order and orders in sequence: lines of an order are contiguous.
    return orders[order_idx].with_columns(
        pl.Series("line_no", line_no),
        pl.Series("sku_idx", sku_idx.astype(np.int32)),
        catalog["sku"].gather(sku_idx).alias("sku"),
        pl.Series("qty", qty),
        pl.Series("unit_price", unit_price),
        pl.Series("discount", discount),
        pl.Series("refund_amount", refund),
    )

"""Parcels (waybills) built from shipped orders, in the frames.SHIPMENTS shape.

One order ships as one parcel. Weight and dimensions come from the SKUs in it plus packaging, so a
carrier bill's weight can be checked against what really left the warehouse; the zone is the carrier's
own contract zone for the destination.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from simulator.frames import SHIPMENTS, conform

CHANNEL_DIGIT = {"amazon": 1, "shopify": 2, "tmall": 3, "jd": 4, "douyin": 5, "pos": 6}
# carrier -> (prefix, suffix) around a 13-digit body: order date ordinal (6), channel (1), sequence (6).
WAYBILL_SHAPE = {
    "SF": ("SF", ""), "ZTO": ("7", ""), "YTO": ("YT", ""), "CAINIAO": ("LP00", ""), "4PX": ("4PX", "CN"),
    "UPS": ("1Z8A7", ""), "FEDEX": ("79", ""), "USPS": ("9400", "00000"), "DHL": ("JJD00", ""),
    "ROYALMAIL": ("RM", "GB"),
}


def waybill_numbers(carrier: pl.Series, day: date, channel: str, seq: pl.Series) -> pl.Series:
    """Carrier-shaped tracking numbers, unique because the body encodes order date, channel and sequence."""
    body = f"{day.toordinal():06d}{CHANNEL_DIGIT[channel]}"
    prefix = {k: v[0] for k, v in WAYBILL_SHAPE.items()}
    suffix = {k: v[1] for k, v in WAYBILL_SHAPE.items()}
    return pl.select(pl.concat_str(
        pl.lit(carrier).replace_strict(prefix, default=None, return_dtype=pl.Utf8), pl.lit(body),
        pl.lit(seq).cast(pl.Utf8).str.zfill(6),
        pl.lit(carrier).replace_strict(suffix, default=None, return_dtype=pl.Utf8),
    ).alias("waybill_no")).to_series()


def build(lines: pl.DataFrame, catalog: pl.DataFrame, end: date) -> pl.DataFrame:
    """SHIPMENTS rows for every parcel shipped before `end` (delivery unknown if on/after `end`).

    Lines of an order are contiguous with line_no 1, 2, ..., so `line_id - line_no` identifies the
    order with an integer (cheap to group by) and the first line carries the order-level fields, the
    contract zone included (drawn with the destination, `catalog.zone_for`).
    """
    shipped = lines.filter(pl.col("ship_date").is_not_null() & (pl.col("ship_date") < end)).with_columns(
        (pl.col("line_id").cast(pl.Int64) - pl.col("line_no")).alias("order_key"))
    dims = catalog.select("sku_idx", "weight_kg", "length_cm", "width_cm", "height_cm")
    sizes = (
        shipped.select("order_key", "sku_idx", "qty")
        .join(dims, on="sku_idx", how="left")
        .group_by("order_key")
        .agg((pl.col("weight_kg") * pl.col("qty")).sum().alias("goods_kg"), pl.col("length_cm").max(),
             pl.col("width_cm").max(), (pl.col("height_cm") * pl.col("qty")).sum().alias("stack_cm"))
    )
    parcels = (
        shipped.filter(pl.col("line_no") == 1)
        .select("order_key", "waybill_no", "order_no", "channel", "warehouse_id", "carrier", "service", "ship_ts",
                "ship_date", "delivered_ts", "delivered_date", "dest_country", "dest_region", "zone", "order_seq")
        .join(sizes, on="order_key", how="left", maintain_order="left")
        .with_columns(
            # packaging: a box a little larger than the goods, 8% + 120 g of extra weight
            (pl.col("goods_kg") * 1.08 + 0.12 + (pl.col("order_seq") % 7) * 0.01).round(2).alias("actual_weight_kg"),
            (pl.col("length_cm") + 2).round(0).alias("length_cm"),
            (pl.col("width_cm") + 2).round(0).alias("width_cm"),
            (pl.col("stack_cm").clip(upper_bound=90.0) + 2).round(0).alias("height_cm"),
            pl.when(pl.col("delivered_date") < end).then(pl.col("delivered_ts")).otherwise(None).alias("delivered_ts"),
        )
    )
    # Stable sort on time only (ties keep the deterministic line order): string keys cost a lot at 3M rows.
    return conform(parcels.sort("ship_date", "ship_ts", maintain_order=True), SHIPMENTS)

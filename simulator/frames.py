"""In-memory tables the simulator's parts hand to each other.

The business core produces order lines and shipments; the freight part (rate cards, carrier bills)
and the settlement part (marketplace payouts) consume them. Fixing the columns here lets the parts be
written and tested independently and keeps every file they emit consistent with one ground truth.
"""

from __future__ import annotations

import polars as pl

UTC_TS = pl.Datetime("us", "UTC")

# One row per order line, in its final state as far as the simulated horizon knows it.
ORDER_LINES: dict[str, pl.DataType] = {
    "order_no": pl.Utf8,  # the channel's own order id, unique within the channel
    "channel": pl.Utf8,  # simulator.catalog.CHANNELS id
    "store": pl.Utf8,
    "order_ts": UTC_TS,
    "order_date": pl.Date,  # local date in the channel's time zone
    "line_no": pl.Int32,
    "sku": pl.Utf8,
    "qty": pl.Int32,
    "unit_price": pl.Float64,  # order currency, before discount
    "discount": pl.Float64,  # order currency, for the whole line
    "currency": pl.Utf8,
    "status": pl.Utf8,  # placed | shipped | delivered | cancelled | refunded | returned
    "warehouse_id": pl.Utf8,
    "ship_date": pl.Date,  # null until shipped
    "delivered_date": pl.Date,  # null until delivered
    "refund_amount": pl.Float64,  # order currency; 0 when none
    "refund_date": pl.Date,
    "dest_country": pl.Utf8,
    "dest_region": pl.Utf8,
}

# One row per parcel (waybill). An order ships as one parcel.
SHIPMENTS: dict[str, pl.DataType] = {
    "waybill_no": pl.Utf8,
    "order_no": pl.Utf8,
    "channel": pl.Utf8,
    "warehouse_id": pl.Utf8,
    "carrier": pl.Utf8,  # simulator.catalog.CARRIERS id
    "service": pl.Utf8,
    "ship_ts": UTC_TS,
    "ship_date": pl.Date,  # local date at the shipping warehouse
    "delivered_ts": UTC_TS,  # null while in transit
    "actual_weight_kg": pl.Float64,
    "length_cm": pl.Float64,
    "width_cm": pl.Float64,
    "height_cm": pl.Float64,
    "dest_country": pl.Utf8,
    "dest_region": pl.Utf8,  # province / state code
    "zone": pl.Utf8,  # simulator.catalog.zone_for(carrier, dest_country, dest_region)
}


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select and cast a frame to a schema, failing loudly on a missing column."""
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing}")
    return frame.select([pl.col(c).cast(t) for c, t in schema.items()])

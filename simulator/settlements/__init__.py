"""Marketplace settlements: what Amazon, Shopify and Tmall (via Alipay) pay the seller, with planted errors.

Money falls due at delivery + the channel's contracted lag (simulator.catalog) and is paid in the
channel's own settlement file under `<out>/settlements/<settlement date>/`; fees are the contracted
commission (and, for Amazon, the FBA fee of simulator.settlements.terms); refunds are netted in the
first settlement after the refund. A few settlements go wrong on purpose (missing, short, wrong
commission, refund not deducted) and every such item is recorded in the manifest with its file,
row and signed effect, so the channel reconciliation can be scored for precision and recall.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from simulator.manifest import Manifest
from simulator.settlements.alipay import write_alipay
from simulator.settlements.amazon import write_amazon
from simulator.settlements.errors import SettlementErrorRates, apply_errors, plan_errors
from simulator.settlements.items import settlement_items
from simulator.settlements.output import SOURCE, WriterResult
from simulator.settlements.shopify import write_shopify

__all__ = ["SettlementErrorRates", "write_settlements"]

WRITERS = {"amazon_v2": write_amazon, "shopify_payouts": write_shopify, "alipay_bill": write_alipay}
# Which written row holds the wrong value of each altered error type.
TARGET_COMPONENT = {"short_payment": "principal", "wrong_commission": "commission"}
DETAIL = {
    "missing_settlement": "order due in this settlement was never paid",
    "short_payment": "principal paid less than the order amount",
    "wrong_commission": "commission differs from the contracted rate",
    "refund_not_deducted": "refund was never deducted from a settlement",
}


def write_settlements(orders: pl.DataFrame, *, start: date, end: date, seed: int, out: Path,
                      manifest: Manifest, rates: SettlementErrorRates | None = None) -> dict[str, int]:
    """Write every settlement dated in [start, end) and record planted errors; rows written per source."""
    charges, refunds = settlement_items(orders, start=start, end=end)
    errors = plan_errors(charges, refunds, seed=seed, rates=rates or SettlementErrorRates())
    settled_charges, settled_refunds = apply_errors(charges, refunds, errors)
    groups = (
        pl.concat([charges.select("channel", "fmt", "currency", "settle_date"),
                   refunds.select("channel", "fmt", "currency", "settle_date")])
        .unique()
        .sort("settle_date", "channel", "currency")
    )
    results: list[WriterResult] = []
    for fmt, writer in WRITERS.items():
        results.append(writer(
            groups.filter(pl.col("fmt") == fmt),
            settled_charges.filter(pl.col("fmt") == fmt),
            settled_refunds.filter(pl.col("fmt") == fmt),
            seed=seed, out=out, watch=errors,
        ))
    _record(errors, results, manifest)
    rows: dict[str, int] = {}
    for result in results:
        rows.update(result.rows)
    return rows


def _record(errors: pl.DataFrame, results: list[WriterResult], manifest: Manifest) -> None:
    """Add one manifest item per planted error, located in the file (and row) where it shows."""
    files = pl.concat([r.files_frame() for r in results])
    locations = pl.concat([r.locations_frame() for r in results]).filter(pl.col("kind") == "charge")
    keys = ["channel", "currency", "settle_date", "order_no"]
    located = (
        errors.join(files, on=["channel", "currency", "settle_date"], how="left")
        .with_columns(component=pl.col("type").replace_strict(TARGET_COMPONENT, default=None))
        .join(
            locations.select(*keys, pl.col("line_no").alias("target_line"), "component",
                             pl.col("file").alias("row_file"), "field", "row"),
            on=[*keys, "target_line", "component"], how="left",
        )
        .sort(["settle_date", "channel", "currency", "type", "order_no"])
    )
    for item in located.iter_rows(named=True):
        altered = item["type"] in TARGET_COMPONENT
        if altered and item["row"] is None:
            raise RuntimeError(f"planted {item['type']} for order {item['order_no']} has no written row")
        if item["file"] is None:
            raise RuntimeError(f"no settlement file for planted {item['type']} of order {item['order_no']}")
        manifest.add(
            item["type"], item["settle_date"],
            source=SOURCE,
            file=item["row_file"] if altered else item["file"],
            row=item["row"] if altered else None,
            field=item["field"] if altered else None,
            order_no=item["order_no"],
            channel=item["channel"],
            expected_amount=item["expected_cents"] / 100,
            currency=item["currency"],
            detail=DETAIL[item["type"]],
        )

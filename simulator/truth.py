"""The simulated business's own books, read back from a landing folder: the oracle tests compare marts with.

The manifest (`_manifest/anomalies.parquet`) lists what went wrong; this module answers what happened
for amounts no error touched: every order line in its final state (prices, discounts, refunds,
returns) and every settlement item as the marketplaces really paid it. Both are recomputed from the
run's stored `_manifest/params.json`, not written as files: the simulator is deterministic, so the
same parameters give the same business bit for bit, and a year of order lines stays off the disk.
Tests use these functions instead of the simulator's internals, so the run's steps can change freely
as long as what they produce stays the same.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from simulator import skus
from simulator.params import SimParams, params_path
from simulator.run import _generate_lines, final_order_lines
from simulator.settlements.errors import SettlementErrorRates, apply_errors, plan_errors
from simulator.settlements.items import settlement_items


def stored_params(out: Path) -> SimParams:
    """The parameters of the run written under `out` (its `_manifest/params.json`)."""
    path = params_path(Path(out))
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: {out} holds no simulated run")
    return SimParams.from_json(path.read_text())


def order_lines(out: Path) -> pl.DataFrame:
    """Every order line of the run under `out` as the horizon's end knows it (`frames.ORDER_LINES`),
    cancelled ones included: quantity, unit price, discount, currency, status (placed, shipped,
    delivered, cancelled, refunded = partial refund with the goods kept, returned = full refund with the
    goods back in stock), ship/delivery dates, and the refunded amount (order currency, 0 when none)."""
    params = stored_params(out)
    catalog = skus.build_catalog(params.seed, params.skus)
    lines = _generate_lines(params, catalog, lambda *_: None, 1)
    return final_order_lines(lines, params.end)


def settled_items(out: Path, lines: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(charges, refunds): the settlement items of the run under `out` as its settlement files pay them,
    planted errors in place (`simulator.settlements.errors.apply_errors`): missing sales and refunds not
    deducted are absent, short payments and wrong commissions carry the paid amounts
    (`paid_gross_cents`, `charged_commission_cents`). Keys: channel, order_no, currency, settle_date,
    line_no (Amazon per order item, 0 for per-order items); refunds carry `refund_cents`.
    `lines` may pass `order_lines(out)` when the caller already has it (it takes a while to compute)."""
    params = stored_params(out)
    lines = order_lines(out) if lines is None else lines
    charges, refunds = settlement_items(lines, start=params.start, end=params.end)
    errors = plan_errors(charges, refunds, seed=params.seed, rates=SettlementErrorRates())
    return apply_errors(charges, refunds, errors)

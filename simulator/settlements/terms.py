"""The settlement contract of each marketplace: when money is paid and what is deducted.

Commission rates and payment lags come from simulator.catalog (one source for the whole simulator);
what only settlements need lives here: the Amazon settlement calendar and the FBA fulfilment fee.
Everything is a pure function of a date or an order line, never of the simulated horizon, so a
settlement written for day d is the same whether the run ends on d+1 or d+100 (that is what makes
`--append` byte-identical).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

# Amazon pays in 14-day settlement periods. Periods are anchored to a fixed date, not to the run's
# start, so a longer run sees the same periods. A period [P, P+14) closes at P+14 00:00 UTC; the
# report is dated (and filed under) that day and the deposit follows two days later.
AMAZON_PERIOD_DAYS = 14
AMAZON_PERIOD_ANCHOR = date(2024, 1, 2)
AMAZON_DEPOSIT_LAG_DAYS = 2

# FBA per-unit fulfilment fee, by unit price band, in the order currency. Real FBA fees depend on
# size tier and shipping weight; order lines carry no dimensions, so the simulator uses the unit
# price as the size proxy (cheap items are small). Bands: upper bound (exclusive) -> fee per unit.
FBA_FEE_BANDS: tuple[tuple[float, float], ...] = (
    (20.0, 3.22),
    (50.0, 4.75),
    (100.0, 6.10),
    (float("inf"), 8.26),
)


def fba_fee_per_unit_cents(unit_price: pl.Expr) -> pl.Expr:
    """The contracted FBA fee for one unit, in cents, by the unit's price band."""
    expr: pl.Expr | None = None
    for upper, fee in reversed(FBA_FEE_BANDS):
        cents = pl.lit(round(fee * 100), pl.Int64)
        expr = cents if expr is None else pl.when(unit_price < upper).then(cents).otherwise(expr)
    assert expr is not None
    return expr


def amazon_period_start(day: date) -> date:
    """First day of the settlement period that contains `day`."""
    offset = (day - AMAZON_PERIOD_ANCHOR).days % AMAZON_PERIOD_DAYS
    return day - timedelta(days=offset)


def amazon_settlement_date(day: pl.Expr) -> pl.Expr:
    """The closing date (P+14) of the Amazon period containing each date: the report's date."""
    anchor = pl.lit(AMAZON_PERIOD_ANCHOR, pl.Date)
    offset = (day - anchor).dt.total_days() % AMAZON_PERIOD_DAYS
    return day - pl.duration(days=offset) + pl.duration(days=AMAZON_PERIOD_DAYS)


def settlement_date(settlement_format: str, day: pl.Expr) -> pl.Expr:
    """The date of the settlement that pays (or deducts) money falling due on `day`.

    Shopify pays out daily and Alipay credits the seller's account on the day the buyer's payment
    is released, so for them it is the due day itself; Amazon batches into 14-day periods.
    """
    if settlement_format == "amazon_v2":
        return amazon_settlement_date(day)
    if settlement_format in ("shopify_payouts", "alipay_bill"):
        return day
    raise ValueError(f"unknown settlement format {settlement_format!r}")


def refund_posting_date(refund_date: pl.Expr, due_date: pl.Expr) -> pl.Expr:
    """When a refund is deducted: the day after the refund, but never before the sale is paid.

    A marketplace nets a refund against the next payment after it happens; a refund that happens
    before the sale's money is released is netted in the same settlement that releases it.
    """
    next_day = refund_date + pl.duration(days=1)
    return pl.when(next_day > due_date).then(next_day).otherwise(due_date)

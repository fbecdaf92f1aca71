"""Billing periods and when their bills arrive.

A bill exists only once its period has closed and its issue date has come, and it is a function of
the period alone: that is what keeps the files of day d independent of how far the run goes beyond d
(the `--append` contract).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from simulator.catalog import Carrier

ISSUE_LAG_DAYS = {"weekly": 3, "monthly": 5}  # bills arrive this long after the period closes
PAYMENT_TERMS_DAYS = 30


@dataclass(frozen=True)
class BillingPeriod:
    carrier: str
    first_day: date  # first day of the calendar period (may precede the business start)
    last_day: date
    issue_date: date

    @property
    def due_date(self) -> date:
        return self.issue_date + timedelta(days=PAYMENT_TERMS_DAYS)

    @property
    def ordinal(self) -> int:
        """A stable id of the period (days since 0001-01-01 of its first day) for seeding."""
        return self.first_day.toordinal()


def _period_containing(carrier: Carrier, day: date) -> tuple[date, date]:
    if carrier.billing_period == "weekly":  # Monday to Sunday
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    if carrier.billing_period == "monthly":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    raise ValueError(f"{carrier.id}: unknown billing period {carrier.billing_period!r}")


def issued_periods(carrier: Carrier, start: date, end: date) -> list[BillingPeriod]:
    """Periods overlapping [start, end) whose bill is issued before `end`, oldest first."""
    periods = []
    first, last = _period_containing(carrier, start)
    lag = timedelta(days=ISSUE_LAG_DAYS[carrier.billing_period])
    while last + lag < end:
        periods.append(BillingPeriod(carrier.id, first, last, last + lag))
        first, last = _period_containing(carrier, last + timedelta(days=1))
    return periods

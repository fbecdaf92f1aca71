"""Daily exchange rates to CNY (the book currency).

A random walk whose step for day d comes from day d's own generator; the level on day d is the sum of
steps from a fixed anchor date, so it depends on days <= d only and never on the horizon.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from simulator import rng as streams

BASE = {"USD": 7.10, "EUR": 7.75, "GBP": 9.05}
DAILY_VOL = {"USD": 0.0025, "EUR": 0.0035, "GBP": 0.0040}


def rates(seed: int, start: date, end: date) -> pl.DataFrame:
    """One row per (date, currency) for dates in [start, end): rate = CNY per 1 unit of currency."""
    days = (end - start).days
    steps = np.zeros((days, len(BASE)))
    for i in range(days):
        rng = streams.day_rng(seed, streams.FX, start + timedelta(days=i))
        steps[i] = rng.normal(0.0, 1.0, len(BASE)) * np.array(list(DAILY_VOL.values()))
    levels = np.exp(np.cumsum(steps, axis=0)) * np.array(list(BASE.values()))
    rows = {
        "rate_date": pl.Series([start + timedelta(days=i) for i in range(days) for _ in BASE], dtype=pl.Date),
        "base_currency": np.tile(list(BASE), days),
        "quote_currency": "CNY",
        "rate": np.round(levels.ravel(), 4),
    }
    return pl.DataFrame(rows)


def cny_rate_map(fx: pl.DataFrame) -> dict[tuple[date, str], float]:
    """(date, currency) -> CNY rate, with CNY itself at 1."""
    out = {(d, c): r for d, c, r in fx.select("rate_date", "base_currency", "rate").iter_rows()}
    for d in fx["rate_date"].unique().to_list():
        out[(d, "CNY")] = 1.0
    return out

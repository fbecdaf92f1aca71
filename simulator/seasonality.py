"""How busy a channel is on a date: weekly rhythm, season and promotions.

Volume anomalies (a channel collapsing or spiking) are only detectable against a believable baseline,
so the baseline has the rhythms real sellers see: weekends, the Q4 ramp, Double 11 and 618 on the
Chinese platforms, Prime Day, Black Friday and Cyber Monday on the Western ones.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

CN_CHANNELS = frozenset({"tmall", "jd", "douyin"})
WEST_CHANNELS = frozenset({"amazon", "shopify"})

# Mon..Sun
WEEKLY = {
    "cn": (0.96, 0.94, 0.95, 0.98, 1.04, 1.08, 1.05),
    "west": (1.02, 0.98, 0.97, 0.99, 1.01, 1.03, 1.00),
    "pos": (0.80, 0.78, 0.82, 0.88, 1.05, 1.40, 1.27),
}


def black_friday(year: int) -> date:
    """Fourth Friday of November."""
    first = date(year, 11, 1)
    first_friday = first + timedelta(days=(4 - first.weekday()) % 7)
    return first_friday + timedelta(weeks=3)


def promotion(channel: str, day: date) -> tuple[str | None, float, float]:
    """(promotion name, volume multiplier, discount share) of a channel on a date."""
    md = (day.month, day.day)
    if channel in CN_CHANNELS or channel == "pos":
        if md == (11, 11):
            return "双11", 4.0, 0.25
        if day.month == 11 and 1 <= day.day <= 10:
            return "双11预售", 1.4, 0.10
        if md == (6, 18):
            return "618", 3.0, 0.20
        if day.month == 6 and 1 <= day.day <= 17:
            return "618预热", 1.25, 0.08
        if md == (12, 12):
            return "双12", 1.8, 0.15
        return None, 1.0, 0.0
    bf = black_friday(day.year)
    if day == bf:
        return "Black Friday", 2.8, 0.30
    if day == bf + timedelta(days=3):
        return "Cyber Monday", 2.2, 0.25
    if bf - timedelta(days=6) <= day < bf:
        return "Black Friday Week", 1.3, 0.15
    if channel == "amazon" and day.month == 7 and 15 <= day.day <= 16:
        return "Prime Day", 2.5, 0.25
    if day.month == 12 and 10 <= day.day <= 22:
        return "Holiday", 1.3, 0.05
    return None, 1.0, 0.0


def seasonal(day: date) -> float:
    """Gentle yearly curve peaking in Q4, mean about 1."""
    doy = day.timetuple().tm_yday
    return 1.0 + 0.12 * math.cos(2 * math.pi * (doy - 340) / 365.25)


def volume_factor(channel: str, day: date) -> float:
    group = "pos" if channel == "pos" else ("cn" if channel in CN_CHANNELS else "west")
    _, promo, _ = promotion(channel, day)
    return WEEKLY[group][day.weekday()] * seasonal(day) * promo

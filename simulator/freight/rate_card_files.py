"""Rate cards as the contract files a seller keeps: one folder per effective date, two flat CSVs.

Flat CSVs (one row per service x zone, one per accessorial) load straight into a table, and a folder
per effective date makes "which card was in force on day d" a question about folder names alone.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from simulator.freight.rate_cards import OVERSIZE, REMOTE, RESIDENTIAL, RateCard

RATES_COLUMNS = (
    "carrier", "service", "zone", "currency", "weight_unit", "first_weight", "first_price",
    "additional_weight", "additional_price", "volumetric_divisor", "fuel_surcharge_pct", "effective_from",
    "card_version",
)
ACCESSORIAL_COLUMNS = ("carrier", "code", "description", "amount", "currency", "applies_when",
                       "effective_from", "card_version")

_DESCRIPTIONS = {REMOTE: "Remote area surcharge", OVERSIZE: "Oversize / additional handling",
                 RESIDENTIAL: "Residential delivery"}


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _weight(value: float) -> str:
    return f"{value:.1f}"


def _applies_when(card: RateCard, code: str) -> str:
    if code == REMOTE:
        return "dest_region in " + "|".join(card.remote_regions)
    if code == OVERSIZE:
        return f"longest side > {card.oversize_longest_side_cm:.0f} cm"
    return "every parcel"


def rate_rows(cards: list[RateCard]) -> list[dict[str, str]]:
    rows = []
    for card in cards:
        for service, zones in sorted(card.services.items()):
            for zone, (first, additional) in sorted(zones.items()):
                rows.append({
                    "carrier": card.carrier, "service": service, "zone": zone, "currency": card.currency,
                    "weight_unit": card.weight_unit, "first_weight": _weight(card.first_weight),
                    "first_price": _money(first), "additional_weight": _weight(card.step),
                    "additional_price": _money(additional),
                    "volumetric_divisor": str(card.volumetric_divisor),
                    "fuel_surcharge_pct": f"{card.fuel_bp // 100}.{card.fuel_bp % 100:02d}",
                    "effective_from": card.effective_from.isoformat(), "card_version": str(card.version),
                })
    return rows


def accessorial_rows(cards: list[RateCard]) -> list[dict[str, str]]:
    rows = []
    for card in cards:
        for code in (REMOTE, OVERSIZE, RESIDENTIAL):
            if code in card.accessorials:
                rows.append({
                    "carrier": card.carrier, "code": code, "description": _DESCRIPTIONS[code],
                    "amount": _money(card.accessorials[code]), "currency": card.currency,
                    "applies_when": _applies_when(card, code),
                    "effective_from": card.effective_from.isoformat(), "card_version": str(card.version),
                })
    return rows


def write_rate_cards(cards: dict[str, list[RateCard]], effective: date, out: Path) -> int:
    """Write every carrier's card effective on `effective`; returns the number of data rows written."""
    in_force = [v for versions in cards.values() for v in versions if v.effective_from == effective]
    folder = out / "rate_cards" / effective.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    rates = pl.DataFrame(rate_rows(in_force), schema=dict.fromkeys(RATES_COLUMNS, pl.Utf8))
    accessorials = pl.DataFrame(accessorial_rows(in_force), schema=dict.fromkeys(ACCESSORIAL_COLUMNS, pl.Utf8))
    rates.write_csv(folder / "rates.csv")
    accessorials.write_csv(folder / "accessorials.csv")
    return rates.height + accessorials.height

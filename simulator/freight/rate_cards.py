"""Contract rate cards: what each carrier is allowed to charge, and the oracle that prices a parcel.

Reconciliation is only provable if the contract price of every parcel is known exactly, so prices are
kept in integer cents and the scalar oracle (`expected_charge`) and the vectorised pricer
(`price_shipments`) use the same arithmetic in the same order: a clean bill line equals the oracle to
the cent. Cards change over time (fuel surcharge updates, general rate increases), so every parcel is
priced by the card in force on its ship date.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl

from simulator.catalog import CARRIERS, Carrier

STREAM_RATES = 2101  # rng stream id of rate-card generation
CARD_INTERVAL_DAYS = 15  # a new card version every 15 days from the start of the business
LB_PER_KG = 2.20462262
WEIGHT_EPSILON = 1e-9  # keeps an exact multiple of the rounding step from rounding up one more step
OVERSIZE_LONGEST_SIDE_CM = 60.0

# Contracted accessorial codes. Anything else on a bill is a surcharge not in the contract.
REMOTE, OVERSIZE, RESIDENTIAL = "REMOTE", "OVERSIZE", "RESIDENTIAL"
ACCESSORIAL_CODES = (REMOTE, OVERSIZE, RESIDENTIAL)

_CN_REMOTE_REGIONS = ("NM", "QH", "XJ", "XZ")
_US_REMOTE_REGIONS = ("AK", "HI", "PR")


@dataclass(frozen=True)
class _Base:
    """Version-0 list prices of one carrier before the seeded negotiation discount."""

    step: float  # rounding step of billable weight, in the carrier's weight unit
    first_weight: float  # weight covered by the first-weight price, in the weight unit
    fuel_bp: int  # fuel surcharge in basis points of the base charge
    services: dict[str, dict[str, tuple[int, int]]]  # service -> zone -> (first cents, additional cents)
    accessorials: dict[str, int]  # code -> cents
    remote_regions: tuple[str, ...] = ()


def _zones(zones: tuple[str, ...], first: int, first_inc: int, add: int, add_inc: int) -> dict:
    return {z: (first + i * first_inc, add + i * add_inc) for i, z in enumerate(zones)}


def _scaled(prices: dict[str, tuple[int, int]], factor: float) -> dict[str, tuple[int, int]]:
    return {z: (round(f * factor), round(a * factor)) for z, (f, a) in prices.items()}


_CN = ("Z1", "Z2", "Z3", "Z4")
_XB = ("US", "UK", "EU")
_US = ("2", "3", "4", "5", "6", "7", "8")
_EU = ("1", "2", "3")
_SF = _zones(_CN, 1200, 250, 200, 100)
_UPS = _zones(_US, 1050, 65, 95, 14)
_USPS = _zones(_US, 560, 30, 60, 9)
_4PX = {"US": (650, 300), "UK": (610, 280), "EU": (620, 290)}

BASE_PRICES: dict[str, _Base] = {
    "SF": _Base(0.5, 1.0, 800, {"standard": _SF, "express": _scaled(_SF, 1.4)},
                {REMOTE: 1000, OVERSIZE: 2000}, _CN_REMOTE_REGIONS),
    "ZTO": _Base(1.0, 1.0, 500, {"standard": _zones(_CN, 500, 100, 100, 100)},
                 {REMOTE: 500, OVERSIZE: 1500}, _CN_REMOTE_REGIONS),
    "YTO": _Base(1.0, 1.0, 500, {"standard": _zones(_CN, 480, 110, 110, 90)},
                 {REMOTE: 600, OVERSIZE: 1500}, _CN_REMOTE_REGIONS),
    "CAINIAO": _Base(0.1, 0.1, 1000, {"economy": {"US": (2300, 780), "UK": (2000, 650), "EU": (2100, 700)}},
                     {OVERSIZE: 3000}),
    "4PX": _Base(0.5, 0.5, 1200, {"economy": _4PX, "priority": _scaled(_4PX, 1.5)}, {OVERSIZE: 450}),
    "UPS": _Base(1.0, 1.0, 1550, {"ground": _UPS, "2day": _scaled(_UPS, 2.1)},
                 {REMOTE: 410, OVERSIZE: 2850, RESIDENTIAL: 545}, _US_REMOTE_REGIONS),
    "FEDEX": _Base(1.0, 1.0, 1600, {"ground": _zones(_US, 1040, 70, 92, 15)},
                   {REMOTE: 395, OVERSIZE: 2800, RESIDENTIAL: 540}, _US_REMOTE_REGIONS),
    "USPS": _Base(1.0, 1.0, 0, {"ground_advantage": _USPS, "priority": _scaled(_USPS, 1.7)},
                  {OVERSIZE: 1500}, _US_REMOTE_REGIONS[:0]),
    "DHL": _Base(0.5, 1.0, 900, {"parcel": _zones(_EU, 499, 400, 50, 35)}, {OVERSIZE: 1800}),
    "ROYALMAIL": _Base(0.5, 1.0, 500, {"tracked48": {"1": (899, 120), "2": (799, 100), "3": (349, 60)}},
                       {OVERSIZE: 1200}),
}


@dataclass(frozen=True)
class RateCard:
    """One carrier's contract as in force from `effective_from` until the next version."""

    carrier: str
    effective_from: date
    version: int
    currency: str
    weight_unit: str  # kg | lb
    volumetric_divisor: int  # cm3 per kg
    step: float
    first_weight: float
    fuel_bp: int
    services: dict[str, dict[str, tuple[int, int]]] = field(hash=False)
    accessorials: dict[str, int] = field(hash=False)
    remote_regions: tuple[str, ...] = ()
    oversize_longest_side_cm: float = OVERSIZE_LONGEST_SIDE_CM

    @property
    def first_steps(self) -> int:
        return round(self.first_weight / self.step)

    @property
    def step_tenths(self) -> int:
        """Rounding step in tenths of the weight unit (billed weights are shown to 0.1)."""
        return round(self.step * 10)


@dataclass(frozen=True)
class Charge:
    """A parcel's contract charge, money in integer cents of the card's currency."""

    billed_weight_tenths: int
    base: int
    fuel: int
    remote: int
    oversize: int
    residential: int

    @property
    def total(self) -> int:
        return self.base + self.fuel + self.remote + self.oversize + self.residential

    @property
    def billed_weight(self) -> Decimal:
        return Decimal(self.billed_weight_tenths) / 10

    def amount(self, part: str) -> Decimal:
        return Decimal(getattr(self, part)) / 100


def fuel_cents(base_cents: int, fuel_bp: int) -> int:
    """Fuel surcharge on the base charge, rounded half up to the cent (integer arithmetic, no float)."""
    return (base_cents * fuel_bp + 5000) // 10000


def billable_steps(card: RateCard, actual_weight_kg: float, length_cm: float, width_cm: float,
                   height_cm: float) -> int:
    """Billable weight in rounding steps: max(actual, volumetric), in the card's unit, rounded up."""
    volumetric = length_cm * width_cm * height_cm / card.volumetric_divisor
    weight = max(actual_weight_kg, volumetric)
    if card.weight_unit == "lb":
        weight = weight * LB_PER_KG
    return max(math.ceil(weight / card.step - WEIGHT_EPSILON), card.first_steps)


def base_for_steps(card: RateCard, service: str, zone: str, steps: int) -> int:
    first, additional = card.services[service][zone]
    return first + (steps - card.first_steps) * additional


def expected_charge(card: RateCard, *, service: str, zone: str, actual_weight_kg: float, length_cm: float,
                    width_cm: float, height_cm: float, dest_region: str) -> Charge:
    """The contract charge of one parcel under `card` (the oracle tests compare bill lines to)."""
    steps = billable_steps(card, actual_weight_kg, length_cm, width_cm, height_cm)
    base = base_for_steps(card, service, zone, steps)
    longest = max(length_cm, width_cm, height_cm)
    acc = card.accessorials
    return Charge(
        billed_weight_tenths=steps * card.step_tenths,
        base=base,
        fuel=fuel_cents(base, card.fuel_bp),
        remote=acc.get(REMOTE, 0) if dest_region in card.remote_regions else 0,
        oversize=acc.get(OVERSIZE, 0) if longest > card.oversize_longest_side_cm else 0,
        residential=acc.get(RESIDENTIAL, 0),
    )


def _version_zero(carrier: Carrier, start: date, rng: np.random.Generator) -> RateCard:
    base = BASE_PRICES[carrier.id]
    discount = 1.0 - float(rng.uniform(0.0, 0.08))  # the seller's negotiated discount off list
    return RateCard(
        carrier=carrier.id, effective_from=start, version=0, currency=carrier.currency,
        weight_unit=carrier.weight_unit, volumetric_divisor=carrier.volumetric_divisor, step=base.step,
        first_weight=base.first_weight, fuel_bp=base.fuel_bp,
        services={s: _scaled(base.services[s], discount) for s in carrier.services},
        accessorials=dict(base.accessorials), remote_regions=base.remote_regions,
    )


def _next_version(card: RateCard, effective_from: date, rng: np.random.Generator,
                  general_increase: bool) -> RateCard:
    """Fuel moves every version (as fuel indices do); some versions also carry a general rate increase."""
    fuel = card.fuel_bp
    if fuel:
        fuel = max(100, fuel + 25 * int(rng.integers(-6, 7)))
    services = card.services
    if general_increase:
        services = {s: _scaled(z, 1.0 + float(rng.uniform(0.02, 0.06))) for s, z in card.services.items()}
    return replace(card, effective_from=effective_from, version=card.version + 1, fuel_bp=fuel,
                   services=services)


def version_dates(start: date, end: date) -> list[date]:
    """Effective dates of the card versions in force during [start, end).

    A new version roughly every CARD_INTERVAL_DAYS, moved off Mondays and month starts so that a
    change always falls inside a weekly and a monthly billing period (the case reconciliation must
    get right: one bill, two cards).
    """
    dates = [start]
    k = 1
    while True:
        candidate = start + timedelta(days=k * CARD_INTERVAL_DAYS)
        while candidate.weekday() == 0 or candidate.day == 1:
            candidate += timedelta(days=1)
        if candidate >= end:
            return dates
        dates.append(candidate)
        k += 1


def rate_cards(seed: int, start: date, end: date) -> dict[str, list[RateCard]]:
    """Every carrier's card versions effective before `end`; version k depends only on seed, start and k."""
    dates = version_dates(start, end)
    cards: dict[str, list[RateCard]] = {}
    for index, carrier in enumerate(CARRIERS):
        rng = np.random.default_rng([seed, STREAM_RATES, index, 0])
        versions = [_version_zero(carrier, start, rng)]
        for k, effective in enumerate(dates[1:], start=1):
            rng = np.random.default_rng([seed, STREAM_RATES, index, k])
            # Every other carrier raises its base rates at a given version, alternating, so a run
            # with one change has both kinds of change.
            versions.append(_next_version(versions[-1], effective, rng, (index + k) % 2 == 0))
        cards[carrier.id] = versions
    return cards


def card_in_force(versions: list[RateCard], day: date) -> RateCard:
    """The version whose effective date is the latest on or before `day`."""
    chosen = None
    for card in versions:
        if card.effective_from <= day:
            chosen = card
    if chosen is None:
        raise ValueError(f"no {versions[0].carrier} rate card in force on {day}")
    return chosen


def rates_frame(cards: dict[str, list[RateCard]]) -> pl.DataFrame:
    """One row per carrier x version x service x zone with every number the vectorised pricer needs."""
    rows = []
    for versions in cards.values():
        for card in versions:
            for service, zones in sorted(card.services.items()):
                for zone, (first, additional) in sorted(zones.items()):
                    rows.append({
                        "carrier": card.carrier, "version": card.version, "service": service, "zone": zone,
                        "first_cents": first, "add_cents": additional, "first_steps": card.first_steps,
                        "step": card.step, "step_tenths": card.step_tenths, "fuel_bp": card.fuel_bp,
                        "lb": card.weight_unit == "lb", "divisor": card.volumetric_divisor,
                        "remote_cents": card.accessorials.get(REMOTE, 0),
                        "oversize_cents": card.accessorials.get(OVERSIZE, 0),
                        "residential_cents": card.accessorials.get(RESIDENTIAL, 0),
                        "remote_regions": ",".join(card.remote_regions),
                        "oversize_cm": card.oversize_longest_side_cm,
                    })
    return pl.DataFrame(rows)


def price_shipments(shipments: pl.DataFrame, cards: dict[str, list[RateCard]]) -> pl.DataFrame:
    """Contract charges of many parcels at once; same arithmetic as `expected_charge`, row for row.

    Adds version, billed_steps, billed_weight_tenths, base/fuel/remote/oversize/residential/total cents
    and the per-row card numbers (first/add cents, steps, fuel_bp) that planting errors re-price with.
    """
    # Every carrier gets a new version on the same dates (rate_cards), so the version in force
    # depends on the ship date alone.
    effective = sorted({(c.effective_from - date(1970, 1, 1)).days for cv in cards.values() for c in cv})
    if any(len(cv) != len(effective) for cv in cards.values()):
        raise ValueError("rate card versions must share effective dates across carriers")
    ship_days = shipments["ship_date"].cast(pl.Int32).to_numpy()
    if shipments.height and ship_days.min() < effective[0]:
        raise ValueError("a parcel shipped before the first rate card took effect")
    versions = np.searchsorted(np.array(effective), ship_days, side="right") - 1
    remote = pl.lit(False)
    for versions_of in cards.values():
        if versions_of[0].remote_regions:
            remote = pl.when(pl.col("carrier") == versions_of[0].carrier).then(
                pl.col("dest_region").is_in(versions_of[0].remote_regions)).otherwise(remote)
    priced = (
        shipments.with_columns(pl.Series("version", versions, dtype=pl.Int64))
        .join(rates_frame(cards), on=["carrier", "version", "service", "zone"], how="left", maintain_order="left")
        .with_columns(remote.alias("_remote_hit"))
    )
    unpriced = priced.filter(pl.col("first_cents").is_null())
    if unpriced.height:
        row = unpriced.row(0, named=True)
        raise ValueError(f"no contract rate for carrier={row['carrier']} service={row['service']} "
                         f"zone={row['zone']} (waybill {row['waybill_no']})")
    # The same float operations in the same order as billable_steps (IEEE arithmetic is identical).
    volumetric = pl.col("length_cm") * pl.col("width_cm") * pl.col("height_cm") / pl.col("divisor")
    weight = pl.max_horizontal(pl.col("actual_weight_kg"), volumetric)
    weight = pl.when(pl.col("lb")).then(weight * LB_PER_KG).otherwise(weight)
    steps = (weight / pl.col("step") - WEIGHT_EPSILON).ceil().cast(pl.Int64)
    longest = pl.max_horizontal("length_cm", "width_cm", "height_cm")
    priced = priced.with_columns(
        pl.max_horizontal(steps, pl.col("first_steps")).alias("billed_steps"),
        (longest > pl.col("oversize_cm")).alias("_oversize_hit"),
    )
    base = pl.col("first_cents") + (pl.col("billed_steps") - pl.col("first_steps")) * pl.col("add_cents")
    return priced.with_columns(
        billed_weight_tenths=pl.col("billed_steps") * pl.col("step_tenths"),
        base_cents=base,
        fuel_cents=(base * pl.col("fuel_bp") + 5000) // 10000,
        remote_cents=pl.when("_remote_hit").then(pl.col("remote_cents")).otherwise(0),
        oversize_cents=pl.when("_oversize_hit").then(pl.col("oversize_cents")).otherwise(0),
        residential_cents=pl.col("residential_cents"),
    ).with_columns(
        total_cents=pl.sum_horizontal("base_cents", "fuel_cents", "remote_cents", "oversize_cents",
                                      "residential_cents"),
    ).drop("_remote_hit", "_oversize_hit", "remote_regions", "oversize_cm")

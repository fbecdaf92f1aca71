"""The static shape of the simulated business: warehouses, channels and carriers.

Shared by every part of the simulator (orders, stock, freight, settlements) so that all files agree on
ids, currencies, time zones and which carrier ships from which warehouse. Zones are the carrier's own
zone ids; rate cards price by them and shipments carry them, so a wrong zone on a bill is detectable.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Warehouse:
    id: str
    name: str
    country: str
    kind: str  # own | overseas | 3pl
    currency: str
    timezone: str


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    currency: str
    timezone: str
    order_format: str  # amazon_tsv | shopify_json | tmall_csv | jd_csv | douyin_csv | pos_csv
    ships_from: tuple[str, ...]
    dest_countries: tuple[str, ...]
    settlement_format: str | None  # amazon_v2 | shopify_payouts | alipay_bill | None (cash/POS)
    commission_rate: float  # contracted commission share of principal
    settlement_lag_days: int  # money is due this many days after delivery


@dataclass(frozen=True)
class Carrier:
    id: str
    name: str
    currency: str
    services: tuple[str, ...]
    ships_from: tuple[str, ...]
    bill_format: str  # csv_gbk_zh | csv_en | xlsx | xml | json | edi210 | pdf
    volumetric_divisor: int  # cm3 per kg
    weight_unit: str  # kg | lb (what the bill and rate card use)
    billing_period: str  # weekly | monthly


WAREHOUSES: tuple[Warehouse, ...] = (
    Warehouse("CN-SZX", "Shenzhen DC", "CN", "own", "CNY", "Asia/Shanghai"),
    Warehouse("US-LAX", "Los Angeles overseas", "US", "overseas", "USD", "America/Los_Angeles"),
    Warehouse("EU-FRA", "Frankfurt overseas", "DE", "overseas", "EUR", "Europe/Berlin"),
    Warehouse("3PL-UK", "UK cloud warehouse (3PL)", "GB", "3pl", "GBP", "Europe/London"),
)

CHANNELS: tuple[Channel, ...] = (
    Channel("amazon", "Amazon US", "USD", "UTC", "amazon_tsv", ("US-LAX",), ("US",), "amazon_v2", 0.15, 14),
    Channel("shopify", "Shopify EU/UK", "EUR", "Europe/Berlin", "shopify_json", ("EU-FRA", "3PL-UK", "CN-SZX"),
            ("DE", "FR", "NL", "GB"), "shopify_payouts", 0.029, 3),
    Channel("tmall", "Tmall", "CNY", "Asia/Shanghai", "tmall_csv", ("CN-SZX",), ("CN",), "alipay_bill", 0.05, 7),
    Channel("jd", "JD", "CNY", "Asia/Shanghai", "jd_csv", ("CN-SZX",), ("CN",), None, 0.06, 7),
    Channel("douyin", "Douyin shop", "CNY", "Asia/Shanghai", "douyin_csv", ("CN-SZX",), ("CN",), None, 0.05, 7),
    Channel("pos", "Offline stores", "CNY", "Asia/Shanghai", "pos_csv", ("CN-SZX",), ("CN",), None, 0.0, 0),
)

CARRIERS: tuple[Carrier, ...] = (
    Carrier("SF", "SF Express", "CNY", ("standard", "express"), ("CN-SZX",), "csv_gbk_zh", 6000, "kg", "monthly"),
    Carrier("ZTO", "ZTO Express", "CNY", ("standard",), ("CN-SZX",), "xlsx", 6000, "kg", "monthly"),
    Carrier("YTO", "YTO Express", "CNY", ("standard",), ("CN-SZX",), "json", 6000, "kg", "monthly"),
    Carrier("CAINIAO", "Cainiao cross-border", "CNY", ("economy",), ("CN-SZX",), "xml", 8000, "kg", "monthly"),
    Carrier("4PX", "4PX Express", "USD", ("economy", "priority"), ("CN-SZX",), "pdf", 8000, "kg", "monthly"),
    Carrier("UPS", "UPS", "USD", ("ground", "2day"), ("US-LAX",), "edi210", 5000, "lb", "weekly"),
    Carrier("FEDEX", "FedEx", "USD", ("ground",), ("US-LAX",), "xlsx", 5000, "lb", "weekly"),
    Carrier("USPS", "USPS", "USD", ("ground_advantage", "priority"), ("US-LAX",), "csv_en", 5000, "lb", "weekly"),
    Carrier("DHL", "DHL Parcel", "EUR", ("parcel",), ("EU-FRA",), "xml", 5000, "kg", "monthly"),
    Carrier("ROYALMAIL", "Royal Mail", "GBP", ("tracked48",), ("3PL-UK",), "csv_en", 5000, "kg", "monthly"),
)

# Zone of a destination as each carrier's contract defines it. Keys are (carrier, dest country, dest
# region); a region of "*" matches any region of that country.
_CN_REMOTE = {"XJ", "XZ", "QH", "NM"}
_CN_NEAR = {"GD", "GX", "FJ", "HN", "JX"}
_US_ZONES = {"CA": "2", "NV": "3", "AZ": "3", "OR": "4", "WA": "4", "UT": "4", "TX": "6", "CO": "5",
             "IL": "7", "NY": "8", "NJ": "8", "FL": "8", "GA": "7", "MA": "8", "PA": "8", "OH": "7"}
_EU_ZONES = {"DE": "1", "NL": "2", "FR": "2", "GB": "3"}


def zone_for(carrier_id: str, dest_country: str, dest_region: str) -> str:
    """The contract zone a parcel to (country, region) falls in for this carrier."""
    if carrier_id in ("SF", "ZTO", "YTO"):
        if dest_region in _CN_REMOTE:
            return "Z4"
        if dest_region == "GD":
            return "Z1"
        return "Z2" if dest_region in _CN_NEAR else "Z3"
    if carrier_id in ("CAINIAO", "4PX"):
        return {"US": "US", "GB": "UK"}.get(dest_country, "EU")
    if carrier_id in ("UPS", "FEDEX", "USPS"):
        return _US_ZONES.get(dest_region, "8")
    if carrier_id in ("DHL", "ROYALMAIL"):
        return _EU_ZONES.get(dest_country, "3")
    raise KeyError(f"unknown carrier {carrier_id!r}")


def carriers_from(warehouse_id: str) -> tuple[Carrier, ...]:
    """Carriers that collect at a warehouse."""
    return tuple(c for c in CARRIERS if warehouse_id in c.ships_from)


def by_id(items: tuple, item_id: str):
    """Look up a warehouse, channel or carrier by id (KeyError names the id)."""
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(item_id)

"""What every bill format shares: the bill header, money and weight as text, and display labels.

Money stays in integer cents until the moment it is written, and is turned into text with polars
expressions (not per-row Python) so a weekly bill of 100k lines costs milliseconds.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import date

import polars as pl

FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # zip entry times inside XLSX files: fixed for byte-identical output
ZIP_LEVEL = 1  # fastest deflate: big bill sheets compress 4x faster for ~25% larger files


@dataclass(frozen=True)
class BillHeader:
    carrier: str
    carrier_name: str
    bill_no: str
    account_no: str
    period_start: date  # first day billed (the business start if the period began earlier)
    period_end: date
    issue_date: date
    due_date: date
    currency: str
    weight_unit: str
    total_cents: int
    line_count: int


def money_text(column: str, *, thousands: bool = False, prefix: str = "") -> pl.Expr:
    """Cents as "1234.50" (or "1,234.50", or "¥1,234.50"); amounts are never negative on a bill line."""
    cents = pl.col(column)
    whole = cents // 100
    frac = (cents % 100).cast(pl.Utf8).str.zfill(2)
    if not thousands:
        integer = whole.cast(pl.Utf8)
    else:
        millions, thousands_part, units = whole // 1_000_000, (whole // 1000) % 1000, whole % 1000
        pad = lambda e: e.cast(pl.Utf8).str.zfill(3)  # noqa: E731
        integer = (
            pl.when(whole >= 1_000_000)
            .then(pl.concat_str([millions.cast(pl.Utf8), pl.lit(","), pad(thousands_part), pl.lit(","), pad(units)]))
            .when(whole >= 1000)
            .then(pl.concat_str([(whole // 1000).cast(pl.Utf8), pl.lit(","), pad(units)]))
            .otherwise(whole.cast(pl.Utf8))
        )
    return pl.concat_str([pl.lit(prefix), integer, pl.lit("."), frac])


def weight_text(column: str = "billed_weight_tenths", *, decimals: int = 1) -> pl.Expr:
    """Billed weight from tenths of the unit: "1.5" (kg bills) or "3" (whole-lb bills)."""
    tenths = pl.col(column)
    if decimals == 0:
        return (tenths // 10).cast(pl.Utf8)
    return pl.concat_str([(tenths // 10).cast(pl.Utf8), pl.lit("."), (tenths % 10).cast(pl.Utf8)])


def cents_to_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


SERVICE_LABELS: dict[tuple[str, str], str] = {
    ("SF", "standard"): "顺丰标快", ("SF", "express"): "顺丰特快",
    ("ZTO", "standard"): "中通标快", ("YTO", "standard"): "圆通标快",
    ("CAINIAO", "economy"): "无忧物流-标准", ("4PX", "economy"): "4PX Economy Parcel",
    ("4PX", "priority"): "4PX Priority Line", ("UPS", "ground"): "UPS Ground", ("UPS", "2day"): "UPS 2nd Day Air",
    ("FEDEX", "ground"): "FedEx Home Delivery", ("USPS", "ground_advantage"): "USPS Ground Advantage",
    ("USPS", "priority"): "Priority Mail", ("DHL", "parcel"): "DHL Paket",
    ("ROYALMAIL", "tracked48"): "Royal Mail Tracked 48",
}

CN_PROVINCES: dict[str, str] = {
    "BJ": "北京", "TJ": "天津", "HE": "河北", "SX": "山西", "NM": "内蒙古", "LN": "辽宁", "JL": "吉林",
    "HL": "黑龙江", "SH": "上海", "JS": "江苏", "ZJ": "浙江", "AH": "安徽", "FJ": "福建", "JX": "江西",
    "SD": "山东", "HA": "河南", "HB": "湖北", "HN": "湖南", "GD": "广东", "GX": "广西", "HI": "海南",
    "CQ": "重庆", "SC": "四川", "GZ": "贵州", "YN": "云南", "XZ": "西藏", "SN": "陕西", "GS": "甘肃",
    "QH": "青海", "NX": "宁夏", "XJ": "新疆", "HK": "香港", "MO": "澳门", "TW": "台湾",
}


def service_label(carrier: str) -> pl.Expr:
    mapping = {svc: label for (c, svc), label in SERVICE_LABELS.items() if c == carrier}
    return pl.col("service").replace_strict(mapping, default=pl.col("service"))


def province_label() -> pl.Expr:
    """Chinese province name for CN destinations; the region code otherwise (or when unknown)."""
    return pl.when(pl.col("dest_country") == "CN").then(
        pl.col("dest_region").replace_strict(CN_PROVINCES, default=pl.col("dest_region"))
    ).otherwise(pl.concat_str([pl.col("dest_country"), pl.lit("-"), pl.col("dest_region")]))


def line_id(header: BillHeader) -> pl.Expr:
    """The id the manifest gives a bill line: bill no, a dash, the 1-based line no."""
    return pl.concat_str([pl.lit(header.bill_no), pl.lit("-"), pl.col("line_no").cast(pl.Utf8)])


class FixedTimeZip(zipfile.ZipFile):
    """A ZipFile whose entries all carry one fixed timestamp, so XLSX output is byte-identical.

    `sheet_rows` maps a worksheet part name to row XML to append to that sheet's sheetData as it is
    written (the fast path for large sheets, see flat.write_xlsx).
    """

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.sheet_rows: dict[str, bytes] = {}

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):  # noqa: ANN001
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=FIXED_ZIP_TIME)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, ZIP_LEVEL if compresslevel is None else compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):  # noqa: ANN001
        name = arcname or str(filename)
        with open(filename, "rb") as handle:
            data = handle.read()
        if name in self.sheet_rows:
            if b"</sheetData>" not in data:
                raise ValueError(f"{name}: no sheetData to splice rows into")
            data = data.replace(b"</sheetData>", self.sheet_rows.pop(name) + b"</sheetData>", 1)
        self.writestr(name, data, compress_type, compresslevel)

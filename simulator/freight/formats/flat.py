"""Tabular bills: CSV (GBK with Chinese headers, or English UTF-8) and XLSX, one spec per carrier.

Real carriers name the same field differently (运费 vs Postage vs Transportation Charge Amount) and
format dates and money their own way; ingestion's per-carrier mapping rules exist for exactly that,
so each carrier's spec below is its own header set and style. The specs are the documentation of the
files (simulator/README.md, "Freight", lists them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.writer.excel import ExcelWriter

from simulator.freight.formats.common import (
    BillHeader,
    FixedTimeZip,
    money_text,
    province_label,
    service_label,
    weight_text,
)

MONEY_FIELDS = {"base": "base_cents", "fuel": "fuel_cents", "remote": "remote_cents",
                "oversize": "oversize_cents", "residential": "residential_cents", "other": "other_cents",
                "total": "total_cents"}
FIXED_WORKBOOK_TIME = datetime(2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class FlatSpec:
    columns: tuple[tuple[str, str], ...]  # (header, logical field)
    date_format: str = "%Y-%m-%d"
    money_prefix: str = ""
    thousands: bool = False
    weight_decimals: int = 1
    encoding: str = "utf-8"
    line_terminator: str = "\n"
    origin: str = ""


SPECS: dict[str, FlatSpec] = {
    "SF": FlatSpec((
        ("账单编号", "bill_no"), ("序号", "line_no"), ("运单号", "waybill_no"), ("寄件日期", "ship_date"),
        ("产品类型", "service"), ("始发地", "origin"), ("目的地", "destination"), ("计费区域", "zone"),
        ("计费重量", "billed_weight"), ("运费", "base"), ("燃油附加费", "fuel"), ("偏远附加费", "remote"),
        ("超长超重附加费", "oversize"), ("其他费用", "other"), ("费用说明", "other_code"), ("金额", "total"),
        ("币种", "currency"),
    ), date_format="%Y/%m/%d", money_prefix="￥", thousands=True, encoding="gbk", line_terminator="\r\n",
        origin="广东深圳"),
    "ZTO": FlatSpec((
        ("账单号", "bill_no"), ("序号", "line_no"), ("运单编号", "waybill_no"), ("发件日期", "ship_date"),
        ("产品", "service"), ("目的省份", "destination"), ("结算区域", "zone"), ("结算重量(kg)", "billed_weight"),
        ("快递费", "base"), ("燃油费", "fuel"), ("偏远费", "remote"), ("超规费", "oversize"), ("其他费用", "other"),
        ("其他费用说明", "other_code"), ("应付金额", "total"), ("币种", "currency"),
    )),
    "FEDEX": FlatSpec((
        ("Invoice Number", "bill_no"), ("Line", "line_no"), ("Express or Ground Tracking ID", "waybill_no"),
        ("Shipment Date", "ship_date"), ("Service Type", "service"), ("Recipient State", "dest_region"),
        ("Zone Code", "zone"), ("Rated Weight Amount", "billed_weight"), ("Rated Weight Units", "weight_unit"),
        ("Transportation Charge Amount", "base"), ("Fuel Surcharge", "fuel"),
        ("Delivery Area Surcharge", "remote"), ("Additional Handling Charge", "oversize"),
        ("Residential Delivery Charge", "residential"), ("Other Charge Amount", "other"),
        ("Other Charge Description", "other_code"), ("Net Charge Amount", "total"), ("Currency", "currency"),
    ), weight_decimals=0),
    "USPS": FlatSpec((
        ("Invoice Number", "bill_no"), ("Line Number", "line_no"), ("Tracking Number", "waybill_no"),
        ("Mailing Date", "ship_date"), ("Mail Class", "service"), ("Destination State", "dest_region"),
        ("Zone", "zone"), ("Weight (lb)", "billed_weight"), ("Postage", "base"), ("Fuel Surcharge", "fuel"),
        ("Nonstandard Fee", "oversize"), ("Other Fees", "other"), ("Other Fee Description", "other_code"),
        ("Total Charge", "total"), ("Currency", "currency"),
    ), date_format="%m/%d/%Y", thousands=True, weight_decimals=0),
    "ROYALMAIL": FlatSpec((
        ("Invoice No", "bill_no"), ("Item", "line_no"), ("Tracking Number", "waybill_no"),
        ("Despatch Date", "ship_date"), ("Service", "service"), ("Destination", "dest_country"),
        ("Zone", "zone"), ("Weight (kg)", "billed_weight"), ("Net Charge", "base"), ("Fuel Surcharge", "fuel"),
        ("Oversize Surcharge", "oversize"), ("Other Charges", "other"),
        ("Other Charges Description", "other_code"), ("Total", "total"), ("Currency", "currency"),
    ), date_format="%d/%m/%Y"),
}


def _check_components_shown(lines: pl.DataFrame, spec: FlatSpec, carrier: str) -> None:
    """A charge the layout has no column for would make the total unexplainable: refuse to write it."""
    shown = {f for _, f in spec.columns}
    for name, column in MONEY_FIELDS.items():
        if name not in shown and lines.height and lines[column].max() > 0:
            raise ValueError(f"{carrier} bill layout has no column for non-zero {name} charges")


def _text_columns(lines: pl.DataFrame, header: BillHeader, spec: FlatSpec) -> pl.DataFrame:
    exprs = []
    for title, name in spec.columns:
        if name in MONEY_FIELDS:
            expr = money_text(MONEY_FIELDS[name], thousands=spec.thousands, prefix=spec.money_prefix)
        elif name == "ship_date":
            expr = pl.col("ship_date").dt.strftime(spec.date_format)
        elif name == "billed_weight":
            expr = weight_text(decimals=spec.weight_decimals)
        else:
            expr = _plain(name, header, spec)
        exprs.append(expr.alias(title))
    return lines.select(exprs)


def _plain(name: str, header: BillHeader, spec: FlatSpec) -> pl.Expr:
    if name == "bill_no":
        return pl.lit(header.bill_no)
    if name == "line_no":
        return pl.col("line_no").cast(pl.Utf8)
    if name == "service":
        return service_label(header.carrier)
    if name == "origin":
        return pl.lit(spec.origin)
    if name == "destination":
        return province_label()
    if name == "weight_unit":
        return pl.lit(header.weight_unit.upper() if header.weight_unit == "kg" else "LBS")
    if name == "currency":
        return pl.lit(header.currency)
    if name == "other_code":
        return pl.when(pl.col("other_code") == "").then(None).otherwise(pl.col("other_code"))
    return pl.col(name).cast(pl.Utf8)


def write_csv(lines: pl.DataFrame, header: BillHeader, path: Path) -> None:
    spec = SPECS[header.carrier]
    _check_components_shown(lines, spec, header.carrier)
    text = _text_columns(lines, header, spec).write_csv(line_terminator=spec.line_terminator)
    path.write_bytes(text.encode(spec.encoding))


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def _xml_text(expr: pl.Expr) -> pl.Expr:
    return (expr.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True)
            .str.replace_all(">", "&gt;", literal=True))


def _cell_xml(column: int, value: pl.Expr, kind: str, style: int) -> pl.Expr:
    """One <c> element of the row (strings inline, numbers as their exact decimal text)."""
    ref = pl.concat_str([pl.lit(_column_letter(column)), pl.col("_r")])
    if kind == "str":
        return pl.when(value.is_null() | (value == "")).then(pl.lit("")).otherwise(pl.concat_str([
            pl.lit('<c r="'), ref, pl.lit('" t="inlineStr"><is><t>'), _xml_text(value), pl.lit("</t></is></c>")]))
    style_attr = f' s="{style}"' if style else ""
    return pl.concat_str([pl.lit('<c r="'), ref, pl.lit(f'"{style_attr}><v>'), value, pl.lit("</v></c>")])


EXCEL_EPOCH_OFFSET = 25569  # days from 1899-12-30 (Excel's day 0) to 1970-01-01


def write_xlsx(lines: pl.DataFrame, header: BillHeader, path: Path) -> None:
    """Typed cells (dates as dates, money as numbers) as a carrier portal's export has them.

    openpyxl writes the package (workbook, styles, properties, the header row); the data rows are
    generated as sheet XML with polars and spliced into openpyxl's sheet, because openpyxl's per-cell
    writer manages ~3k rows/s and a monthly ZTO bill has hundreds of thousands of lines.
    """
    spec = SPECS[header.carrier]
    _check_components_shown(lines, spec, header.carrier)
    workbook = Workbook(write_only=True)
    workbook.properties.creator = header.carrier_name
    workbook.properties.title = f"{header.carrier_name} invoice {header.bill_no}"
    workbook.properties.created = FIXED_WORKBOOK_TIME
    workbook.properties.modified = FIXED_WORKBOOK_TIME
    sheet = workbook.create_sheet(title="账单明细" if header.currency == "CNY" else "Invoice Detail")
    styles = {}
    for kind, number_format in (("date", "yyyy-mm-dd"), ("money", "#,##0.00")):
        probe = WriteOnlyCell(sheet)
        probe.number_format = number_format
        styles[kind] = probe.style_id  # registers the style in the workbook's styles.xml
    sheet.append([title for title, _ in spec.columns])
    cells = []
    for column, (_, name) in enumerate(spec.columns):
        if name in MONEY_FIELDS:
            cells.append(_cell_xml(column, money_text(MONEY_FIELDS[name]), "num", styles["money"]))
        elif name == "billed_weight":
            cells.append(_cell_xml(column, weight_text(), "num", 0))
        elif name == "line_no":
            cells.append(_cell_xml(column, pl.col("line_no").cast(pl.Utf8), "num", 0))
        elif name == "ship_date":
            serial = (pl.col("ship_date").cast(pl.Int32) + EXCEL_EPOCH_OFFSET).cast(pl.Utf8)
            cells.append(_cell_xml(column, serial, "num", styles["date"]))
        else:
            cells.append(_cell_xml(column, _plain(name, header, spec), "str", 0))
    rows = lines.with_columns((pl.col("line_no") + 1).cast(pl.Utf8).alias("_r")).select(pl.concat_str(
        [pl.lit('<row r="'), pl.col("_r"), pl.lit('">'), *cells, pl.lit("</row>")]).alias("xml"))["xml"]
    with FixedTimeZip(path, "w", allowZip64=True) as archive:
        archive.sheet_rows["xl/worksheets/sheet1.xml"] = "".join(rows.to_list()).encode("utf-8")  # the only sheet
        ExcelWriter(workbook, archive).write_data()
        if archive.sheet_rows:
            raise RuntimeError(f"{path}: openpyxl did not write the expected sheet part; rows not written")

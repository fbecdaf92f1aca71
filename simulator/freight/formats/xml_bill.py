"""XML invoices (DHL, Cainiao): a header, then lines with nested charge lists.

Each line lists only the charges that apply (as electronic invoices do), so a surcharge that is not in
the contract shows up as its own <Charge> with an unknown code. DHL and Cainiao differ in naming
(PascalCase vs camelCase, as their real feeds do); the structure is the same.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import polars as pl

from simulator.freight.formats.common import BillHeader, cents_to_text, money_text, service_label, weight_text

TAGS: dict[str, dict[str, str]] = {
    "DHL": {
        "root": "Invoice", "header": "InvoiceHeader", "number": "InvoiceNumber", "account": "AccountNumber",
        "carrier": "Carrier", "issue": "InvoiceDate", "due": "DueDate", "period": "BillingPeriod",
        "from": "From", "to": "To", "currency": "Currency", "count": "LineCount", "amount": "TotalAmount",
        "lines": "InvoiceLines", "line": "InvoiceLine", "line_no": "LineNumber", "waybill": "ShipmentNumber",
        "ship_date": "ShipmentDate", "service": "Product", "dest": "Destination", "country": "CountryCode",
        "region": "Region", "zone": "Zone", "weight": "ChargeableWeight", "charges": "Charges",
        "charge": "Charge", "code": "Code", "value": "Amount", "total": "LineTotal",
    },
    "CAINIAO": {
        "root": "bill", "header": "billHeader", "number": "billNo", "account": "customerCode",
        "carrier": "carrier", "issue": "billDate", "due": "dueDate", "period": "billPeriod",
        "from": "start", "to": "end", "currency": "currency", "count": "lineCount", "amount": "totalAmount",
        "lines": "billLines", "line": "billLine", "line_no": "lineNo", "waybill": "trackingNo",
        "ship_date": "shipDate", "service": "product", "dest": "destination", "country": "country",
        "region": "region", "zone": "zone", "weight": "chargeableWeight", "charges": "charges",
        "charge": "charge", "code": "code", "value": "amount", "total": "lineTotal",
    },
}
CHARGE_CODES = (("FREIGHT", "base_cents"), ("FUEL", "fuel_cents"), ("REMOTE", "remote_cents"),
                ("OVERSIZE", "oversize_cents"), ("RESIDENTIAL", "residential_cents"))


def _element(tag: str, value: pl.Expr | str) -> list[pl.Expr]:
    value = pl.lit(value) if isinstance(value, str) else value
    return [pl.lit(f"<{tag}>"), value, pl.lit(f"</{tag}>")]


def _charge(t: dict[str, str], code: pl.Expr, amount_column: str, always: bool = False) -> pl.Expr:
    text = pl.concat_str([
        pl.lit(f"<{t['charge']}><{t['code']}>"), code, pl.lit(f"</{t['code']}><{t['value']}>"),
        money_text(amount_column), pl.lit(f"</{t['value']}></{t['charge']}>"),
    ])
    return text if always else pl.when(pl.col(amount_column) > 0).then(text).otherwise(pl.lit(""))


def write_xml(lines: pl.DataFrame, header: BillHeader, path: Path) -> None:
    t = TAGS[header.carrier]
    charges = [_charge(t, pl.lit(code), column, always=code == "FREIGHT") for code, column in CHARGE_CODES]
    charges.append(_charge(t, pl.col("other_code"), "other_cents"))
    parts = [
        pl.lit(f"    <{t['line']}>"),
        *_element(t["line_no"], pl.col("line_no").cast(pl.Utf8)),
        *_element(t["waybill"], pl.col("waybill_no").map_batches(_escape_series, return_dtype=pl.Utf8)),
        *_element(t["ship_date"], pl.col("ship_date").dt.strftime("%Y-%m-%d")),
        *_element(t["service"], service_label(header.carrier)),
        pl.lit(f"<{t['dest']}>"), *_element(t["country"], pl.col("dest_country")),
        *_element(t["region"], pl.col("dest_region")), pl.lit(f"</{t['dest']}>"),
        *_element(t["zone"], pl.col("zone")),
        pl.lit(f'<{t["weight"]} unit="{header.weight_unit}">'), weight_text(), pl.lit(f"</{t['weight']}>"),
        pl.lit(f"<{t['charges']}>"), *charges, pl.lit(f"</{t['charges']}>"),
        *_element(t["total"], money_text("total_cents")),
        *_element(t["currency"], header.currency),
        pl.lit(f"</{t['line']}>"),
    ]
    body = lines.select(pl.concat_str(parts).alias("x"))["x"]
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{t["root"]}>\n  <{t["header"]}>'
        f"<{t['number']}>{escape(header.bill_no)}</{t['number']}>"
        f"<{t['account']}>{escape(header.account_no)}</{t['account']}>"
        f"<{t['carrier']}>{escape(header.carrier_name)}</{t['carrier']}>"
        f"<{t['issue']}>{header.issue_date.isoformat()}</{t['issue']}>"
        f"<{t['due']}>{header.due_date.isoformat()}</{t['due']}>"
        f"<{t['period']}><{t['from']}>{header.period_start.isoformat()}</{t['from']}>"
        f"<{t['to']}>{header.period_end.isoformat()}</{t['to']}></{t['period']}>"
        f"<{t['currency']}>{header.currency}</{t['currency']}>"
        f"<{t['count']}>{header.line_count}</{t['count']}>"
        f"<{t['amount']}>{cents_to_text(header.total_cents)}</{t['amount']}>"
        f"</{t['header']}>\n  <{t['lines']}>\n"
    )
    text = head + "\n".join(body.to_list()) + ("\n" if body.len() else "") + f"  </{t['lines']}>\n</{t['root']}>\n"
    path.write_bytes(text.encode("utf-8"))


def _escape_series(series: pl.Series) -> pl.Series:
    """Waybill numbers are normally safe, but never trust text that goes into markup."""
    return series.str.replace_all("&", "&amp;", literal=True).str.replace_all(
        "<", "&lt;", literal=True).str.replace_all(">", "&gt;", literal=True)

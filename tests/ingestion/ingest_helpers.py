"""Shared layouts and a one-call parse helper for the ingestion tests (imported by name: pytest puts
this directory on sys.path; a uniquely named module avoids clashing with other test folders)."""

from __future__ import annotations

from datetime import date

from ingestion.mapping import Mapping, loads_mapping
from ingestion.parser import ParseResult, parse_bytes

BUSINESS_DATE = date(2026, 1, 6)

# A carrier bill as Chinese carriers send it: Chinese or English headers, "¥1,234.50" amounts.
BILL_TOML = """
contract = "carrier_bill_lines"
format = "csv"
timezone = "Asia/Shanghai"
date_formats = ["%Y/%m/%d", "%Y-%m-%d"]

[columns.carrier]
value = "SF"
[columns.bill_no]
from = ["账单号", "Bill No"]
[columns.bill_date]
from = ["账单日期", "Bill Date"]
[columns.waybill_no]
from = ["运单号", "Waybill No"]
[columns.billed_weight_kg]
from = ["计费重量(kg)", "Chargeable Weight (kg)"]
[columns.charge_code]
value = "freight"
[columns.amount]
from = ["金额", "Amount"]
[columns.currency]
from = ["币种", "Currency"]
default = "CNY"
case = "upper"
"""

# Orders the way a marketplace exports them: local timestamps, a status vocabulary of its own.
ORDERS_TOML = """
contract = "order_lines"
timezone = "America/Los_Angeles"
datetime_formats = ["%m/%d/%Y %H:%M"]

[columns.channel]
value = "amazon"
[columns.order_no]
from = ["order-id"]
[columns.line_no]
from = ["line"]
[columns.sku]
from = ["sku"]
[columns.qty]
from = ["quantity"]
[columns.unit_price]
from = ["item-price"]
[columns.currency]
from = ["currency"]
[columns.order_ts]
from = ["purchase-date"]
[columns.order_date]
date_of = "order_ts"
[columns.status]
from = ["order-status"]
values = { Shipped = "shipped", Pending = "placed", Canceled = "cancelled" }
"""


def bill_mapping() -> Mapping:
    return loads_mapping(BILL_TOML, name="test_bill")


def orders_mapping() -> Mapping:
    return loads_mapping(ORDERS_TOML, name="test_orders")


def parse(data: bytes | str, mapping: Mapping, filename: str = "bill.csv", encoding: str = "utf-8") -> ParseResult:
    raw = data.encode(encoding) if isinstance(data, str) else data
    result = parse_bytes(raw, mapping, source="test_source", source_file=f"test_source/2026-01-06/{filename}",
                         business_date=BUSINESS_DATE)
    assert result.balanced, (result.rows_read, result.rows_ok, result.rows_quarantined)
    return result


def reasons(result: ParseResult) -> dict[int | None, str]:
    return dict(zip(result.quarantine["row_number"].to_list(), result.quarantine["reason"].to_list(), strict=True))

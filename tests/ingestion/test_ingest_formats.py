"""XLSX, JSON and XML layouts through the same standard parser, including unreadable files."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from ingest_helpers import parse, reasons
from openpyxl import Workbook

from ingestion.mapping import loads_mapping

XLSX_BILL = """
contract = "carrier_bill_lines"
format = "xlsx"
date_formats = ["%Y/%m/%d"]
[columns.carrier]
value = "ZTO"
[columns.bill_no]
from = ["账单编号"]
[columns.bill_date]
from = ["账单日期"]
[columns.waybill_no]
from = ["运单号"]
[columns.billed_weight_kg]
from = ["重量(kg)"]
[columns.amount]
from = ["运费", "金额"]
[columns.charge_code]
value = "freight"
[columns.currency]
value = "CNY"
"""


def workbook_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_finds_the_sheet_and_header_and_reads_typed_cells():
    data = workbook_bytes({
        "说明": [["本账单由系统生成"]],
        "明细": [["中通快递 2026年1月 账单"], [], ["账单编号", "账单日期", "运单号", "重量(kg)", "运费"],
                 ["Z1", datetime(2026, 1, 5), "ZT001", 1.25, 8],
                 ["Z1", "2026/01/06", 7300001, 0.3, "¥3.50"],
                 ["Z1", datetime(2026, 1, 6), "ZT003", "heavy", 4.0],
                 [None, None, None, None, None],
                 ["Z1", datetime(2026, 1, 7), "ZT004", 2]],  # trailing empty cells dropped by Excel
    })
    result = parse(data, loads_mapping(XLSX_BILL, name="zto"), filename="zto.xlsx")
    assert result.file_error is None
    assert result.frame.select("waybill_no", "bill_date", "billed_weight_kg", "amount").rows() == [
        ("ZT001", date(2026, 1, 5), 1.25, Decimal("8")), ("7300001", date(2026, 1, 6), 0.3, Decimal("3.5"))]
    bad = reasons(result)
    assert bad[3] == "billed_weight_kg: not a number: 'heavy'"
    assert bad[5] == "amount: required value is missing"
    assert result.rows_read == 4  # the blank row is no data row


def test_xlsx_named_sheet_that_is_absent_is_a_file_error():
    data = workbook_bytes({"Sheet1": [["账单编号", "账单日期", "运单号", "重量(kg)", "运费"]]})
    mapping = loads_mapping(XLSX_BILL.replace('format = "xlsx"', 'format = "xlsx"\nsheet = "明细"'), name="zto")
    result = parse(data, mapping, filename="zto.xlsx")
    assert "no sheet '明细'" in result.file_error


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_xlsx_is_a_file_error(cut):
    data = workbook_bytes({"明细": [["账单编号", "账单日期", "运单号", "重量(kg)", "运费"], ["Z1", "2026/01/05", "A", 1, 2]]})
    result = parse(data[: int(len(data) * cut)], loads_mapping(XLSX_BILL, name="zto"), filename="zto.xlsx")
    assert result.file_error and "XLSX" in result.file_error
    assert result.quarantine.row(0, named=True)["field"] == "<file>"


SHOPIFY = """
contract = "order_lines"
format = "json"
records = "orders"
explode = "line_items"
timezone = "Europe/Berlin"
[columns.channel]
value = "shopify"
[columns.order_no]
from = "name"
[columns.order_ts]
from = "created_at"
[columns.order_date]
date_of = "order_ts"
[columns.status]
from = "fulfillment_status"
values = { fulfilled = "shipped", unfulfilled = "placed" }
[columns.currency]
from = "currency"
[columns.dest_country]
from = "shipping_address.country_code"
[columns.line_no]
from = "line_items.position"
[columns.sku]
from = "line_items.sku"
[columns.qty]
from = "line_items.quantity"
[columns.unit_price]
from = "line_items.price"
[columns.discount]
from = "line_items.total_discount"
default = "0"
"""


def test_json_nested_line_items_are_exploded_with_order_fields():
    doc = {"orders": [
        {"name": "#1001", "created_at": "2026-01-05T23:30:00+01:00", "fulfillment_status": "fulfilled",
         "currency": "EUR", "shipping_address": {"country_code": "DE"},
         "line_items": [{"position": 1, "sku": "S1", "quantity": 2, "price": "19.99", "total_discount": "1.00"},
                        {"position": 2, "sku": "S2", "quantity": 1, "price": 5.10}]},
        {"name": "#1002", "created_at": "2026-01-06T00:30:00+01:00", "fulfillment_status": "unfulfilled",
         "currency": "EUR", "shipping_address": {"country_code": "FR"},
         "line_items": [{"position": 1, "sku": "S3", "quantity": -4, "price": "2"}]},
        {"name": "#1003", "created_at": "2026-01-06T01:00:00+01:00", "fulfillment_status": "fulfilled",
         "currency": "EUR", "line_items": []},
    ]}
    result = parse(json.dumps(doc), loads_mapping(SHOPIFY, name="shopify"), filename="orders.json")
    assert result.rows_read == 4 and result.rows_ok == 2
    assert result.frame.select("order_no", "line_no", "sku", "qty", "unit_price", "discount", "dest_country",
                               "status").rows() == [
        ("#1001", 1, "S1", 2, Decimal("19.99"), Decimal("1"), "DE", "shipped"),
        ("#1001", 2, "S2", 1, Decimal("5.1"), Decimal("0"), "DE", "shipped")]
    assert result.frame["order_ts"].to_list() == [datetime(2026, 1, 5, 22, 30, tzinfo=UTC)] * 2
    assert result.frame["order_date"].to_list() == [date(2026, 1, 5)] * 2
    bad = reasons(result)
    assert bad[3] == "qty: -4 is below the minimum 0"
    assert bad[4].startswith("sku: required value is missing")  # an order without lines is still seen


def test_ndjson_and_truncated_json():
    mapping = loads_mapping(SHOPIFY.replace('records = "orders"\n', ""), name="shopify")
    line = {"name": "#1", "created_at": "2026-01-05T10:00:00Z", "fulfillment_status": "fulfilled", "currency": "EUR",
            "line_items": [{"position": 1, "sku": "S1", "quantity": 1, "price": "1"}]}
    result = parse("\n".join(json.dumps(line) for _ in range(3)), mapping, filename="o.ndjson")
    assert result.rows_ok == 3
    cut = json.dumps({"orders": [line, line]})[:-30]
    result = parse(cut, loads_mapping(SHOPIFY, name="shopify"), filename="o.json")
    assert result.file_error.startswith("not valid JSON")


def test_json_without_the_records_path_is_a_file_error():
    result = parse(json.dumps({"data": []}), loads_mapping(SHOPIFY, name="shopify"), filename="o.json")
    assert result.file_error == "JSON has no records at 'orders' (missing 'orders')"


CAINIAO = """
contract = "carrier_bill_lines"
format = "xml"
record_path = "Invoice/Items/Item"
date_formats = ["%Y%m%d"]
[columns.carrier]
value = "CAINIAO"
[columns.bill_no]
from = "Invoice/@number"
[columns.bill_date]
from = "Invoice/IssueDate"
[columns.currency]
from = "Invoice/Currency"
[columns.waybill_no]
from = "@waybill"
[columns.billed_weight_kg]
from = "Weight"
unit_from = "Weight/@unit"
units = { g = "g", kg = "kg" }
[columns.length_cm]
from = "Dimensions/Length"
[columns.charge_code]
from = "Charge/@code"
[columns.amount]
from = "Charge"
"""


def test_xml_records_with_header_context_attributes_and_namespaces():
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<b:Bill xmlns:b="urn:cainiao:bill:2">
  <b:Invoice number="CN-2026-01">
    <b:IssueDate>20260131</b:IssueDate><b:Currency>CNY</b:Currency>
    <b:Items>
      <b:Item waybill="LP001"><b:Weight unit="g">1500</b:Weight><b:Dimensions><b:Length>30</b:Length></b:Dimensions>
        <b:Charge code="freight">25.50</b:Charge></b:Item>
      <b:Item waybill="LP002"><b:Weight unit="kg">2</b:Weight><b:Charge code="remote">abc</b:Charge></b:Item>
    </b:Items>
  </b:Invoice>
</b:Bill>"""
    result = parse(xml, loads_mapping(CAINIAO, name="cainiao"), filename="bill.xml")
    assert result.frame.select("bill_no", "bill_date", "currency", "waybill_no", "billed_weight_kg", "length_cm",
                               "charge_code", "amount").rows() == [
        ("CN-2026-01", date(2026, 1, 31), "CNY", "LP001", 1.5, 30.0, "freight", Decimal("25.5"))]
    assert reasons(result) == {2: "amount: not a number: 'abc'"}


@pytest.mark.parametrize("data", ["<Bill><Invoice number='1'><Items><Item waybill='x'>", "not xml at all", ""])
def test_unreadable_xml_is_a_file_error(data):
    result = parse(data, loads_mapping(CAINIAO, name="cainiao"), filename="bill.xml")
    assert result.file_error and result.rows_read == 0


def test_unpivot_turns_charge_columns_into_charge_rows():
    toml = """
contract = "carrier_bill_lines"
[columns.carrier]
value = "SF"
[columns.bill_no]
from = "账单号"
[columns.bill_date]
from = "日期"
[columns.waybill_no]
from = "运单号"
[columns.currency]
value = "CNY"
[unpivot]
columns = { "运费" = "freight", "燃油附加费" = "fuel", "偏远附加费" = "remote_area" }
"""
    text = "账单号,日期,运单号,运费,燃油附加费,偏远附加费\nB,2026-01-31,W1,10.00,1.20,\nB,2026-01-31,W2,8,x,5\n"
    result = parse(text, loads_mapping(toml, name="sf"))
    assert result.frame.select("waybill_no", "charge_code", "amount", "row_number").rows() == [
        ("W1", "freight", Decimal("10"), 1), ("W1", "fuel", Decimal("1.2"), 1),
        ("W2", "freight", Decimal("8"), 2), ("W2", "remote_area", Decimal("5"), 2)]
    assert result.quarantine.select("row_number", "reason").rows() == [(2, "amount: not a number: 'x'")]


def test_xml_header_block_beside_the_lines_and_charges_as_records():
    xml = """<bill><billHeader><billNo>B1</billNo><billDate>2026-02-05</billDate><currency>CNY</currency></billHeader>
<billLines>
 <billLine><lineNo>1</lineNo><trackingNo>LP1</trackingNo><chargeableWeight unit="g">500</chargeableWeight>
  <charges><charge><code>FREIGHT</code><amount>10.00</amount></charge><charge><code>FUEL</code><amount>1.00</amount></charge></charges>
 </billLine>
 <billLine><lineNo>2</lineNo><trackingNo>LP2</trackingNo><chargeableWeight unit="kg">2</chargeableWeight>
  <charges><charge><code>FREIGHT</code><amount>20.00</amount></charge></charges>
 </billLine>
</billLines></bill>"""
    toml = """
contract = "carrier_bill_lines"
format = "xml"
record_path = "billLine/charges/charge"
[columns.carrier]
value = "CAINIAO"
[columns.bill_no]
from = "bill/billHeader/billNo"
[columns.bill_date]
from = "bill/billHeader/billDate"
[columns.bill_line_id]
join = ["bill/billHeader/billNo", "billLine/lineNo"]
separator = "-"
[columns.waybill_no]
from = "billLine/trackingNo"
[columns.billed_weight_kg]
from = "billLine/chargeableWeight"
unit_from = "billLine/chargeableWeight/@unit"
units = { g = "g", kg = "kg" }
[columns.charge_code]
from = "code"
case = "lower"
[columns.amount]
from = "amount"
[columns.currency]
from = "bill/billHeader/currency"
"""
    result = parse(xml, loads_mapping(toml, name="cainiao"), filename="bill.xml")
    assert result.frame.select("bill_no", "bill_line_id", "waybill_no", "billed_weight_kg", "charge_code",
                               "amount", "currency").rows() == [
        ("B1", "B1-1", "LP1", 0.5, "freight", Decimal("10"), "CNY"),
        ("B1", "B1-1", "LP1", 0.5, "fuel", Decimal("1"), "CNY"),
        ("B1", "B1-2", "LP2", 2.0, "freight", Decimal("20"), "CNY")]


def test_json_envelope_fields_fixed_and_listed_charges():
    doc = {"success": True, "data": {"billNo": "YTO1", "issueDate": "2026-02-05", "currency": "CNY", "details": [
        {"seq": 1, "mailNo": "YT1", "fees": {"freight": 6.73, "fuelSurcharge": 0.34, "extraFees": []}},
        {"seq": 2, "mailNo": "YT2", "fees": {"freight": 5.00, "fuelSurcharge": 0.00,
                                             "extraFees": [{"feeCode": "REMOTE", "feeName": "偏远附加费", "amount": 6.00}]}},
    ]}}
    toml = """
contract = "carrier_bill_lines"
format = "json"
records = "data.details"
[columns.carrier]
value = "YTO"
[columns.bill_no]
from = "data.billNo"
[columns.bill_date]
from = "data.issueDate"
[columns.waybill_no]
from = "mailNo"
[columns.charge_description]
from = "<unpivot:description>"
[columns.charge_code]
from = "<unpivot:charge_code>"
values = { REMOTE = "remote_area" }
[columns.currency]
from = "data.currency"
[unpivot]
columns = { "fees.freight" = "freight", "fees.fuelSurcharge" = "fuel" }
lists = { "fees.extraFees" = { code = "feeCode", amount = "amount", description = "feeName" } }
"""
    result = parse(json.dumps(doc, ensure_ascii=False), loads_mapping(toml, name="yto"), filename="bill.json")
    assert result.frame.select("bill_no", "bill_date", "waybill_no", "charge_code", "amount",
                               "charge_description", "row_number").rows() == [
        ("YTO1", date(2026, 2, 5), "YT1", "freight", Decimal("6.73"), None, 1),
        ("YTO1", date(2026, 2, 5), "YT1", "fuel", Decimal("0.34"), None, 1),
        ("YTO1", date(2026, 2, 5), "YT2", "freight", Decimal("5"), None, 2),
        ("YTO1", date(2026, 2, 5), "YT2", "remote_area", Decimal("6"), "偏远附加费", 2)]


def test_fill_down_repeats_a_value_given_once():
    toml = """
contract = "fx_rates"
[columns.rate_date]
from = "date"
fill_down = true
[columns.base_currency]
from = "base"
[columns.quote_currency]
value = "CNY"
[columns.rate]
from = "rate"
"""
    result = parse("date,base,rate\n2026-01-05,USD,7.1\n,EUR,7.8\n,GBP,9.0\n", loads_mapping(toml, name="fx"))
    assert result.frame["rate_date"].to_list() == [date(2026, 1, 5)] * 3

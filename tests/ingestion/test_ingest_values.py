"""Value conversion: number formats, units, signs, vocabularies, dates and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from ingest_helpers import parse, reasons

from ingestion.mapping import loads_mapping

AMOUNTS = """
contract = "carrier_bill_lines"
date_formats = ["%Y-%m-%d"]
[columns.carrier]
value = "X"
[columns.bill_no]
value = "B"
[columns.bill_date]
value = "2026-01-05"
[columns.charge_code]
value = "freight"
[columns.currency]
value = "CNY"
[columns.amount]
from = "amount"
"""


def amounts(cells: list[str], extra: str = "") -> tuple[list, dict]:
    mapping = loads_mapping(AMOUNTS + extra, name="amounts")
    text = "amount\n" + "\n".join(f'"{c}"' for c in cells) + "\n"
    result = parse(text, mapping)
    values = dict(zip(result.frame["row_number"].to_list(), result.frame["amount"].to_list(), strict=True))
    return [values.get(i) for i in range(1, len(cells) + 1)], reasons(result)


def test_number_formats():
    cells = ["1,234.50", "¥12.00", "￥12.00", "(12.00)", "12.00-", "US$ 5", "12.00 元", "EUR 3.5", "-¥7.25", "+3",
             "1,234,567.891", "  42  ", "0.1", "1e3"]
    values, bad = amounts(cells)
    assert values == [Decimal(x) for x in ("1234.5", "12", "12", "-12", "-12", "5", "12", "3.5", "-7.25", "3",
                                           "1234567.891", "42", "0.1", "1000")]
    assert bad == {}


@pytest.mark.parametrize("cell", ["abc", "12abc", "1,2,3", "12,5", "--3", "¥", "NaN", "inf", "1.2.3"])
def test_non_numbers_are_rejected_with_the_raw_text(cell):
    values, bad = amounts([cell])
    assert values == [None]
    assert bad[1] == f"amount: not a number: '{cell}'"


def test_decimal_comma_where_declared():
    values, bad = amounts(["12,5", "1.234,50", "3"], extra="decimal_comma = true\n")
    assert values == [Decimal("12.5"), Decimal("1234.5"), Decimal("3")] and bad == {}


def test_cents_and_sign_rules():
    extra = 'unit = "cents"\nnegate_if = { from = "type", values = ["credit", "贷"] }\n'
    mapping = loads_mapping(AMOUNTS + extra, name="amounts")
    result = parse("amount,type\n1250,debit\n1250,credit\n99,贷\n7,\n", mapping)
    assert result.frame["amount"].to_list() == [Decimal("12.5"), Decimal("-12.5"), Decimal("-0.99"), Decimal("0.07")]


def test_weights_convert_to_kilograms_by_fixed_or_per_row_unit():
    toml = AMOUNTS.replace('[columns.amount]\nfrom = "amount"', '[columns.amount]\nvalue = "1"') + """
[columns.billed_weight_kg]
from = "weight"
unit = "lb"
[columns.actual_weight_kg]
from = "actual"
unit_from = "unit"
units = { LB = "lb", KG = "kg", g = "g" }
[columns.length_cm]
from = "length_in"
unit = "in"
"""
    mapping = loads_mapping(toml, name="weights")
    result = parse("weight,actual,unit,length_in\n10,10,LB,10\n1,2,kg,1\n1,500,G,1\n1,3,stone,1\n", mapping)
    assert result.frame["billed_weight_kg"].to_list() == pytest.approx([4.5359237, 0.45359237, 0.45359237])
    assert result.frame["actual_weight_kg"].to_list() == pytest.approx([4.5359237, 2.0, 0.5])
    assert result.frame["length_cm"].to_list() == pytest.approx([25.4, 2.54, 2.54])
    assert "actual_weight_kg: unknown unit 'stone'" in reasons(result)[4]


def test_quantities_must_be_whole_non_negative_numbers(orders_mapping):
    header = "order-id,line,sku,quantity,item-price,currency,purchase-date,order-status"
    rows = ["A1,1,S1,3.0,10,USD,01/05/2026 10:00,Shipped", "A2,1,S1,-1,10,USD,01/05/2026 10:00,Shipped",
            "A3,1,S1,2.5,10,USD,01/05/2026 10:00,Shipped", "A4,1,S1,many,10,USD,01/05/2026 10:00,Shipped",
            "A5,1,S1,99999999999,10,USD,01/05/2026 10:00,Shipped"]
    result = parse("\n".join([header, *rows]), orders_mapping)
    assert result.frame["qty"].to_list() == [3]
    bad = reasons(result)
    assert bad[2] == "qty: -1 is below the minimum 0"
    assert bad[3] == "qty: not a whole number: '2.5'"
    assert bad[4] == "qty: not a number: 'many'"
    assert bad[5] == "qty: out of range for int32: '99999999999'"


def test_local_timestamps_become_utc_and_keep_the_local_business_date(orders_mapping):
    header = "order-id,line,sku,quantity,item-price,currency,purchase-date,order-status"
    rows = ["A1,1,S1,1,10,USD,01/05/2026 20:00,Shipped",  # 8 pm in Los Angeles is 04:00 UTC next day
            "A2,1,S1,1,10,USD,2026-01-05T20:00:00-08:00,Pending",
            "A3,1,S1,1,10,USD,2026-01-06T03:59:00Z,Canceled",
            "A4,1,S1,1,10,USD,2026-01-06 04:00:00,Shipped"]
    result = parse("\n".join([header, *rows]), orders_mapping)
    frame = result.frame
    assert frame["order_ts"].to_list() == [
        datetime(2026, 1, 6, 4, 0, tzinfo=UTC), datetime(2026, 1, 6, 4, 0, tzinfo=UTC),
        datetime(2026, 1, 6, 3, 59, tzinfo=UTC), datetime(2026, 1, 6, 12, 0, tzinfo=UTC)]
    assert frame["order_date"].to_list() == [date(2026, 1, 5), date(2026, 1, 5), date(2026, 1, 5), date(2026, 1, 6)]
    assert frame["status"].to_list() == ["shipped", "placed", "cancelled", "shipped"]


def test_impossible_and_implausible_dates(orders_mapping):
    header = "order-id,line,sku,quantity,item-price,currency,purchase-date,order-status"
    rows = ["A1,1,S1,1,10,USD,02/30/2026 10:00,Shipped", "A2,1,S1,1,10,USD,1970-01-01 00:00:00,Shipped",
            "A3,1,S1,1,10,USD,13/01/2026 10:00,Shipped", "A4,1,S1,1,10,USD,,Shipped"]
    result = parse("\n".join([header, *rows]), orders_mapping)
    bad = reasons(result)
    assert bad[1] == "order_ts: not a valid date/time: '02/30/2026 10:00'"
    assert "order_ts: 1970-01-01 08:00:00" in bad[2] and "outside the plausible range" in bad[2]
    assert bad[3].startswith("order_ts: not a valid date/time: '13/01/2026 10:00'")
    assert bad[4].startswith("order_ts: required value is missing")
    assert result.quarantine["field"].to_list() == ["order_ts"] * 4
    assert result.quarantine["source_field"].to_list() == ["purchase-date"] * 4


def test_vocabulary_outside_the_contract_is_rejected(orders_mapping):
    header = "order-id,line,sku,quantity,item-price,currency,purchase-date,order-status"
    result = parse(header + "\nA1,1,S1,1,10,USD,01/05/2026 10:00,Lost in space\n", orders_mapping)
    assert reasons(result)[1].startswith("status: 'Lost in space' is not an allowed value")


def test_local_time_that_does_not_exist_is_an_error_not_a_guess(orders_mapping):
    # Los Angeles skipped 02:00-03:00 on 2026-03-08: "02:30" there names no instant.
    header = "order-id,line,sku,quantity,item-price,currency,purchase-date,order-status"
    rows = ["A1,1,S1,1,10,USD,03/08/2026 02:30,Shipped", "A2,1,S1,1,10,USD,03/08/2026 03:30,Shipped"]
    result = parse("\n".join([header, *rows]), orders_mapping)
    assert result.frame["order_ts"].to_list() == [datetime(2026, 3, 8, 10, 30, tzinfo=UTC)]
    assert reasons(result) == {1: "order_ts: not a valid date/time: '03/08/2026 02:30'"}


def test_excel_guarded_ids_and_epoch_timestamps():
    toml = """
contract = "orders"
timezone = "Asia/Shanghai"
[columns.channel]
value = "douyin"
[columns.order_no]
from = "订单号"
[columns.order_ts]
from = "下单时间"
formats = ["epoch", "%Y-%m-%d %H:%M:%S"]
[columns.order_date]
date_of = "order_ts"
[columns.status]
value = "paid"
[columns.currency]
value = "CNY"
[columns.order_amount]
from = "实付金额"
"""
    mapping = loads_mapping(toml, name="douyin")
    text = '订单号,下单时间,实付金额\n="6920000000123456789",1767628800,￥99.00\n="6920000000123456790",2026-01-06 00:30:00,1\n'
    result = parse(text, mapping)
    assert result.frame.select("order_no", "order_ts", "order_date", "order_amount").rows() == [
        ("6920000000123456789", datetime(2026, 1, 5, 16, 0, tzinfo=UTC), date(2026, 1, 6), Decimal("99")),
        ("6920000000123456790", datetime(2026, 1, 5, 16, 30, tzinfo=UTC), date(2026, 1, 6), Decimal("1"))]

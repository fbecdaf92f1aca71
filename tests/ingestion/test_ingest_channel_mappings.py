"""Channel layouts on hand-made files: Shopify's refunds and order id, Douyin's after-sale states,
and the list paths of the mapping language (`refunds[-1].restock`, `sum_of`) they rely on."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from ingestion.mapping import MappingError, loads_mapping, shipped_mapping
from ingestion.parser import ParseResult, parse_bytes

DAY = date(2026, 10, 1)


def _shopify_order(number: int, refunds: list[dict], *, financial: str = "refunded", extra: dict | None = None) -> dict:
    return {
        "id": 820982911946154500 + number, "name": f"#{number}", "source_name": "web", "currency": "EUR",
        "created_at": "2026-10-01T10:00:00+02:00", "financial_status": financial,
        "fulfillments": [{"shipment_status": "delivered"}], "refunds": refunds,
        "shipping_address": {"country_code": "DE", "province_code": "BE"},
        "line_items": [{"id": 1, "sku": "S1", "quantity": 2, "price": "10.00", "total_discount": "0.00"},
                       {"id": 2, "sku": "S2", "quantity": 1, "price": "5.00", "total_discount": "0.00"}],
        **(extra or {}),
    }


def _refund(restock: bool, *amounts: str) -> dict:
    return {"restock": restock, "transactions": [{"amount": a, "kind": "refund"} for a in amounts]}


def _shopify_orders(extra: dict | None = None) -> list[dict]:
    return [
        # a goodwill refund paid in two transactions, then the return that restocked the goods
        _shopify_order(1001, [_refund(False, "3.00", "1.25"), _refund(True, "10.00")], extra=extra),
        # a return first, then a further refund without restock: the latest refund decides
        _shopify_order(1002, [_refund(True, "4.00"), _refund(False, "0.50", "0.25")], extra=extra),
        _shopify_order(1003, [], financial="paid", extra=extra),
    ]


def _parse_shopify(orders: list[dict]) -> ParseResult:
    return parse_bytes(json.dumps({"orders": orders}).encode(), shipped_mapping("orders_shopify"),
                       source="orders_shopify", source_file="shopify_orders_20261001.json", business_date=DAY)


def _by_order(result: ParseResult) -> dict[str, tuple]:
    frame = result.frame.unique("order_no", keep="first", maintain_order=True)
    return {r["order_no"]: (r["channel_order_id"], r["status"], r["order_refund_amount"])
            for r in frame.iter_rows(named=True)}


@pytest.mark.parametrize("row_path", [False, True], ids=["columnar", "row path"])
def test_shopify_refunds_add_up_every_transaction_and_the_latest_refund_gives_the_status(row_path: bool) -> None:
    # a JSON float anywhere sends the document to the row path (its text is kept literally there)
    result = _parse_shopify(_shopify_orders({"total_weight": 1.5} if row_path else None))
    assert result.balanced and result.rows_ok == 6, result.quarantine
    assert _by_order(result) == {
        "#1001": ("820982911946155501", "returned", Decimal("14.25")),
        "#1002": ("820982911946155502", "refunded", Decimal("4.75")),
        "#1003": ("820982911946155503", "delivered", None),
    }


def test_shopify_refund_amount_that_is_no_number_quarantines_the_order_naming_the_path() -> None:
    result = _parse_shopify([_shopify_order(7, [_refund(False, "3.00", "n/a")]), _shopify_orders()[2]])
    assert result.balanced and result.rows_ok == 2 and result.rows_quarantined == 2
    q = result.quarantine.row(0, named=True)
    assert (q["row_number"], q["field"], q["source_field"]) == (1, "order_refund_amount",
                                                                "refunds[*].transactions[*].amount")
    assert "3.00 + n/a" in q["reason"]


DOUYIN_HEADER = "主订单编号,子订单编号,下单时间,商品编码,商品名称,数量,单价,商家优惠,实付金额,订单状态,售后状态,省,市,快递公司,快递单号,发货时间,退款金额,店铺名称"
DOUYIN_ROWS = [
    ("D1", "待发货", "", "¥0.00"),
    ("D2", "已发货", "", "¥0.00"),
    ("D3", "已完成", "", "¥0.00"),
    ("D4", "已关闭", "", "¥0.00"),          # cancelled before it shipped
    ("D5", "已完成", "退款成功", "¥3.50"),    # refunded, goods kept
    ("D6", "已关闭", "退货退款成功", "¥1,200.00"),  # returned: closed like a cancellation
]


def test_douyin_after_sale_state_tells_a_return_from_a_cancellation() -> None:
    lines = [DOUYIN_HEADER] + [
        f'{no},{no}01,2026-10-01 09:30:00,S1,商品,1,"¥1,200.00",¥0.00,"¥1,200.00",{state},{after},GD,深圳,顺丰,'
        f'SF1,2026-10-02 10:00:00,"{refund}",店' for no, state, after, refund in DOUYIN_ROWS]
    result = parse_bytes("\n".join(lines).encode(), shipped_mapping("orders_douyin"), source="orders_douyin",
                         source_file="douyin_orders_20261001.csv", business_date=DAY)
    assert result.balanced and result.rows_ok == 6, result.quarantine
    statuses = dict(zip(result.frame["order_no"], result.frame["status"], strict=True))
    assert statuses == {"D1": "placed", "D2": "shipped", "D3": "delivered", "D4": "cancelled", "D5": "refunded",
                        "D6": "returned"}
    refunds = dict(zip(result.frame["order_no"], result.frame["refund_amount"], strict=True))
    assert (refunds["D5"], refunds["D6"]) == (Decimal("3.50"), Decimal("1200.00"))


LIST_LAYOUT = """
contract = "order_lines"
format = "json"
records = "orders"
[columns.channel]
value = "shop"
[columns.order_no]
from = "name"
[columns.sku]
from = "sku"
[columns.qty]
from = "qty"
[columns.unit_price]
from = "price"
[columns.currency]
value = "EUR"
[columns.order_ts]
from = "ts"
[columns.order_date]
date_of = "order_ts"
[columns.status]
from = "refunds[0].state"
[columns.order_refund_amount]
"""


def test_list_paths_read_items_by_position_and_sum_nested_lists() -> None:
    mapping = loads_mapping(LIST_LAYOUT + 'sum_of = "refunds[*].lines[*].amount"\n', name="list")
    orders = [{"name": "A", "sku": "S", "qty": 1, "price": "9.99", "ts": "2026-10-01T10:00:00Z",
               "refunds": [{"state": "refunded", "lines": [{"amount": "1.10"}, {"amount": "2"}]},
                           {"state": "returned", "lines": []}, {"state": "x", "lines": [{"amount": "0.01"}]}]}]
    result = parse_bytes(json.dumps({"orders": orders}).encode(), mapping, source="s", source_file="o.json",
                         business_date=DAY)
    assert result.rows_ok == 1, result.quarantine
    assert result.frame.select("status", "order_refund_amount").row(0) == ("refunded", Decimal("3.11"))


@pytest.mark.parametrize(("rule", "message"), [
    ('sum_of = "refunds[0].amount"', "needs '[*]'"),
    ('sum_of = "refunds[*]"', "not a list path"),
    ('sum_of = "refunds.amount"', "must index its list"),
    ('from = "refunds[*].amount"', "reads every item"),
])
def test_list_path_mistakes_are_mapping_errors(rule: str, message: str) -> None:
    with pytest.raises(MappingError, match=message.replace("[", r"\[").replace("*", r"\*")):
        loads_mapping(LIST_LAYOUT + rule + "\n", name="bad")


def test_sum_of_is_for_numbers_only() -> None:
    text = LIST_LAYOUT.replace('[columns.status]\nfrom = "refunds[0].state"',
                               '[columns.status]\nsum_of = "refunds[*].state"')
    with pytest.raises(MappingError, match="numeric columns only"):
        loads_mapping(text + 'from = "x"\n', name="bad")


def test_shopify_lists_render_as_compact_json_text_in_both_paths() -> None:
    """The raw list text is what a quarantined row shows and what list paths decode: both readers agree."""
    from ingestion.readers.jsonfile import read_json

    doc = {"orders": [{"name": "#1", "refunds": [{"id": 5, "note": "café \"x\"", "ok": True}], "tags": []}]}
    fast = read_json(json.dumps(doc).encode(), records="orders")
    slow = read_json(json.dumps({**doc, "w": 1.5}).encode(), records="orders")  # the float forces the row path
    expected = '[{"id":"5","note":"café \\"x\\"","ok":true}]'
    assert fast.frame["refunds"].to_list() == slow.frame["refunds"].to_list() == [expected]
    assert fast.frame["tags"].to_list() == ["[]"]
    assert pl.Series([expected]).str.json_decode().to_list()[0][0]["note"] == 'café "x"'

"""The columnar fast paths (CSV, JSON, EDI 210) give exactly what the row paths give, or decline.

Each case is read twice, once as shipped and once with the fast path switched off, and the two
RawTables must be equal: same cells, same row numbers, same broken rows with the same field and
reason. The inputs are the shapes where a columnar reader and a row reader could disagree.
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

import ingestion.readers.delimited as delimited
import ingestion.readers.fast_json as fast_json
from ingestion.contracts.model import Contract
from ingestion.contracts.tables import ORDER_LINES
from ingestion.edi210 import read_edi210
from ingestion.edi210_fast import _column_table
from ingestion.load.schema import add_missing_columns, table_ddl
from ingestion.readers.delimited import read_delimited
from ingestion.readers.jsonfile import read_json

HEADERS = ["id", "name", "amount", "note"]


def both_csv(monkeypatch: pytest.MonkeyPatch, text: str, **kwargs):
    data = text.encode(kwargs.pop("encoding_out", "utf-8"))
    fast = read_delimited(data, expected_headers=HEADERS, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(delimited, "fast_grid_table", lambda *a, **k: None)
        rows = read_delimited(data, expected_headers=HEADERS, **kwargs)
    return fast, rows


def assert_same(fast, rows) -> None:
    assert fast.frame.equals(rows.frame), (fast.frame, rows.frame)
    assert fast.broken == rows.broken
    assert fast.encoding == rows.encoding


def used_fast(table) -> bool:
    return any(n.startswith("columnar split") for n in table.notes)


def test_csv_quotes_blanks_and_misaligned_rows_match_the_row_path(monkeypatch):
    text = (
        "Bill 2026-10 (title line)\n"
        "id,name,amount,note\n"
        '1,"Smith, J",1.50,plain\n'
        '2,"say ""hi""",  "1,234.50" ,\n'          # quoted field next to spaces: not whole-field quoting
        "3,short\n"                                   # cut short: broken at 'amount'
        "4,a,b,c,d,e\n"                               # too many fields: broken
        "5,trailing,3,x,,\n"                          # extra empty fields are trailing delimiters: fine
        "\n"                                          # blank line: numbered, skipped
        ",,,\n"                                       # a row of empty cells: numbered, skipped
        '6,"",7,""\n'
        "Total,,99,\n"                                # summary row: not numbered
        '7,x"y"z,8,z\n'                               # quotes inside a field, not around it
    )
    import re

    fast, rows = both_csv(monkeypatch, text, skip_rows=re.compile(r"^Total"))
    assert used_fast(fast)
    assert_same(fast, rows)
    assert [b.row_number for b in fast.broken] == [3, 4]
    assert fast.broken[0].field == "amount"
    assert fast.frame["__row__"].to_list() == [1, 2, 5, 8, 9]
    assert fast.frame["name"].to_list() == ["Smith, J", 'say "hi"', "trailing", "", 'x"y"z']


def test_csv_gbk_crlf_and_tab_files_match_the_row_path(monkeypatch):
    text = "id\tname\tamount\tnote\r\n1\t北京\t¥12.00\t备注\r\n2\t上海\t3\t\r\n"
    fast, rows = both_csv(monkeypatch, text, encoding_out="gb18030", delimiter="\t")
    assert used_fast(fast) and fast.encoding == "gb18030"
    assert_same(fast, rows)
    assert fast.frame["name"].to_list() == ["北京", "上海"]


@pytest.mark.parametrize("text", [
    'id,name,amount,note\n1,"open quote,2,3\n',      # the file ends inside a quoted field
    'id,name,amount,note\n1,"two\nlines",2,3\n',     # a quoted newline
    "id,name,amount,note\r1,a,2,3\r",                 # old Mac line ends
    'id,name,amount,note\n1,x"y,2,3\n',               # one stray quote
])
def test_csv_shapes_a_line_split_cannot_read_go_to_the_row_path(monkeypatch, text):
    fast, rows = both_csv(monkeypatch, text)
    assert not used_fast(fast)
    assert_same(fast, rows)


def both_json(monkeypatch: pytest.MonkeyPatch, doc: object, **kwargs):
    data = json.dumps(doc, ensure_ascii=False).encode()
    fast = read_json(data, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(fast_json, "fast_json_table", lambda *a, **k: None)
        rows = read_json(data, **kwargs)
    return data, fast, rows


def test_json_nested_orders_match_the_row_path(monkeypatch):
    doc = {"page": {"no": 3}, "orders": [
        {"id": 5500000000097, "name": "#1", "paid": True, "customer": {"first": "Li", "tags": ["a", "b"]},
         "line_items": [{"sku": "S1", "quantity": 2, "extra": "x"}, {"sku": "S2", "quantity": 1, "extra": None}],
         "fulfillments": [{"id": 7, "tracking": "1Z"}],
         "refunds": [{"id": 9, "transactions": [{"amount": "4.00"}]}]},
        {"id": 5500000000194, "name": "#2", "paid": False, "customer": {"first": "Wang", "tags": []},
         "line_items": [], "fulfillments": [{"id": n, "tracking": None} for n in range(6)], "refunds": []},
    ]}
    data, fast, rows = both_json(monkeypatch, doc, records="orders", explode="line_items")
    assert fast_json.fast_json_table(data, records="orders", explode="line_items", encoding="utf-8") is not None
    assert_same(fast, rows)
    # an object lacking a key its siblings have: polars would fill it with null, so the row path reads it
    del doc["orders"][1]["fulfillments"][0]["tracking"]
    data, lacking, lacking_rows = both_json(monkeypatch, doc, records="orders", explode="line_items")
    assert fast_json.fast_json_table(data, records="orders", explode="line_items", encoding="utf-8") is None
    assert_same(lacking, lacking_rows)
    assert fast.frame.columns == rows.frame.columns
    assert fast.frame.height == 3  # two items of #1, and #2 without items still read
    assert fast.frame["refunds[0].transactions[0].amount"].to_list() == ["4.00", "4.00", None]
    assert fast.frame["fulfillments[0].id"].to_list() == ["7", "7", None]  # 6 fulfilments: not indexed


def test_json_floats_keep_their_literal_text_through_the_row_path(monkeypatch):
    doc = {"orders": [{"name": "#1", "line_items": [{"sku": "S1", "price": 5.10}]}]}
    data = b'{"orders": [{"name": "#1", "line_items": [{"sku": "S1", "price": 5.10}]}]}'
    assert fast_json.fast_json_table(data, records="orders", explode="line_items", encoding="utf-8") is None
    table = read_json(data, records="orders", explode="line_items")
    assert table.frame["line_items.price"].to_list() == ["5.10"]
    _, fast, rows = both_json(monkeypatch, doc, records="orders", explode="line_items")
    assert_same(fast, rows)


def test_edi210_columns_match_the_segment_walk(real_edi_210):
    data = real_edi_210.read_bytes()
    for cut in (len(data), len(data) * 2 // 3):  # whole, and cut mid-invoice (broken rows)
        fast, rows = _column_table(data[:cut]), read_edi210(data[:cut]).table
        assert fast is not None
        assert_same(fast, rows)
        assert fast.notes == rows.notes
    assert _column_table(data).frame.height == 211


def test_edi210_charge_outside_a_loop_declines_to_the_segment_walk(real_edi_210):
    text = real_edi_210.read_text()
    sep = text[105]
    orphan = text.replace("\nSE*", f"\nL1*9***100****ZZZ{sep}\nSE*", 1)  # after the first invoice's L3
    assert _column_table(orphan.encode()) is None
    assert read_edi210(orphan.encode()).table.frame.height == 212


def test_a_raw_table_from_before_a_contract_grew_gets_the_new_columns(ch_client):
    """An order_lines table created without the refund columns is altered in place, in contract order,
    so a staging table of the current shape can replace its partitions (what every load does)."""
    database = "evolve_test"
    ch_client.command(f"DROP DATABASE IF EXISTS {database}")
    ch_client.command(f"CREATE DATABASE {database}")
    old = Contract("order_lines", tuple(c for c in ORDER_LINES.columns if "refund" not in c.name),
                   order_by=ORDER_LINES.order_by, doc=ORDER_LINES.doc)
    ch_client.command(table_ddl(old, database=database))
    ch_client.command(table_ddl(ORDER_LINES, database=database, table="staging"))
    ch_client.command(
        f"INSERT INTO {database}.staging (channel, order_no, sku, qty, unit_price, currency, order_ts, order_date, "
        "status, refund_amount, source, source_file, file_sha256, row_number, business_date, load_batch_id, "
        "loaded_at) VALUES ('tmall', '1', 'S', 1, 10, 'CNY', now(), today(), 'refunded', 4.5, 'orders_tmall', "
        "'f', 'h', 1, '2026-10-07', 'b', now())")

    assert add_missing_columns(ch_client, ORDER_LINES, database=database) == ["refund_amount", "order_refund_amount"]
    assert add_missing_columns(ch_client, ORDER_LINES, database=database) == []  # idempotent
    columns = [r[0] for r in ch_client.query(
        "SELECT name FROM system.columns WHERE database = {db:String} AND table = 'order_lines' ORDER BY position",
        parameters={"db": database}).result_rows]
    assert columns == [c.name for c in ORDER_LINES.all_columns]
    ch_client.command(f"ALTER TABLE {database}.order_lines REPLACE PARTITION ('2026-10-07', 'orders_tmall') "
                      f"FROM {database}.staging")
    rows = ch_client.query(f"SELECT toFloat64(refund_amount) FROM {database}.order_lines").result_rows
    assert rows == [(4.5,)]
    ch_client.command(f"DROP DATABASE {database}")


def test_refund_amounts_reach_raw_order_lines_from_every_channel_that_exports_them():
    """Tmall/JD/Douyin per line, Shopify per order; Amazon's order report has none."""
    from ingestion.mapping import shipped_mapping
    from ingestion.parser import parse_bytes

    tmall = ("订单编号,下单时间,商品编码,数量,单价,优惠金额,实付金额,订单状态,退款金额,店铺名称\n"
             "1,2026-10-01 10:00:00,S1,2,10.00,0.00,20.00,交易成功（部分退款）,7.50,店\n").encode("gb18030")
    result = parse_bytes(tmall, shipped_mapping("orders_tmall"), source="orders_tmall",
                         source_file="tmall_orders_20261001.csv", business_date=date(2026, 10, 1))
    assert result.frame["refund_amount"].cast(pl.Float64).to_list() == [7.5]
    assert result.frame["order_refund_amount"].to_list() == [None]
    shopify = json.dumps({"orders": [{
        "name": "#1", "created_at": "2026-10-01T10:00:00+02:00", "currency": "EUR", "financial_status": "refunded",
        "source_name": "web", "fulfillments": [{"shipment_status": "delivered"}],
        "refunds": [{"restock": False, "transactions": [{"amount": "12.30"}]}],
        "line_items": [{"sku": "S1", "quantity": 1, "price": "10.00", "total_discount": "0.00"},
                       {"sku": "S2", "quantity": 1, "price": "2.30", "total_discount": "0.00"}]}]}).encode()
    result = parse_bytes(shopify, shipped_mapping("orders_shopify"), source="orders_shopify",
                         source_file="shopify_orders_20261001.json", business_date=date(2026, 10, 1))
    assert result.rows_ok == 2, result.quarantine
    assert result.frame["order_refund_amount"].cast(pl.Float64).to_list() == [12.3, 12.3]
    assert result.frame["refund_amount"].to_list() == [None, None]

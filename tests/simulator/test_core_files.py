"""Every file the business core writes opens with the standard reader for its format and has the
documented columns, encodings, time formats and number formats."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

AMAZON = ["amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
          "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level", "product-name", "sku",
          "asin", "item-status", "quantity", "currency", "item-price", "item-tax", "shipping-price",
          "shipping-tax", "gift-wrap-price", "gift-wrap-tax", "item-promotion-discount",
          "ship-promotion-discount", "ship-city", "ship-state", "ship-postal-code", "ship-country",
          "promotion-ids", "is-business-order", "purchase-order-number", "price-designation"]
TMALL = ["订单编号", "买家会员名", "下单时间", "付款时间", "商品编码", "商品标题", "数量", "单价", "优惠金额", "实付金额",
         "订单状态", "收货省份", "收货城市", "物流公司", "物流单号", "发货时间", "退款金额", "店铺名称"]
JD = ["订单编号", "下单时间", "商品编码", "商品名称", "数量", "单价", "优惠金额", "实付金额", "订单状态", "省份", "城市",
      "快递公司", "运单号", "出库时间", "完成时间", "退款金额", "店铺名称"]
DOUYIN = ["主订单编号", "子订单编号", "下单时间", "商品编码", "商品名称", "数量", "单价", "商家优惠", "实付金额",
          "订单状态", "售后状态", "省", "市", "快递公司", "快递单号", "发货时间", "退款金额", "店铺名称"]
POS = ["store_id", "receipt_no", "business_date", "txn_time", "txn_type", "line_no", "sku", "description", "qty",
       "unit_price", "discount", "amount", "currency", "payment_method", "cashier"]
# source -> (encoding python reads it with, delimiter, header, BOM expected)
ORDER_SOURCES = {
    "orders_amazon": ("utf-8", "\t", AMAZON, False),
    "orders_tmall": ("gbk", ",", TMALL, False),
    "orders_jd": ("utf-8-sig", ",", JD, True),
    "orders_douyin": ("utf-8", ",", DOUYIN, False),
    "orders_pos": ("utf-8", ",", POS, False),
}
OTHER_CSV = {
    "purchase_receipts": ["receipt_no", "receipt_date", "received_date", "doc_type", "supplier", "warehouse_id",
                          "sku", "lot_id", "qty", "unit_cost", "currency", "inbound_freight", "duty"],
    "inventory_movements": ["doc_no", "doc_type", "doc_date", "warehouse_id", "sku", "lot_id", "qty", "ref_no"],
    "wms_snapshot": ["snapshot_date", "warehouse_id", "location", "sku", "lot_id", "on_hand", "available",
                     "reserved", "damaged"],
    "erp_snapshot": ["snapshot_date", "warehouse_id", "sku", "lot_id", "book_qty", "landed_unit_cost_cny",
                     "book_value_cny"],
    "shipments": ["event", "waybill_no", "order_no", "channel", "warehouse_id", "carrier", "service", "ship_ts",
                  "ship_date", "delivered_ts", "actual_weight_kg", "length_cm", "width_cm", "height_cm",
                  "dest_country", "dest_region", "zone"],
    "fx_rates": ["rate_date", "base_currency", "quote_currency", "rate"],
    "sku_master": ["sku", "name", "name_zh", "category", "weight_kg", "length_cm", "width_cm", "height_cm",
                   "abc_class", "base_cost_cny", "price_cny", "price_usd", "price_eur", "price_gbp"],
}
TIME_FORMATS = {"orders_amazon": ("purchase-date", "%Y-%m-%dT%H:%M:%S%z"),
                "orders_tmall": ("下单时间", "%Y-%m-%d %H:%M:%S"),
                "orders_jd": ("下单时间", "%Y/%m/%d %H:%M:%S"),
                "orders_douyin": ("下单时间", "%Y-%m-%d %H:%M:%S"),
                "orders_pos": ("business_date", "%Y-%m-%d")}
QTY_FIELD = {"orders_amazon": "quantity", "orders_tmall": "数量", "orders_jd": "数量", "orders_douyin": "数量",
             "orders_pos": "qty"}


def _faulty(out: Path) -> set[tuple[str, int]]:
    m = pl.read_parquet(out / "_manifest" / "anomalies.parquet")
    return {(f, r) for f, r in m.filter(pl.col("domain") == "data").select("file", "row").iter_rows()}


def _truncated(out: Path) -> set[str]:
    m = pl.read_parquet(out / "_manifest" / "anomalies.parquet")
    return set(m.filter(pl.col("type") == "truncated_file")["file"].to_list())


@pytest.mark.parametrize("source", sorted(ORDER_SOURCES))
def test_order_exports_open_with_csv_reader(sim_run, source: str) -> None:
    out, _ = sim_run
    encoding, delimiter, header, bom = ORDER_SOURCES[source]
    faulty, truncated = _faulty(out), _truncated(out)
    files = sorted((out / source).glob("*/*"))
    assert len(files) == 15
    column, fmt = TIME_FORMATS[source]
    rows_seen = 0
    for path in files:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == bom
        rel = str(path.relative_to(out))
        rows = list(csv.DictReader(io.StringIO(raw.decode(encoding)), delimiter=delimiter))
        assert list(rows[0].keys()) == header
        for number, row in enumerate(rows, start=1):
            if (rel, number) in faulty or (rel in truncated and number == len(rows)):
                continue
            datetime.strptime(row[column], fmt)
            assert int(row[QTY_FIELD[source]]) >= (1 if source != "orders_pos" else -3)
            rows_seen += 1
    assert rows_seen > 100


def test_tmall_is_gbk_not_utf8(sim_run) -> None:
    out, _ = sim_run
    raw = next((out / "orders_tmall").glob("*/*")).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "订单编号" in raw.decode("gbk")


def test_number_formats(sim_run) -> None:
    out, _ = sim_run
    douyin = "".join(p.read_text("utf-8") for p in (out / "orders_douyin").glob("*/*"))
    assert re.search(r'"¥\d{1,3},\d{3}\.\d{2}"', douyin), "douyin prints thousands separators"
    first_amazon = next((out / "orders_amazon").glob("*/*"))
    assert '""' not in first_amazon.read_text("utf-8"), "empty cells are empty, not quoted"
    amazon = pl.read_csv(first_amazon, separator="\t", infer_schema=False)
    assert amazon["item-price"].str.contains(r"^\d+\.\d{2}$").all()
    assert set(amazon["ship-country"]) == {"US"} and set(amazon["currency"]) == {"USD"}


def test_vocabularies_need_no_json_escaping() -> None:
    """The Shopify writer builds JSON as text: it relies on names holding no quote or backslash."""
    from simulator import geography, orders, skus

    words = [w for pair in skus.ADJECTIVES for w in pair] + [w for v in skus.NOUNS.values() for p in v for w in p]
    words += list(orders.FIRST_NAMES) + list(orders.LAST_NAMES)
    words += [x for rows in geography.REGIONS.values() for r in rows for x in (r[0], r[2], r[3])]
    assert not [w for w in words if '"' in w or "\\" in w or any(ord(c) < 32 for c in w)]


def test_shopify_is_admin_api_json(sim_run) -> None:
    out, _ = sim_run
    files = sorted((out / "orders_shopify").glob("*/*.json"))
    assert len(files) == 15
    orders = [o for p in files for o in json.loads(p.read_text("utf-8"))["orders"]]
    assert len(orders) > 100
    for o in orders:
        assert re.fullmatch(r"#\d+", o["name"]) and isinstance(o["id"], int)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", o["created_at"])
        assert o["currency"] in {"EUR", "GBP"}
        assert o["financial_status"] in {"paid", "voided", "refunded", "partially_refunded"}
        assert o["shipping_address"]["country_code"] in {"DE", "FR", "NL", "GB"}
        items = o["line_items"]
        assert [i["id"] % 10 for i in items] == list(range(1, len(items) + 1))
        assert len({i["fulfillment_status"] for i in items}) == 1
        total = sum(float(i["price"]) * i["quantity"] - float(i["total_discount"]) for i in items)
        assert abs(total - float(o["total_price"])) < 0.011
        if o["financial_status"] == "voided":
            assert o["cancelled_at"] and o["fulfillments"] == []
        if o["financial_status"] in {"refunded", "partially_refunded"}:
            refunded = sum(float(t["amount"]) for r in o["refunds"] for t in r["transactions"])
            assert 0 < refunded <= float(o["total_price"]) + 0.005
    # an id is one order: re-deliveries keep its creation time
    created: dict[str, set[str]] = {}
    for o in orders:
        created.setdefault(o["name"], set()).add(o["created_at"])
    assert all(len(v) == 1 for v in created.values())
    # an order is re-delivered when its status changes
    by_name: dict[str, set[str]] = {}
    for o in orders:
        by_name.setdefault(o["name"], set()).add(o["financial_status"] + str(o["fulfillment_status"]))
    assert any(len(v) > 1 for v in by_name.values())


@pytest.mark.parametrize("source", sorted(OTHER_CSV))
def test_other_csvs_have_documented_columns(sim_run, source: str) -> None:
    out, _ = sim_run
    files = sorted((out / source).glob("*/*.csv"))
    assert files
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        assert header == OTHER_CSV[source], path


def test_status_changes_are_redelivered_in_later_files(sim_run) -> None:
    out, _ = sim_run
    frames = [pl.read_csv(p, encoding="utf8-lossy", infer_schema=False).with_columns(pl.lit(p.parent.name).alias("f"))
              for p in sorted((out / "orders_jd").glob("*/*.csv"))]
    jd = pl.concat(frames)
    per_order = jd.group_by("订单编号").agg(pl.col("f").n_unique().alias("files"),
                                          pl.col("订单状态").unique().alias("states"))
    assert per_order["files"].max() >= 3
    changed = per_order.filter(pl.col("states").list.len() > 1)
    assert changed.height > per_order.height * 0.3
    words = set(jd["订单状态"].to_list())
    assert {"等待出库", "等待确认收货", "完成", "已取消"} <= words


def test_shipments_have_catalog_zones(sim_run) -> None:
    from simulator.catalog import zone_for

    out, _ = sim_run
    ships = pl.concat([pl.read_csv(p, infer_schema=False) for p in sorted((out / "shipments").glob("*/*.csv"))])
    assert set(ships["event"]) == {"shipped", "delivered"}
    for carrier, country, region, zone in ships.select("carrier", "dest_country", "dest_region", "zone").unique().iter_rows():
        assert zone == zone_for(carrier, country, region)
    assert {"SF", "ZTO", "YTO", "CAINIAO", "4PX", "UPS", "FEDEX", "USPS", "DHL", "ROYALMAIL"} <= set(ships["carrier"])
    shipped = ships.filter(pl.col("event") == "shipped")
    assert shipped["waybill_no"].is_unique().all()
    assert (shipped["actual_weight_kg"].cast(pl.Float64) > 0).all()


def test_fast_eu_local_time_matches_the_zone_database() -> None:
    from datetime import datetime, timedelta

    from simulator.order_files import local_time

    base = datetime(2026, 3, 28, 22, 0)
    instants = [base + timedelta(minutes=17 * i) for i in range(400)]  # across the March change
    instants += [datetime(2026, 10, 24, 22, 0) + timedelta(minutes=17 * i) for i in range(400)]  # October
    instants += [datetime(2027, 1, 1) + timedelta(hours=37 * i) for i in range(300)]
    frame = pl.DataFrame({"t": instants}).with_columns(pl.col("t").dt.replace_time_zone("UTC"))
    for tz, fmt in (("Europe/Berlin", "%Y-%m-%dT%H:%M:%S%:z"), ("Europe/London", "%Y-%m-%dT%H:%M:%S%:z"),
                    ("Asia/Shanghai", "%Y-%m-%d %H:%M:%S"), ("UTC", "%Y-%m-%dT%H:%M:%S+00:00")):
        fast = frame.select(local_time("t", tz, fmt))["t"].to_list()
        slow = frame.select(pl.col("t").dt.convert_time_zone(tz).dt.strftime(fmt))["t"].to_list()
        assert fast == slow, tz

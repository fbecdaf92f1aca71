"""Channel order exports in each platform's own shape, re-delivered whenever an order's status changes.

A channel's file for day d holds every order placed on d plus every older order whose status changed
on d, showing the status as of d (cancelled, shipped, delivered, refunded, returned). Ingestion must
therefore deduplicate by order id and keep the latest state, exactly as with the real exports.
Column names, time formats, number formats, encodings and status words are the platforms' own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import polars as pl

from simulator import geography
from simulator.landing import all_strings

EVENTS = ("order_date", "cancel_date", "ship_date", "delivered_date", "refund_date", "return_date")

# Our canonical status -> the words each channel uses.
STATUS_WORDS: dict[str, dict[str, str]] = {
    "amazon": {"placed": "Pending", "shipped": "Shipped", "delivered": "Shipped", "cancelled": "Cancelled",
               "refunded": "Shipped", "returned": "Shipped"},
    "amazon_item": {"placed": "Unshipped", "shipped": "Shipped", "delivered": "Shipped - Delivered to Buyer",
                    "cancelled": "Cancelled", "refunded": "Refunded", "returned": "Returned"},
    "tmall": {"placed": "买家已付款，等待卖家发货", "shipped": "卖家已发货，等待买家确认", "delivered": "交易成功",
              "cancelled": "交易关闭", "refunded": "交易成功（部分退款）", "returned": "交易关闭（退款成功）"},
    "jd": {"placed": "等待出库", "shipped": "等待确认收货", "delivered": "完成", "cancelled": "已取消",
           "refunded": "完成（已退款）", "returned": "退货完成"},
    "douyin": {"placed": "待发货", "shipped": "已发货", "delivered": "已完成", "cancelled": "已关闭",
               "refunded": "已完成", "returned": "已关闭"},
    "douyin_aftersale": {"placed": "", "shipped": "", "delivered": "", "cancelled": "",
                         "refunded": "退款成功", "returned": "退货退款成功"},
    "pos": {"delivered": "SALE", "refunded": "REFUND", "returned": "RETURN"},
}


def appearances_on(lines: pl.DataFrame, day: date) -> pl.DataFrame:
    """Lines of the orders a channel lists in its file for `day` (placed or changed that day), with
    the status as of `day`, sorted the way the files list them."""
    on_day = pl.any_horizontal([pl.col(e) == day for e in EVENTS])

    def by(col: str) -> pl.Expr:
        return pl.col(col).is_not_null() & (pl.col(col) <= day)

    return (
        lines.filter(on_day)
        .with_columns(
            pl.lit(day).alias("file_date"),
            pl.when(by("return_date")).then(pl.lit("returned"))
            .when(by("refund_date")).then(pl.lit("refunded"))
            .when(by("delivered_date")).then(pl.lit("delivered"))
            .when(by("ship_date")).then(pl.lit("shipped"))
            .when(by("cancel_date")).then(pl.lit("cancelled"))
            .otherwise(pl.lit("placed")).alias("status"),
        )
        .with_columns(
            # When the status last changed, for "last updated" columns.
            pl.when(pl.col("status") == "delivered").then(pl.col("delivered_ts"))
            .when(pl.col("status") == "shipped").then(pl.col("ship_ts"))
            .when(pl.col("status") == "placed").then(pl.col("order_ts"))
            .otherwise(pl.lit(day).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
                       + pl.duration(hours=10) + pl.duration(seconds=pl.col("order_seq") % 3600))
            .alias("updated_ts"),
        )
        .sort("channel", "order_ts", "order_no", "line_no", maintain_order=True)
    )


def local_time(col: str, tz: str, fmt: str) -> pl.Expr:
    """Format a UTC instant as local wall time. Zones without DST are a fixed shift and the EU zones
    follow one rule, both far cheaper than a per-value zone database lookup at millions of rows
    (tests compare this with `convert_time_zone` across DST changes)."""
    fixed = {"UTC": 0, "Asia/Shanghai": 8}
    if tz in fixed:
        return (pl.col(col).dt.replace_time_zone(None) + pl.duration(hours=fixed[tz])).dt.strftime(fmt)
    if tz in EU_STANDARD_HOURS and fmt.endswith("%:z"):
        hours = eu_offset_hours(pl.col(col), EU_STANDARD_HOURS[tz])
        wall = (pl.col(col).dt.replace_time_zone(None) + pl.duration(hours=hours)).dt.strftime(fmt[:-3])
        return pl.concat_str(wall, pl.lit("+0"), hours.cast(pl.Utf8), pl.lit(":00"))
    return pl.col(col).dt.convert_time_zone(tz).dt.strftime(fmt)


EU_STANDARD_HOURS = {"Europe/Berlin": 1, "Europe/Paris": 1, "Europe/London": 0}


def _last_sunday_0100_utc(year: int, month: int) -> datetime:
    last = datetime(year, month, 31 if month in (3, 10) else 30, 1, 0)
    return last - timedelta(days=(last.weekday() + 1) % 7)


_EU_SUMMER = {y: (_last_sunday_0100_utc(y, 3), _last_sunday_0100_utc(y, 10)) for y in range(1996, 2101)}


def eu_offset_hours(ts: pl.Expr, standard: int) -> pl.Expr:
    """UTC offset in hours under the EU rule: summer time from the last Sunday of March 01:00 UTC to
    the last Sunday of October 01:00 UTC (in force since 1996)."""
    naive = ts.dt.replace_time_zone(None)
    year = naive.dt.year()
    start = year.replace_strict({y: s for y, (s, _) in _EU_SUMMER.items()}, return_dtype=pl.Datetime("us"))
    end = year.replace_strict({y: e for y, (_, e) in _EU_SUMMER.items()}, return_dtype=pl.Datetime("us"))
    return pl.when((naive >= start) & (naive < end)).then(standard + 1).otherwise(standard)


def fixed2(expr: pl.Expr) -> pl.Expr:
    """Exactly two decimals as text, e.g. 12.5 -> "12.50" (what every export prints)."""
    cents = (expr * 100).round(0).cast(pl.Int64)
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    a = cents.abs()
    return pl.concat_str(sign, (a // 100).cast(pl.Utf8), pl.lit("."), (a % 100).cast(pl.Utf8).str.zfill(2))


def thousands(expr: pl.Expr) -> pl.Expr:
    """Two decimals with thousands separators, e.g. 1234.5 -> "1,234.50"."""
    cents = (expr * 100).round(0).cast(pl.Int64)
    a = cents.abs()
    units = a // 100
    grouped = pl.when(units >= 1_000_000).then(pl.concat_str(
        (units // 1_000_000).cast(pl.Utf8), pl.lit(","), ((units // 1000) % 1000).cast(pl.Utf8).str.zfill(3),
        pl.lit(","), (units % 1000).cast(pl.Utf8).str.zfill(3)))
    grouped = grouped.when(units >= 1000).then(pl.concat_str(
        (units // 1000).cast(pl.Utf8), pl.lit(","), (units % 1000).cast(pl.Utf8).str.zfill(3)))
    grouped = grouped.otherwise(units.cast(pl.Utf8))
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(sign, grouped, pl.lit("."), (a % 100).cast(pl.Utf8).str.zfill(2))


def net_amount() -> pl.Expr:
    return pl.col("unit_price") * pl.col("qty") - pl.col("discount")


def _status(channel: str) -> pl.Expr:
    return pl.col("status").replace_strict(STATUS_WORDS[channel], default="", return_dtype=pl.Utf8)


def _refund_so_far() -> pl.Expr:
    return pl.when(pl.col("status").is_in(["refunded", "returned"])).then(pl.col("refund_amount")).otherwise(0.0)


def amazon(rows: pl.DataFrame, skus: pl.DataFrame) -> pl.DataFrame:
    """Amazon "All Orders" flat file (tab separated, UTC ISO timestamps, one row per order item)."""
    iso = "%Y-%m-%dT%H:%M:%S+00:00"
    tax = pl.col("dest_region").replace_strict(geography.US_SALES_TAX, default=0.0, return_dtype=pl.Float64)
    frame = rows.join(skus.select("sku", "name", "asin"), on="sku", how="left", maintain_order="left")
    return frame.select(
        pl.col("order_no").alias("amazon-order-id"),
        pl.concat_str(pl.lit("TH-"), pl.col("order_date").dt.strftime("%Y%m%d"), pl.lit("-"),
                      pl.col("order_seq").cast(pl.Utf8).str.zfill(6)).alias("merchant-order-id"),
        local_time("order_ts", "UTC", iso).alias("purchase-date"),
        local_time("updated_ts", "UTC", iso).alias("last-updated-date"),
        _status("amazon").alias("order-status"),
        pl.lit("Merchant").alias("fulfillment-channel"),
        pl.lit("Amazon.com").alias("sales-channel"),
        pl.lit("").alias("order-channel"),
        pl.when(pl.col("service") == "2day").then(pl.lit("SecondDay")).otherwise(pl.lit("Standard"))
        .alias("ship-service-level"),
        pl.col("name").alias("product-name"),
        "sku", "asin",
        _status("amazon_item").alias("item-status"),
        pl.col("qty").cast(pl.Utf8).alias("quantity"),
        "currency",
        fixed2(pl.col("unit_price") * pl.col("qty")).alias("item-price"),
        fixed2(net_amount() * tax).alias("item-tax"),
        pl.lit("0.00").alias("shipping-price"),
        pl.lit("0.00").alias("shipping-tax"),
        pl.lit("").alias("gift-wrap-price"),
        pl.lit("").alias("gift-wrap-tax"),
        fixed2(-pl.col("discount")).alias("item-promotion-discount"),
        pl.lit("0.00").alias("ship-promotion-discount"),
        pl.col("dest_city").str.to_uppercase().alias("ship-city"),
        pl.col("dest_region").alias("ship-state"),
        pl.col("postal_code").str.slice(0, 5).alias("ship-postal-code"),
        pl.col("dest_country").alias("ship-country"),
        pl.when(pl.col("discount") > 0).then(pl.lit("Core Free Shipping Promotion")).otherwise(pl.lit(""))
        .alias("promotion-ids"),
        pl.lit("false").alias("is-business-order"),
        pl.lit("").alias("purchase-order-number"),
        pl.lit("").alias("price-designation"),
    )


def tmall(rows: pl.DataFrame, skus: pl.DataFrame) -> pl.DataFrame:
    """Tmall seller-center order export (GBK CSV, local Beijing time)."""
    t = "%Y-%m-%d %H:%M:%S"
    frame = rows.join(skus.select("sku", "name_zh"), on="sku", how="left", maintain_order="left")
    return frame.select(
        pl.col("order_no").alias("订单编号"),
        pl.concat_str(pl.lit("tb"), (pl.col("order_seq") * 7919 % 100000).cast(pl.Utf8).str.zfill(5),
                      pl.lit("***")).alias("买家会员名"),
        local_time("order_ts", "Asia/Shanghai", t).alias("下单时间"),
        local_time("order_ts", "Asia/Shanghai", t).alias("付款时间"),
        pl.col("sku").alias("商品编码"),
        pl.col("name_zh").alias("商品标题"),
        pl.col("qty").cast(pl.Utf8).alias("数量"),
        fixed2(pl.col("unit_price")).alias("单价"),
        fixed2(pl.col("discount")).alias("优惠金额"),
        fixed2(net_amount()).alias("实付金额"),
        _status("tmall").alias("订单状态"),
        pl.col("dest_region").replace_strict(geography.PROVINCE_ZH, default="").alias("收货省份"),
        pl.col("dest_city").alias("收货城市"),
        pl.col("carrier").replace_strict(geography.CARRIER_ZH, default="").alias("物流公司"),
        pl.when(pl.col("status") != "placed").then(pl.col("waybill_no")).alias("物流单号"),
        pl.when(pl.col("ship_date") <= pl.col("file_date")).then(local_time("ship_ts", "Asia/Shanghai", t))
        .alias("发货时间"),
        fixed2(_refund_so_far()).alias("退款金额"),
        pl.col("store").alias("店铺名称"),
    )


def jd(rows: pl.DataFrame, skus: pl.DataFrame) -> pl.DataFrame:
    """JD merchant order export (UTF-8 with BOM, slashed local dates)."""
    t = "%Y/%m/%d %H:%M:%S"
    frame = rows.join(skus.select("sku", "name_zh"), on="sku", how="left", maintain_order="left")
    return frame.select(
        pl.col("order_no").alias("订单编号"),
        local_time("order_ts", "Asia/Shanghai", t).alias("下单时间"),
        pl.col("sku").alias("商品编码"),
        pl.col("name_zh").alias("商品名称"),
        pl.col("qty").cast(pl.Utf8).alias("数量"),
        fixed2(pl.col("unit_price")).alias("单价"),
        fixed2(pl.col("discount")).alias("优惠金额"),
        fixed2(net_amount()).alias("实付金额"),
        _status("jd").alias("订单状态"),
        pl.col("dest_region").replace_strict(geography.PROVINCE_ZH, default="").alias("省份"),
        pl.col("dest_city").alias("城市"),
        pl.col("carrier").replace_strict(geography.CARRIER_ZH, default="").alias("快递公司"),
        pl.when(pl.col("status") != "placed").then(pl.col("waybill_no")).alias("运单号"),
        pl.when(pl.col("ship_date") <= pl.col("file_date")).then(local_time("ship_ts", "Asia/Shanghai", t))
        .alias("出库时间"),
        pl.when(pl.col("delivered_date") <= pl.col("file_date"))
        .then(local_time("delivered_ts", "Asia/Shanghai", t)).alias("完成时间"),
        fixed2(_refund_so_far()).alias("退款金额"),
        pl.col("store").alias("店铺名称"),
    )


def douyin(rows: pl.DataFrame, skus: pl.DataFrame) -> pl.DataFrame:
    """Douyin shop order export (UTF-8, amounts like "¥1,234.50", one row per sub-order)."""
    t = "%Y-%m-%d %H:%M:%S"
    frame = rows.join(skus.select("sku", "name_zh"), on="sku", how="left", maintain_order="left")
    yuan = pl.lit("¥")
    return frame.select(
        pl.col("order_no").alias("主订单编号"),
        pl.concat_str(pl.col("order_no"), pl.col("line_no").cast(pl.Utf8).str.zfill(2)).alias("子订单编号"),
        local_time("order_ts", "Asia/Shanghai", t).alias("下单时间"),
        pl.col("sku").alias("商品编码"),
        pl.col("name_zh").alias("商品名称"),
        pl.col("qty").cast(pl.Utf8).alias("数量"),
        pl.concat_str(yuan, thousands(pl.col("unit_price"))).alias("单价"),
        pl.concat_str(yuan, thousands(pl.col("discount"))).alias("商家优惠"),
        pl.concat_str(yuan, thousands(net_amount())).alias("实付金额"),
        _status("douyin").alias("订单状态"),
        _status("douyin_aftersale").alias("售后状态"),
        pl.col("dest_region").replace_strict(geography.PROVINCE_ZH, default="").alias("省"),
        pl.col("dest_city").alias("市"),
        pl.col("carrier").replace_strict(geography.CARRIER_ZH, default="").alias("快递公司"),
        pl.when(pl.col("status") != "placed").then(pl.col("waybill_no")).alias("快递单号"),
        pl.when(pl.col("ship_date") <= pl.col("file_date")).then(local_time("ship_ts", "Asia/Shanghai", t))
        .alias("发货时间"),
        pl.concat_str(yuan, thousands(_refund_so_far())).alias("退款金额"),
        pl.col("store").alias("店铺名称"),
    )


def pos(rows: pl.DataFrame, skus: pl.DataFrame) -> pl.DataFrame:
    """Store till journal: a SALE on the day, a RETURN or REFUND row on the day money goes back (both, in
    that order, when a refund is given on the day of the sale)."""
    frame = rows.join(skus.select("sku", "name"), on="sku", how="left", maintain_order="left").with_row_index("at")
    money_back = pl.col("status").is_in(["refunded", "returned"]) & (pl.col("refund_date") == pl.col("file_date"))
    frame = pl.concat([
        frame.filter(pl.col("file_date") == pl.col("order_date")).with_columns(
            pl.lit(True).alias("is_sale"), pl.col("order_ts").alias("txn_ts")),
        # never before the sale it reverses
        frame.filter(money_back).with_columns(
            pl.lit(False).alias("is_sale"), pl.max_horizontal("updated_ts", "order_ts").alias("txn_ts")),
    ]).sort("at", pl.col("is_sale").not_(), maintain_order=True)
    sale = pl.col("is_sale")
    txn = pl.when(sale).then(pl.lit("SALE")).otherwise(_status("pos"))
    qty = pl.when(sale).then(pl.col("qty")).when(pl.col("status") == "returned").then(-pl.col("qty")).otherwise(0)
    amount = pl.when(sale).then(net_amount()).otherwise(-pl.col("refund_amount"))
    return frame.select(
        pl.col("store").alias("store_id"),
        pl.col("order_no").alias("receipt_no"),
        pl.col("file_date").dt.strftime("%Y-%m-%d").alias("business_date"),
        local_time("txn_ts", "Asia/Shanghai", "%H:%M:%S").alias("txn_time"),
        txn.alias("txn_type"),
        pl.col("line_no").cast(pl.Utf8).alias("line_no"),
        "sku",
        pl.col("name").alias("description"),
        qty.cast(pl.Utf8).alias("qty"),
        thousands(pl.col("unit_price")).alias("unit_price"),
        thousands(pl.when(sale).then(pl.col("discount")).otherwise(0.0)).alias("discount"),
        thousands(amount).alias("amount"),
        "currency",
        pl.when(pl.col("order_seq") % 3 == 0).then(pl.lit("CASH")).when(pl.col("order_seq") % 3 == 1)
        .then(pl.lit("WECHAT_PAY")).otherwise(pl.lit("ALIPAY")).alias("payment_method"),
        pl.concat_str(pl.lit("C"), (pl.col("order_seq") % 12).cast(pl.Utf8).str.zfill(2)).alias("cashier"),
    )


TABLE_WRITERS: dict[str, Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame]] = {
    "amazon": amazon, "tmall": tmall, "jd": jd, "douyin": douyin, "pos": pos,
}
# channel -> (source folder, file name, separator, encoding, bom)
FILE_SPECS: dict[str, tuple[str, str, str, str, bool]] = {
    "amazon": ("orders_amazon", "amazon_all_orders_{ymd}.txt", "\t", "utf-8", False),
    "tmall": ("orders_tmall", "tmall_orders_{ymd}.csv", ",", "gbk", False),
    "jd": ("orders_jd", "jd_orders_{ymd}.csv", ",", "utf-8", True),
    "douyin": ("orders_douyin", "douyin_orders_{ymd}.csv", ",", "utf-8", False),
    "pos": ("orders_pos", "pos_journal_{ymd}.csv", ",", "utf-8", False),
    "shopify": ("orders_shopify", "shopify_orders_{ymd}.json", "", "utf-8", False),
}


def table(channel: str, rows: pl.DataFrame, skus: pl.DataFrame) -> pl.DataFrame:
    return all_strings(TABLE_WRITERS[channel](rows, skus))

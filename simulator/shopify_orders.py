"""Shopify orders as the Admin API returns them (`GET /orders.json`): one page per day.

Kept apart from the CSV exports because it is the one nested format: JSON text is assembled with
vectorised string expressions (far faster than serialising nested structs at a million lines), which
is safe because every vocabulary it prints is free of quotes, backslashes and control characters
(a test checks that).
"""

from __future__ import annotations

import polars as pl

from simulator.order_files import fixed2, local_time, net_amount


def _q(expr: pl.Expr) -> pl.Expr:
    """A JSON string literal. Our vocabularies hold no quotes, backslashes or control characters
    (checked in tests), so no escaping is needed and the JSON is built as text, which is far faster
    than serialising nested structs."""
    return pl.concat_str(pl.lit('"'), expr, pl.lit('"'))


def _q_or_null(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.is_null()).then(pl.lit("null")).otherwise(_q(expr))


def _obj(*pairs: tuple[str, pl.Expr]) -> pl.Expr:
    """A JSON object from (key, already-encoded value) pairs."""
    parts: list[pl.Expr] = []
    for i, (key, value) in enumerate(pairs):
        parts.append(pl.lit(("{" if i == 0 else ",") + f'"{key}":'))
        parts.append(value)
    parts.append(pl.lit("}"))
    return pl.concat_str(parts)


def _num(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Utf8)


def shopify_json(rows: pl.DataFrame, skus: pl.DataFrame) -> tuple[bytes, int]:
    """Shopify Admin API `GET /orders.json` page: {"orders": [...]}, money as strings, local offsets."""
    frame = rows.join(skus.select("sku", "name", "weight_kg"), on="sku", how="left", maintain_order="left")
    iso = "%Y-%m-%dT%H:%M:%S%:z"
    frame = frame.with_columns(
        (pl.lit(5_500_000_000_000) + pl.col("order_no").str.slice(1).cast(pl.Int64) * 97).alias("oid"),
        net_amount().alias("net"),
    )
    line_fulfilled = ~pl.col("status").is_in(["placed", "cancelled"])
    line_json = _obj(
        ("id", _num(pl.col("oid") * 10 + pl.col("line_no"))),
        ("variant_id", _num(pl.lit(44_000_000_000_000) + pl.col("sku_idx"))),
        ("sku", _q(pl.col("sku"))),
        ("title", _q(pl.col("name"))),
        ("name", _q(pl.col("name"))),
        ("quantity", _num(pl.col("qty"))),
        ("price", _q(fixed2(pl.col("unit_price")))),
        ("total_discount", _q(fixed2(pl.col("discount")))),
        ("fulfillment_status", pl.when(line_fulfilled).then(pl.lit('"fulfilled"')).otherwise(pl.lit("null"))),
        ("grams", _num((pl.col("weight_kg") * 1000).round(0).cast(pl.Int64))),
    )
    orders = frame.with_columns(line_json.alias("line_json")).group_by("order_no", maintain_order=True).agg(
        pl.col("oid").first().alias("id"),
        pl.col("order_ts").first(), pl.col("updated_ts").first(), pl.col("ship_ts").first(),
        pl.col("currency").first(),
        (pl.col("unit_price") * pl.col("qty")).sum().alias("subtotal"),
        pl.col("discount").sum().alias("discounts"),
        pl.col("net").sum().alias("total"),
        pl.col("refund_amount").sum().alias("refund_total"),
        pl.col("status").first(),
        pl.col("buyer_name").first(),
        pl.col("dest_city").first(), pl.col("dest_region").first(), pl.col("dest_country").first(),
        pl.col("postal_code").first(), pl.col("waybill_no").first(), pl.col("carrier").first(),
        pl.col("line_json").str.join(",").alias("line_items"),
    )
    st = pl.col("status")
    fin = (pl.when(st == "cancelled").then(pl.lit("voided"))
           .when(st == "returned").then(pl.lit("refunded"))
           .when(st == "refunded").then(
               pl.when((pl.col("refund_total") - pl.col("total")).abs() < 0.005).then(pl.lit("refunded"))
               .otherwise(pl.lit("partially_refunded")))
           .otherwise(pl.lit("paid")))
    shipped = st.is_in(["shipped", "delivered", "refunded", "returned"])
    names = pl.col("buyer_name").str.split(" ")
    first, last = names.list.first(), names.list.last()
    number = pl.col("order_no").str.slice(1)
    created = local_time("order_ts", "Europe/Berlin", iso)
    updated = local_time("updated_ts", "Europe/Berlin", iso)
    fulfillment = _obj(
        ("id", _num(pl.col("id") * 3)),
        ("status", pl.lit('"success"')),
        ("tracking_company", _q(pl.col("carrier"))),
        ("tracking_number", _q(pl.col("waybill_no"))),
        ("created_at", _q(local_time("ship_ts", "Europe/Berlin", iso))),
        ("shipment_status", pl.when(st == "shipped").then(pl.lit('"in_transit"')).otherwise(pl.lit('"delivered"'))),
    )
    # Real orders are refunded more than once and a refund can be paid back in several transactions:
    # a third of the orders get a goodwill refund (no restock) first and the rest (restocked when
    # returned) later, half of the others one refund in two transactions; the amounts always add up to
    # the refunded total, and the latest refund says whether the goods came back.
    cents = (pl.col("refund_total") * 100).round(0).cast(pl.Int64)
    first_cents = cents * 2 // 5

    def transaction(amount_cents: pl.Expr) -> pl.Expr:
        return _obj(("amount", _q(fixed2(amount_cents / 100))), ("kind", pl.lit('"refund"')),
                    ("status", pl.lit('"success"')), ("currency", _q(pl.col("currency"))))

    def refund_obj(offset: int, restock: pl.Expr, *transactions: pl.Expr) -> pl.Expr:
        return _obj(
            ("id", _num(pl.col("id") * 7 + offset)),
            ("created_at", _q(updated)),
            ("restock", pl.when(restock).then(pl.lit("true")).otherwise(pl.lit("false"))),
            ("transactions", pl.concat_str(pl.lit("["), pl.concat_str(transactions, separator=","), pl.lit("]"))),
        )

    returned = st == "returned"
    refund = (
        pl.when(pl.col("id") % 3 == 0).then(pl.concat_str(
            refund_obj(0, pl.lit(False), transaction(first_cents)), pl.lit(","),
            refund_obj(1, returned, transaction(cents - first_cents))))
        .when(pl.col("id") % 2 == 0).then(
            refund_obj(0, returned, transaction(first_cents), transaction(cents - first_cents)))
        .otherwise(refund_obj(0, returned, transaction(cents)))
    )
    order_json = _obj(
        ("id", _num(pl.col("id"))),
        ("admin_graphql_api_id", _q(pl.concat_str(pl.lit("gid://shopify/Order/"), _num(pl.col("id"))))),
        ("name", _q(pl.col("order_no"))),
        ("order_number", number),
        ("email", _q(pl.concat_str(first.str.to_lowercase(), pl.lit("."), number, pl.lit("@example.com")))),
        ("created_at", _q(created)),
        ("updated_at", _q(updated)),
        ("processed_at", _q(created)),
        ("cancelled_at", pl.when(st == "cancelled").then(_q(updated)).otherwise(pl.lit("null"))),
        ("cancel_reason", pl.when(st == "cancelled").then(pl.lit('"customer"')).otherwise(pl.lit("null"))),
        ("currency", _q(pl.col("currency"))),
        ("presentment_currency", _q(pl.col("currency"))),
        ("subtotal_price", _q(fixed2(pl.col("subtotal") - pl.col("discounts")))),
        ("total_discounts", _q(fixed2(pl.col("discounts")))),
        ("total_price", _q(fixed2(pl.col("total")))),
        ("total_tax", _q(fixed2(pl.col("total") - pl.col("total") / 1.19))),
        ("taxes_included", pl.lit("true")),
        ("financial_status", _q(fin)),
        ("fulfillment_status", pl.when(shipped).then(pl.lit('"fulfilled"')).otherwise(pl.lit("null"))),
        ("source_name", pl.lit('"web"')),
        ("customer", _obj(("first_name", _q(first)), ("last_name", _q(last)))),
        ("line_items", pl.concat_str(pl.lit("["), pl.col("line_items"), pl.lit("]"))),
        ("shipping_address", _obj(
            ("first_name", _q(first)), ("last_name", _q(last)), ("name", _q(pl.col("buyer_name"))),
            ("address1", _q(pl.concat_str(pl.lit("Hauptstraße "), _num(pl.col("id") % 97 + 1)))),
            ("city", _q(pl.col("dest_city"))), ("province_code", _q(pl.col("dest_region"))),
            ("zip", _q(pl.col("postal_code"))), ("country_code", _q(pl.col("dest_country"))),
        )),
        ("fulfillments", pl.when(shipped).then(pl.concat_str(pl.lit("["), fulfillment, pl.lit("]")))
         .otherwise(pl.lit("[]"))),
        ("refunds", pl.when(st.is_in(["refunded", "returned"])).then(pl.concat_str(pl.lit("["), refund, pl.lit("]")))
         .otherwise(pl.lit("[]"))),
    )
    body = orders.select(order_json.str.join(",")).item()
    return ('{"orders":[' + body + "]}").encode("utf-8"), orders.height

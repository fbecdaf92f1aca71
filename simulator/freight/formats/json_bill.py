"""JSON bills (YTO): the response of a carrier's bill-query API, with nested fee lists.

Built as text with polars expressions (one detail object per line) rather than json.dumps over
dicts, because a monthly bill can hold hundreds of thousands of parcels; the tests parse it back
with the json module to prove it is valid.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from simulator.freight.formats.common import (
    BillHeader,
    cents_to_text,
    money_text,
    province_label,
    service_label,
    weight_text,
)

EXTRA_FEES = (("REMOTE", "偏远附加费", "remote_cents"), ("OVERSIZE", "超规附加费", "oversize_cents"),
              ("RESIDENTIAL", "住宅派送费", "residential_cents"))
OTHER_FEE_NAMES = {"PEAK": "旺季附加费", "ADDRESS_CORRECTION": "地址更正费", "SIGNATURE": "签收服务费"}


def _fee(code: pl.Expr, name: pl.Expr, column: str) -> pl.Expr:
    return pl.when(pl.col(column) > 0).then(pl.concat_str([
        pl.lit(',{"feeCode":"'), code, pl.lit('","feeName":"'), name, pl.lit('","amount":'),
        money_text(column), pl.lit("}"),
    ])).otherwise(None)


def write_json(lines: pl.DataFrame, header: BillHeader, path: Path) -> None:
    if lines["waybill_no"].str.contains(r'["\\\x00-\x1f]').any():
        raise ValueError(f"{header.bill_no}: a waybill no needs JSON escaping; this writer does not escape")
    fees = [_fee(pl.lit(code), pl.lit(name), column) for code, name, column in EXTRA_FEES]
    fees.append(_fee(pl.col("other_code"),
                     pl.col("other_code").replace_strict(OTHER_FEE_NAMES, default=pl.col("other_code")),
                     "other_cents"))
    extra = pl.concat_str(fees, ignore_nulls=True).str.strip_prefix(",")  # comma-led items, first comma cut
    detail = pl.concat_str([
        pl.lit('{"seq":'), pl.col("line_no").cast(pl.Utf8),
        pl.lit(',"mailNo":"'), pl.col("waybill_no"),
        pl.lit('","shipDate":"'), pl.col("ship_date").dt.strftime("%Y-%m-%d"),
        pl.lit('","productName":"'), service_label(header.carrier),
        pl.lit('","receiverProvince":"'), province_label(),
        pl.lit('","zone":"'), pl.col("zone"),
        pl.lit('","chargeWeight":'), weight_text(),
        pl.lit(',"fees":{"freight":'), money_text("base_cents"),
        pl.lit(',"fuelSurcharge":'), money_text("fuel_cents"),
        pl.lit(',"extraFees":['), extra, pl.lit("]}"),
        pl.lit(',"totalFee":'), money_text("total_cents"),
        pl.lit(f',"currency":"{header.currency}"}}'),
    ])
    body = lines.select(detail.alias("d"))["d"].to_list()
    head = json.dumps({
        "billNo": header.bill_no, "customerCode": header.account_no, "carrier": header.carrier_name,
        "billMonth": header.period_end.strftime("%Y-%m"), "periodStart": header.period_start.isoformat(),
        "periodEnd": header.period_end.isoformat(), "issueDate": header.issue_date.isoformat(),
        "dueDate": header.due_date.isoformat(), "currency": header.currency,
    }, ensure_ascii=False, separators=(",", ":"))[:-1]
    text = (
        '{"success":true,"code":"0000","message":"成功","data":' + head
        + f',"totalAmount":{cents_to_text(header.total_cents)},"totalCount":{header.line_count}'
        + f',"pageNo":1,"pageSize":{header.line_count},"details":[\n'
        + ",\n".join(body) + "\n]}}\n"
    )
    path.write_bytes(text.encode("utf-8"))

"""Values combined from several cells, as real exports need: fallbacks, joins, differences, quotients,
and values taken from the load rather than the file. Layouts follow the channels' documented exports."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from ingest_helpers import BUSINESS_DATE, parse, reasons

from ingestion.mapping import MappingError, loads_mapping

ALIPAY = """
description = "Alipay account statement (账务明细) for Tmall"
contract = "settlements"
encoding = "gbk"
timezone = "Asia/Shanghai"
skip_rows_matching = ["^#"]
[columns.channel]
value = "tmall"
[columns.settlement_id]
from = "账务流水号"
[columns.settlement_date]
context = "business_date"
[columns.order_no]
from = "商户订单号"
[columns.transaction_type]
from = "业务类型"
values = { "交易付款" = "order", "服务费" = "fee", "交易退款" = "refund", "提现" = "payout" }
[columns.amount_type]
from = "业务类型"
values = { "交易付款" = "principal", "服务费" = "commission", "交易退款" = "refund", "提现" = "payout" }
[columns.amount]
from = "收入金额（+元）"
minus = "支出金额（-元）"
[columns.currency]
value = "CNY"
[columns.posted_ts]
from = "发生时间"
"""

ALIPAY_FILE = (
    "#支付宝账务明细查询\n#账号：[2088000000160162]\n#起始日期：[2026年10月12日 00:00:00]    终止日期：[2026年10月13日 00:00:00]\n"
    "#-----------------------------------------账务明细列表----------------------------------------\n"
    "账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注,\n"
    "20261012100000000001\t,202610032200192000001096016\t,T200P739892000001096016\t,TH-APP-00005,2026-10-12 09:23:26,"
    "130****0572,58.90,,5058.90,天猫,交易付款,订单T200P739892000001096016确认收货,\n"
    "20261012100000000002\t,202610123000192000001096016\t,T200P739892000001096016\t,天猫佣金（类目）,2026-10-12 09:23:27,"
    "天猫佣金专户,,2.95,5055.95,天猫,服务费,天猫佣金（类目）T200P739892000001096016扣款,\n"
    "20261012100000000071\t,202610126000100000000739901\t,,提现,2026-10-12 23:30:00,招商银行(尾号8821),,56.95,5000.00,"
    "支付宝,提现,自动提现,\n"
    "#-----------------------------------------账务明细列表结束------------------------------------\n"
    "#账务汇总列表：\n#收入合计：1笔，共58.90元\n#支出合计：2笔，共59.90元\n#导出时间：[2026年10月13日 09:00:00]\n"
)


def test_alipay_statement_income_minus_expense_and_business_date_from_the_load():
    result = parse(ALIPAY_FILE.encode("gbk"), loads_mapping(ALIPAY, name="alipay"), filename="alipay.csv")
    assert result.file_error is None and result.rows_quarantined == 0
    assert result.frame.select("settlement_id", "order_no", "transaction_type", "amount_type", "amount").rows() == [
        ("20261012100000000001", "T200P739892000001096016", "order", "principal", Decimal("58.90")),
        ("20261012100000000002", "T200P739892000001096016", "fee", "commission", Decimal("-2.95")),
        ("20261012100000000071", None, "payout", "payout", Decimal("-56.95"))]
    assert result.frame["settlement_date"].unique().to_list() == [BUSINESS_DATE]
    assert result.frame["posted_ts"][0] == datetime(2026, 10, 12, 1, 23, 26, tzinfo=UTC)
    assert result.frame["row_number"].to_list() == [1, 2, 3]  # rows after the header, comments excluded
    assert any("skipped 5 summary row" in n for n in result.notes)


AMAZON_SETTLEMENT = """
contract = "settlements"
[columns.channel]
value = "amazon"
[columns.settlement_id]
from = "settlement-id"
[columns.settlement_date]
from = "settlement-end-date"
[columns.period_start]
from = "settlement-start-date"
[columns.period_end]
from = "settlement-end-date"
[columns.order_no]
from = "order-id"
[columns.transaction_type]
from = "transaction-type"
default = "summary"
case = "lower"
[columns.amount_type]
join = ["amount-type", "amount-description"]
default = "total"
[columns.amount]
from = ["amount", "total-amount"]   # the summary row only has total-amount
[columns.currency]
from = "currency"
[columns.posted_ts]
from = "posted-date-time"
"""


def test_amazon_v2_summary_row_and_item_rows():
    header = ["settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
              "currency", "transaction-type", "order-id", "amount-type", "amount-description", "amount",
              "posted-date-time"]
    rows = [
        ["43445248367", "2026-10-06 00:00:00 UTC", "2026-10-20 00:00:00 UTC", "2026-10-22 00:00:00 UTC", "10.52", "USD",
         "", "", "", "", "", ""],
        ["43445248367", "", "", "", "", "USD", "Order", "113-2219670-0059859", "ItemPrice", "Principal", "14.99",
         "2026-10-17 00:58:21 UTC"],
        ["43445248367", "", "", "", "", "USD", "Order", "113-2219670-0059859", "ItemFees", "Commission", "-2.25",
         "2026-10-17 00:58:21 UTC"],
        ["43445248367", "", "", "", "", "USD", "Order", "113-2219670-0059859", "ItemFees", "FBAPerUnitFulfillmentFee",
         "-3.22", "2026-10-17 00:58:21 UTC"],
    ]
    text = "\n".join("\t".join(r) for r in [header, *rows]) + "\n"
    result = parse(text, loads_mapping(AMAZON_SETTLEMENT, name="amazon_v2"), filename="amazon_settlement.txt")
    # The summary row has no settlement date of its own on later rows: they are quarantined, naming it.
    frame = result.frame
    assert frame.select("row_number", "transaction_type", "amount_type", "amount").rows() == [
        (1, "summary", "total", Decimal("10.52"))]
    assert frame["period_start"].to_list() == [date(2026, 10, 6)]
    assert set(reasons(result)) == {2, 3, 4}
    assert all(r.startswith("settlement_date: required value is missing") for r in reasons(result).values())


def test_amazon_item_price_divided_by_quantity_and_negated_promotions(orders_mapping):
    toml = """
contract = "order_lines"
[columns.channel]
value = "amazon"
[columns.order_no]
from = "amazon-order-id"
[columns.line_no]
value = "1"
[columns.sku]
from = "sku"
[columns.qty]
from = "quantity"
[columns.unit_price]
from = "item-price"
divide_by = "quantity"
[columns.discount]
from = "item-promotion-discount"
negate = true
[columns.currency]
from = "currency"
[columns.order_ts]
from = "purchase-date"
[columns.order_date]
date_of = "order_ts"
[columns.status]
from = "item-status"
values = { "Shipped - Delivered to Buyer" = "delivered", Unshipped = "placed" }
"""
    text = ("amazon-order-id\tsku\tquantity\titem-price\titem-promotion-discount\tcurrency\tpurchase-date\titem-status\n"
            "113-1\tS1\t3\t59.97\t-1.00\tUSD\t2026-01-05T23:10:00+00:00\tShipped - Delivered to Buyer\n"
            "113-2\tS2\t0\t10.00\t0.00\tUSD\t2026-01-05T23:10:00+00:00\tUnshipped\n")
    result = parse(text, loads_mapping(toml, name="amazon"))
    assert result.frame.select("order_no", "qty", "unit_price", "discount", "status").rows() == [
        ("113-1", 3, Decimal("19.99"), Decimal("1"), "delivered")]
    assert reasons(result)[2] == "unit_price: cannot divide by '0'"


def test_pos_date_and_time_columns_joined_into_one_local_timestamp():
    toml = """
contract = "order_lines"
timezone = "Asia/Shanghai"
[columns.channel]
value = "pos"
[columns.store]
from = "store_id"
[columns.order_no]
from = "receipt_no"
[columns.line_no]
from = "line_no"
[columns.sku]
from = "sku"
[columns.qty]
from = "qty"
negate_if = { from = "txn_type", values = ["REFUND", "RETURN"] }
[columns.unit_price]
from = "unit_price"
[columns.currency]
value = "CNY"
[columns.order_ts]
join = ["business_date", "txn_time"]
[columns.order_date]
date_of = "order_ts"
[columns.status]
from = "txn_type"
values = { SALE = "delivered", REFUND = "refunded", RETURN = "returned" }
"""
    text = ("store_id,receipt_no,business_date,txn_time,txn_type,line_no,sku,qty,unit_price\n"
            "SZ01,R1,2026-01-05,23:59:59,SALE,1,S1,2,\"1,099.00\"\n"
            "SZ01,R1,2026-01-06,10:00:00,RETURN,1,S1,-2,\"1,099.00\"\n"
            "SZ01,R2,2026-01-06,,SALE,1,S1,1,5\n")
    result = parse(text, loads_mapping(toml, name="pos"))
    assert result.frame.select("order_ts", "order_date", "qty", "status").rows() == [
        (datetime(2026, 1, 5, 15, 59, 59, tzinfo=UTC), date(2026, 1, 5), 2, "delivered"),
        (datetime(2026, 1, 6, 2, 0, tzinfo=UTC), date(2026, 1, 6), 2, "returned"),
        (datetime(2026, 1, 5, 16, 0, tzinfo=UTC), date(2026, 1, 6), 1, "delivered")]  # date alone: midnight


def test_flat_carrier_bill_with_charge_columns_and_the_issue_date_from_the_landing_folder():
    toml = """
contract = "carrier_bill_lines"
encoding = "gbk"
date_formats = ["%Y/%m/%d"]
[columns.carrier]
value = "SF"
[columns.bill_no]
from = "账单编号"
[columns.bill_date]
context = "business_date"
[columns.bill_line_id]
from = "序号"
[columns.waybill_no]
from = "运单号"
[columns.ship_date]
from = "寄件日期"
[columns.billed_weight_kg]
from = "计费重量"
[columns.charge_description]
from = "<unpivot:description>"
[columns.currency]
from = "币种"
[unpivot]
columns = { "运费" = "freight", "燃油附加费" = "fuel", "偏远附加费" = "remote_area", "其他费用" = "other" }
descriptions = { "其他费用" = "费用说明" }
"""
    text = ("账单编号,序号,运单号,寄件日期,计费重量,运费,燃油附加费,偏远附加费,其他费用,费用说明,金额,币种\r\n"
            "SF202601,1,SF1000,2026/01/03,1.5,\"￥1,012.00\",￥1.20,￥0.00,￥3.00,保价费,\"￥1,016.20\",CNY\r\n"
            "SF202601,2,SF1001,2026/01/03,1,￥0.00,￥0.00,,,,￥0.00,CNY\r\n")
    result = parse(text.encode("gbk"), loads_mapping(toml, name="sf"))
    assert result.frame.select("bill_line_id", "charge_code", "amount", "charge_description", "bill_date").rows() == [
        ("1", "freight", Decimal("1012"), None, BUSINESS_DATE), ("1", "fuel", Decimal("1.2"), None, BUSINESS_DATE),
        ("1", "other", Decimal("3"), "保价费", BUSINESS_DATE)]
    assert result.rows_read == 3 and result.rows_quarantined == 0  # line 2 billed nothing: no charge rows
    kept = loads_mapping(toml.replace('descriptions = {', 'drop_zero = false\ndescriptions = {'), name="sf")
    assert parse(text.encode("gbk"), kept).rows_ok == 6  # zero charges kept when the layout says so


@pytest.mark.parametrize(
    ("spec", "message"),
    [('from = "a"\ncontext = "business_date"', "exactly one of"),
     ('context = "weather"', "`context` is one of"),
     ('join = ["a"]', "two or more"),
     ('value = "X"\nminus = "b"', "numeric columns only")],
)
def test_combination_mistakes_are_mapping_errors(spec, message):
    toml = f'contract = "fx_rates"\n[columns.base_currency]\n{spec}\n'
    with pytest.raises(MappingError, match=message.replace("`", ".")):
        loads_mapping(toml, name="m")

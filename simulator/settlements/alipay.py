"""Alipay account statement (账务明细) for the Tmall shop, as Alipay's merchant portal exports it.

A GBK-encoded CSV: '#' comment lines before the header (title, account, period) and after the rows
(totals, export time), twelve Chinese columns and a trailing comma on every line; long numbers end
with a tab so spreadsheets keep every digit. When a Tmall buyer's payment is released (delivery +
contracted lag) the order amount comes in (交易付款) and Tmall's commission goes out (服务费);
refunds go out (交易退款); what is left at day end is withdrawn to the bank (提现). The balance
column runs across days, so the statement of day d depends only on days up to d.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from simulator.settlements.money import cents_text, format_cents
from simulator.settlements.output import WriterResult, relative, settlement_folder

COLUMNS = (
    "账务流水号", "业务流水号", "商户订单号", "商品名称", "发生时间", "对方账号", "收入金额（+元）",
    "支出金额（-元）", "账户余额（元）", "交易渠道", "业务类型", "备注",
)
INCOME, EXPENSE = COLUMNS[6], COLUMNS[7]
STREAM_ALIPAY = 3_731
OPENING_BALANCE_CENTS = 5_000_00
WITHDRAWAL_SECOND = 23 * 3_600 + 30 * 60
BANK_ACCOUNT = "招商银行(尾号8821)"
COMMISSION_ACCOUNT = "天猫佣金专户"
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # a polars Date is days since 1970-01-01
_MOBILE_PREFIXES = np.array(["135", "138", "139", "152", "158", "186", "187", "130"])


def alipay_account(seed: int) -> str:
    """The seller's Alipay account id (2088 + 12 digits), fixed per simulated business."""
    return f"2088{(seed * 7_919 + 104_729) % 10**12:012d}"


def _masked_buyers(prefix_idx: pl.Expr, tails: pl.Expr) -> pl.Expr:
    """Buyer accounts as Alipay shows them to the seller: a mobile number with the middle masked."""
    prefixes = prefix_idx.replace_strict(dict(enumerate(_MOBILE_PREFIXES)), return_dtype=pl.Utf8)
    return pl.concat_str([prefixes, pl.lit("****"), tails.cast(pl.Utf8).str.zfill(4)])


def _order_tail(order_no: pl.Expr) -> pl.Expr:
    """The last 14 characters of a Tmall order number (all digits), zero-padded: part of serial numbers."""
    return order_no.str.slice(-14).str.zfill(14)


def _by_day(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Days in order, order numbers in order within a day: the order random draws are assigned in."""
    return frame.select(columns).sort("settle_date", "order_no")


def _draws(days: list[date], charges: pl.DataFrame, refunds: pl.DataFrame, seed: int) -> dict[str, np.ndarray]:
    """Each day's random times and buyer accounts, from that day's own generator, in row order."""
    n_charges = dict(charges.group_by("settle_date").len().iter_rows())
    n_refunds = dict(refunds.group_by("settle_date").len().iter_rows())
    draws: dict[str, list[np.ndarray]] = {k: [] for k in ("c_sec", "c_pre", "c_tail", "r_sec", "r_pre", "r_tail")}
    for day in days:
        rng = np.random.default_rng([seed, STREAM_ALIPAY, day.toordinal()])
        for prefix, n in (("c", n_charges.get(day, 0)), ("r", n_refunds.get(day, 0))):
            draws[f"{prefix}_sec"].append(rng.integers(8 * 3_600, 22 * 3_600, n))
            draws[f"{prefix}_pre"].append(rng.integers(0, len(_MOBILE_PREFIXES), n))
            draws[f"{prefix}_tail"].append(rng.integers(0, 10_000, n))
    return {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in draws.items()}


# Statement row kinds: (component, 业务类型), by their `seq` (the order of an order's rows in a second).
KINDS = (("principal", "交易付款"), ("commission", "服务费"), ("refund", "交易退款"), ("withdrawal", "提现"))


def _money_rows(days: list[date], charges: pl.DataFrame, refunds: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Every statement row of every day in statement order: money in cents and the running balance.

    Rows are sorted while they are still narrow (numbers and the order number); the text columns
    are built afterwards by the writer, once.
    """
    common = ["settle_date", "order_no", "order_date", "sku", "n_lines"]
    charges = _by_day(charges, [*common, "paid_gross_cents", "discount_cents", "charged_commission_cents"])
    refunds = _by_day(refunds, [*common[:-1], "refund_cents"])
    draws = _draws(days, charges, refunds, seed)
    charged = charges.select(
        *common, second=pl.Series(draws["c_sec"], dtype=pl.Int64),
        buyer_pre=pl.Series(draws["c_pre"], dtype=pl.Int64), buyer_tail=pl.Series(draws["c_tail"], dtype=pl.Int64),
        paid=pl.col("paid_gross_cents") - pl.col("discount_cents"), commission=pl.col("charged_commission_cents"),
    )
    income = charged.select(*common, "second", "buyer_pre", "buyer_tail", seq=pl.lit(0),
                            in_cents=pl.col("paid"), out_cents=pl.lit(0, pl.Int64))
    fee = charged.select(*common, pl.col("second") + 1, "buyer_pre", "buyer_tail", seq=pl.lit(1),
                         in_cents=pl.lit(0, pl.Int64), out_cents=pl.col("commission"))
    refund = refunds.select(
        *[pl.col(c) if c != "n_lines" else pl.lit(1, pl.UInt32).alias(c) for c in common],
        second=pl.Series(draws["r_sec"], dtype=pl.Int64), buyer_pre=pl.Series(draws["r_pre"], dtype=pl.Int64),
        buyer_tail=pl.Series(draws["r_tail"], dtype=pl.Int64), seq=pl.lit(2),
        in_cents=pl.lit(0, pl.Int64), out_cents=pl.col("refund_cents"),
    )
    rows = pl.concat([income, fee, refund], how="vertical_relaxed")
    # What a day brought in is withdrawn at day end (nothing is withdrawn on a day that lost money).
    withdrawals = (
        rows.group_by("settle_date").agg((pl.col("in_cents").sum() - pl.col("out_cents").sum()).alias("out_cents"))
        .filter(pl.col("out_cents") > 0)
        .with_columns(second=pl.lit(WITHDRAWAL_SECOND, pl.Int64), seq=pl.lit(3), in_cents=pl.lit(0, pl.Int64))
    )
    rows = pl.concat([rows, withdrawals], how="diagonal_relaxed")
    return rows.sort("settle_date", "second", "seq", "order_no", nulls_last=True).with_columns(
        balance_cents=OPENING_BALANCE_CENTS + (pl.col("in_cents") - pl.col("out_cents")).cum_sum(),
        index=pl.int_range(pl.len(), dtype=pl.Int64).over("settle_date"),
        component=pl.col("seq").replace_strict({i: k[0] for i, k in enumerate(KINDS)}, return_dtype=pl.Utf8),
        business_type=pl.col("seq").replace_strict({i: k[1] for i, k in enumerate(KINDS)}, return_dtype=pl.Utf8),
    )


def _statement_columns(rows: pl.DataFrame) -> pl.DataFrame:
    """The twelve Alipay columns (plus the empty trailing one) of statement rows, as text."""
    empty = pl.lit(None, pl.Utf8)  # written as nothing between the commas, as Alipay does
    ymd = pl.col("settle_date").dt.strftime("%Y%m%d")
    tail = _order_tail(pl.col("order_no"))
    seq = pl.col("seq")
    serial_prefix = pl.when(seq == 0).then(pl.col("order_date").dt.strftime("%Y%m%d") + "22001") \
        .when(seq == 1).then(ymd + "30001").when(seq == 2).then(ymd + "40001").otherwise(ymd + "60001")
    serial_tail = pl.when(seq == 3).then(
        (pl.col("settle_date").cast(pl.Int64) + EPOCH_ORDINAL).cast(pl.Utf8).str.zfill(14)).otherwise(tail)
    # Text that differs by row kind is built as prefix + value + suffix, with the affixes looked up by
    # kind: one concatenation per column instead of one per kind evaluated on every row.
    product = pl.concat_str([
        seq.replace_strict({0: "", 1: "天猫佣金（类目）", 2: "退款-", 3: "提现"}, return_dtype=pl.Utf8),
        pl.when(seq.is_in([0, 2])).then(pl.col("sku")).otherwise(pl.lit("")),
        pl.when((seq == 0) & (pl.col("n_lines") > 1))
        .then(pl.format(" 等{}件商品", pl.col("n_lines"))).otherwise(pl.lit("")),
    ])
    counterparty = pl.when(seq == 1).then(pl.lit(COMMISSION_ACCOUNT)).when(seq == 3).then(pl.lit(BANK_ACCOUNT)) \
        .otherwise(_masked_buyers(pl.col("buyer_pre"), pl.col("buyer_tail")))
    remark = pl.concat_str([
        seq.replace_strict({0: "订单T200P", 1: "天猫佣金（类目）T200P", 2: "售后退款T200P", 3: "自动提现"},
                           return_dtype=pl.Utf8),
        pl.col("order_no").fill_null(""),
        seq.replace_strict({0: "确认收货", 1: "扣款", 2: "", 3: ""}, return_dtype=pl.Utf8),
    ])
    return rows.select(
        pl.format("{}1{}\t", ymd, (pl.col("index") + 1).cast(pl.Utf8).str.zfill(11)).alias(COLUMNS[0]),
        pl.format("{}{}\t", serial_prefix, serial_tail).alias(COLUMNS[1]),
        pl.when(pl.col("order_no").is_null()).then(empty)
        .otherwise(pl.format("T200P{}\t", pl.col("order_no"))).alias(COLUMNS[2]),
        product.alias(COLUMNS[3]),
        (pl.col("settle_date").cast(pl.Datetime("us")) + pl.duration(seconds=pl.col("second")))
        .dt.strftime("%Y-%m-%d %H:%M:%S").alias(COLUMNS[4]),
        counterparty.alias(COLUMNS[5]),
        pl.when(pl.col("in_cents") > 0).then(format_cents(pl.col("in_cents"))).otherwise(empty).alias(INCOME),
        pl.when(pl.col("out_cents") > 0).then(format_cents(pl.col("out_cents"))).otherwise(empty).alias(EXPENSE),
        format_cents(pl.col("balance_cents")).alias(COLUMNS[8]),
        pl.when(seq == 3).then(pl.lit("支付宝")).otherwise(pl.lit("天猫")).alias(COLUMNS[9]),
        pl.col("business_type").alias(COLUMNS[10]),
        remark.alias(COLUMNS[11]),
        empty.alias("trailing"),
    )


def _header(account: str, day: date) -> list[str]:
    return [
        "#支付宝账务明细查询",
        f"#账号：[{account}]",
        f"#起始日期：[{day:%Y年%m月%d日} 00:00:00]    终止日期：[{day + timedelta(days=1):%Y年%m月%d日} 00:00:00]",
        "#-----------------------------------------账务明细列表----------------------------------------",
    ]


def _footer(rows: pl.DataFrame, day: date) -> list[str]:
    incoming = rows.filter(pl.col("in_cents") > 0)
    outgoing = rows.filter(pl.col("out_cents") > 0)
    export = day + timedelta(days=1)
    return [
        "#-----------------------------------------账务明细列表结束------------------------------------",
        "#账务汇总列表：",
        f"#收入合计：{incoming.height}笔，共{cents_text(int(incoming['in_cents'].sum()))}元",
        f"#支出合计：{outgoing.height}笔，共{cents_text(int(outgoing['out_cents'].sum()))}元",
        f"#导出时间：[{export:%Y年%m月%d日} 09:00:00]",
    ]


def write_alipay(groups: pl.DataFrame, charges: pl.DataFrame, refunds: pl.DataFrame, *, seed: int,
                 out: Path, watch: pl.DataFrame) -> WriterResult:
    """One statement per day with Tmall money movements (groups: channel, currency, settle_date)."""
    result = WriterResult(watch)
    foreign = groups.filter(pl.col("currency") != "CNY")
    if foreign.height:
        raise ValueError(f"Alipay statements are in CNY; Tmall order lines in {foreign['currency'].unique().to_list()}")
    account = alipay_account(seed)
    days = sorted(groups["settle_date"].unique().to_list())
    if not days:
        return result
    rows = _money_rows(days, charges, refunds, seed)
    channel = groups["channel"][0]
    header = ",".join(COLUMNS) + ",\n"  # Alipay ends every line, the header too, with a comma
    row_parts = rows.partition_by("settle_date", as_dict=True, maintain_order=True)
    for day in days:
        # A day whose only item was planted missing still gets its (empty) statement.
        day_rows = row_parts.get((day,), rows.clear())
        day_body = _statement_columns(day_rows)
        csv_text = header + day_body.write_csv(include_header=False, quote_style="necessary", line_terminator="\n")
        text = "\n".join(_header(account, day)) + "\n" + csv_text + "\n".join(_footer(day_rows, day)) + "\n"
        path = settlement_folder(out, day) / f"alipay_{account}_{day:%Y%m%d}.csv"
        path.write_bytes(text.encode("gbk"))
        file = relative(out, path)
        result.add("settlements/alipay_bill", day_body.height)
        result.files.append(pl.DataFrame({"channel": [channel], "currency": ["CNY"], "settle_date": [day],
                                          "file": [file]}))
        result.locate(day_rows.filter(pl.col("order_no").is_not_null()).select(
            pl.lit(channel).alias("channel"), pl.lit("CNY").alias("currency"), pl.lit(day).alias("settle_date"),
            pl.when(pl.col("component") == "refund").then(pl.lit("refund")).otherwise(pl.lit("charge")).alias("kind"),
            "order_no", pl.lit(0, pl.Int32).alias("line_no"), "component", pl.lit(file).alias("file"),
            pl.when(pl.col("in_cents") > 0).then(pl.lit(INCOME)).otherwise(pl.lit(EXPENSE)).alias("field"),
            (pl.col("index").cast(pl.Int64) + 1).alias("row"),
        ))
    return result

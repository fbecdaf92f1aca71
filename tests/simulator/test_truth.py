"""`simulator.truth` is the business the files were written from: checked against the files themselves.

The marts' oracle tests trust these functions, so they must agree with what landed: every refund the
simulator's lines carry appears in the POS till journals (the one source that writes a refund as its
own row, including a refund on the day of the sale) and the refund column of the Tmall exports, and the
settled refunds are the refund rows of the Alipay statements.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from simulator import simulate, truth


def _rows(folder: Path, pattern: str, encoding: str = "utf-8") -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted(folder.glob(pattern)):
        with path.open(encoding=encoding, newline="") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def _cents(text: str) -> int:
    return round(float(text.replace(",", "")) * 100)


@pytest.fixture(scope="module")
def refunding_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short run where many buyers want money back: the shared small run has too few POS refunds."""
    out = tmp_path_factory.mktemp("refunding")
    simulate(out, start=date(2026, 10, 1), days=6, orders_per_day=300, seed=7, skus=100, refund_rate=0.4)
    return out


def test_refunds_in_the_lines_are_the_refunds_in_the_pos_journals(refunding_run) -> None:
    out = refunding_run
    lines = truth.order_lines(out)
    refunded = lines.filter((pl.col("channel") == "pos") & (pl.col("refund_amount") > 0))
    journal = _rows(out / "orders_pos", "*/*.csv")
    money_back = {(r["receipt_no"], int(r["line_no"])): -_cents(r["amount"])
                  for r in journal if r["txn_type"] in ("REFUND", "RETURN")}
    expected = {(o, n): round(a * 100) for o, n, a in refunded.select("order_no", "line_no", "refund_amount").iter_rows()}
    # (a planted malformed row garbles a quantity or date, never the receipt, line or amount)
    assert money_back == expected
    assert len(expected) >= 10
    same_day = refunded.filter(pl.col("refund_date") == pl.col("order_date"))
    assert same_day.height >= 1
    for order_no, line_no in same_day.select("order_no", "line_no").iter_rows():
        assert (order_no, line_no) in money_back, "a refund on the day of the sale is in that day's journal"


def test_refunds_in_the_lines_are_the_tmall_export_refunds(sim_run) -> None:
    out, _ = sim_run
    lines = truth.order_lines(out).filter((pl.col("channel") == "tmall") & (pl.col("refund_amount") > 0))
    export = {}
    for row in _rows(out / "orders_tmall", "*/*.csv", encoding="gbk"):  # later files restate the order
        export[(row["订单编号"], row["商品编码"])] = _cents(row["退款金额"])
    for order_no, sku, amount in lines.select("order_no", "sku", "refund_amount").iter_rows():
        assert export[(order_no, sku)] == round(amount * 100), (order_no, sku)
    assert lines.height >= 3


def test_settled_refunds_are_the_alipay_refund_rows(sim_run) -> None:
    out, _ = sim_run
    _, refunds = truth.settled_items(out)
    tmall = refunds.filter(pl.col("channel") == "tmall")
    statement_rows = [r for path in sorted((out / "settlements").glob("*/alipay_*.csv"))
                      for r in csv.reader(line for line in path.read_text(encoding="gbk").splitlines()
                                          if not line.startswith("#"))]
    header = statement_rows[0]
    kind, paid_out = header.index("业务类型"), header.index("支出金额（-元）")
    deducted = sum(_cents(r[paid_out]) for r in statement_rows if len(r) > kind and r[kind] == "交易退款")
    assert tmall.height >= 1
    assert deducted == tmall["refund_cents"].sum()


def test_a_folder_without_a_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="params.json"):
        truth.order_lines(tmp_path)

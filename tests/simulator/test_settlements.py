"""Channel settlements: real formats, contracted money to the cent, due dates, and the planted errors.

The expected numbers are recomputed here from the order lines with Decimal and the contract as the
README states it (rate x amount, half up; FBA fee per unit by price band; paid at delivery + lag),
and the files are read back with the standard readers (csv with tab or GBK, json), so a change in
either the arithmetic or the file shape fails a test.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from simulator.catalog import CHANNELS, by_id
from simulator.frames import ORDER_LINES
from simulator.manifest import Manifest
from simulator.settlements import SettlementErrorRates, write_settlements

START = date(2026, 10, 1)
DAYS = 21
END = START + timedelta(days=DAYS)
PER_DAY = 200
SEED = 11
CENT = Decimal("0.01")

AMAZON_COLUMNS = [
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
    "currency", "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id",
    "marketplace-name", "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date",
    "posted-date-time", "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku",
    "quantity-purchased", "promotion-id",
]
ALIPAY_COLUMNS = [
    "账务流水号", "业务流水号", "商户订单号", "商品名称", "发生时间", "对方账号", "收入金额（+元）",
    "支出金额（-元）", "账户余额（元）", "交易渠道", "业务类型", "备注",
]
SHOPIFY_TRANSACTION_FIELDS = [
    "id", "type", "test", "payout_id", "payout_status", "currency", "amount", "fee", "net", "source_id",
    "source_type", "source_order_id", "source_order_transaction_id", "processed_at",
]
# The README's FBA fee table: unit price below the bound -> fee per unit.
FBA_BANDS = [(Decimal("20"), Decimal("3.22")), (Decimal("50"), Decimal("4.75")), (Decimal("100"), Decimal("6.10"))]
FBA_TOP = Decimal("8.26")


# --------------------------------------------------------------------------------------------------
# A small business with a causal order history: every order's life is drawn up front, and a run with
# horizon `end` sees only the events before `end` (exactly what the business core hands over).


def synthetic_orders(end: date, *, per_day: int = PER_DAY, seed: int = SEED) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = DAYS * 2 * per_day  # history drawn for twice the test horizon, cut at `end`
    days = np.repeat(np.arange(DAYS * 2), per_day)
    channel_idx = rng.choice(len(CHANNELS), size=n, p=[0.3, 0.2, 0.25, 0.1, 0.1, 0.05])
    channel = np.array([c.id for c in CHANNELS])[channel_idx]
    gb = (channel == "shopify") & (rng.random(n) < 0.2)
    currency = np.where(gb, "GBP", np.array([c.currency for c in CHANNELS])[channel_idx])
    cancelled = rng.random(n) < 0.05
    deliver_after = rng.integers(1, 8, n)
    refunded = ~cancelled & (rng.random(n) < 0.12)
    refund_after = rng.integers(-2, 12, n)  # some refunds happen before the money is released
    refund_share = np.where(rng.random(n) < 0.5, 1.0, np.round(rng.uniform(0.2, 0.9, n), 2))
    order_no = np.array([
        {"amazon": f"11{i % 4}-{i:07d}-{(i * 7919) % 10**7:07d}", "shopify": f"#{1001 + i}",
         "tmall": f"{3_900_000_000_000_000 + i * 37}"}.get(c, f"{c.upper()}{i:08d}")
        for i, c in enumerate(channel)
    ])
    n_lines = rng.choice([1, 2, 3], size=n, p=[0.7, 0.2, 0.1])
    idx = np.repeat(np.arange(n), n_lines)
    m = len(idx)
    line_no = np.arange(m) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    unit_price = np.round(rng.choice([4.99, 12.5, 19.99, 20.0, 35.0, 49.99, 64.0, 99.99, 100.0, 149.0], m)
                          * rng.choice([1.0, 1.0, 6.8], m), 2)
    qty = rng.choice([1, 2, 3], size=m, p=[0.8, 0.15, 0.05])
    discount = np.where(rng.random(m) < 0.25, np.round(unit_price * qty * rng.uniform(0.05, 0.3, m), 2), 0.0)
    order_date = pl.Series(np.datetime64(START) + days[idx].astype("timedelta64[D]")).cast(pl.Date)
    frame = pl.DataFrame({
        "order_no": order_no[idx], "channel": channel[idx], "store": "test-store", "order_date": order_date,
        "line_no": line_no.astype(np.int32), "sku": [f"SKU-{k:04d}" for k in rng.integers(0, 400, m)],
        "qty": qty.astype(np.int32), "unit_price": unit_price, "discount": discount, "currency": currency[idx],
        "warehouse_id": "US-LAX", "dest_country": "US", "dest_region": "CA",
        "cancelled": cancelled[idx], "deliver_after": deliver_after[idx], "refunded": refunded[idx],
        "refund_after": refund_after[idx], "refund_share": refund_share[idx],
        "second": rng.integers(0, 86_400, n)[idx],
    })
    horizon = pl.lit(end)
    delivered = pl.col("order_date") + pl.duration(days=pl.col("deliver_after"))
    refund_day = delivered + pl.duration(days=pl.col("refund_after"))
    frame = frame.filter(pl.col("order_date") < horizon).with_columns(
        order_ts=pl.col("order_date").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        + pl.duration(seconds=pl.col("second")),
        ship_date=pl.when(~pl.col("cancelled")).then(pl.col("order_date") + pl.duration(days=1)),
        delivered_date=pl.when(~pl.col("cancelled") & (delivered < horizon)).then(delivered),
        refund_date=pl.when(pl.col("refunded") & (refund_day < horizon) & (delivered < horizon)).then(
            pl.max_horizontal(refund_day, pl.col("order_date") + pl.duration(days=1))),
    ).with_columns(
        refund_amount=pl.when(pl.col("refund_date").is_not_null())
        .then(((pl.col("unit_price") * pl.col("qty") - pl.col("discount")) * pl.col("refund_share")).round(2))
        .otherwise(0.0),
        status=pl.when(pl.col("cancelled")).then(pl.lit("cancelled"))
        .when(pl.col("refund_date").is_not_null()).then(pl.lit("refunded"))
        .when(pl.col("delivered_date").is_not_null()).then(pl.lit("delivered")).otherwise(pl.lit("shipped")),
    )
    return frame.select([pl.col(c).cast(t) for c, t in ORDER_LINES.items()])


def run(out: Path, end: date = END, **kwargs) -> tuple[dict[str, int], pl.DataFrame]:
    manifest = Manifest()
    orders = synthetic_orders(end, **{k: v for k, v in kwargs.items() if k in ("per_day", "seed")})
    rows = write_settlements(orders, start=START, end=end, seed=SEED, out=out, manifest=manifest,
                             rates=kwargs.get("rates"))
    return rows, manifest.frame()


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], pl.DataFrame]:
    out = tmp_path_factory.mktemp("settlements")
    rows, manifest = run(out)
    return out, rows, manifest


# --------------------------------------------------------------------------------------------------
# Reading the files back with standard readers.


def files(out: Path, pattern: str) -> list[Path]:
    return sorted((out / "settlements").glob(f"*/{pattern}"))


def read_amazon(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    return rows[0], rows[1:]


def read_alipay(path: Path) -> tuple[list[str], list[str], list[list[str]], list[str]]:
    """(comment lines before, header, data rows, comment lines after) of a GBK Alipay statement."""
    lines = path.read_bytes().decode("gbk").splitlines()
    head = [line for line in lines[:10] if line.startswith("#")]
    tail_start = max(i for i, line in enumerate(lines) if not line.startswith("#")) + 1
    rows = list(csv.reader(io.StringIO("\n".join(lines[len(head):tail_start]))))
    return head, rows[0], rows[1:], lines[tail_start:]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def shopify_name(order_id: int) -> str:
    """The order name (#1001) of a Shopify order id, as the orders file pairs them (id = BASE + n x 97)."""
    number, rest = divmod(order_id - 5_500_000_000_000, 97)
    assert rest == 0, order_id
    return f"#{number}"


def money(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


def strip_tab(text: str) -> str:
    return text.rstrip("\t")


def settled_events(out: Path) -> list[dict]:
    """Every order-level money row of every file: channel, kind, order, file date, row, principal, fee."""
    events: list[dict] = []
    for path in files(out, "amazon_settlement_*.txt"):
        _, rows = read_amazon(path)
        for number, row in enumerate(rows[1:], start=2):
            record = dict(zip(AMAZON_COLUMNS, row, strict=True))
            kind = "charge" if record["transaction-type"] == "Order" else "refund"
            amount = money(record["amount"])
            component = {("ItemPrice", "Principal"): "principal", ("Promotion", "Principal"): "promotion",
                         ("ItemFees", "Commission"): "commission",
                         ("ItemFees", "FBAPerUnitFulfillmentFee"): "fba"}[(record["amount-type"],
                                                                            record["amount-description"])]
            events.append({"channel": "amazon", "kind": kind, "order_no": record["order-id"],
                           "line": record["order-item-code"], "component": component, "amount": amount,
                           "file": path, "row": number, "day": date.fromisoformat(path.parent.name),
                           "currency": rows[0][5], "posted": date.fromisoformat(record["posted-date"])})
    for path in files(out, "shopify_balance_transactions_*.json"):
        for number, tx in enumerate(read_json(path)["transactions"], start=1):
            if tx["type"] not in ("charge", "refund"):
                continue
            base = {"channel": "shopify", "kind": tx["type"], "order_no": shopify_name(tx["source_order_id"]),
                    "line": "", "file": path, "row": number, "day": date.fromisoformat(path.parent.name),
                    "currency": tx["currency"]}
            events.append({**base, "component": "principal" if tx["type"] == "charge" else "refund",
                           "amount": money(tx["amount"])})
            if tx["type"] == "charge":
                events.append({**base, "component": "commission", "amount": -money(tx["fee"])})
    for path in files(out, "alipay_*.csv"):
        _, _, rows, _ = read_alipay(path)
        for number, row in enumerate(rows, start=1):
            record = dict(zip(ALIPAY_COLUMNS, row, strict=False))
            kind_component = {"交易付款": ("charge", "principal"), "服务费": ("charge", "commission"),
                              "交易退款": ("refund", "refund")}.get(record["业务类型"])
            if kind_component is None:
                continue
            amount = money(record["收入金额（+元）"]) - money(record["支出金额（-元）"])
            events.append({"channel": "tmall", "kind": kind_component[0], "component": kind_component[1],
                           "order_no": strip_tab(record["商户订单号"]).removeprefix("T200P"), "line": "",
                           "amount": amount, "file": path, "row": number,
                           "day": date.fromisoformat(path.parent.name), "currency": "CNY"})
    return events


# --------------------------------------------------------------------------------------------------
# The contract, recomputed from the order lines.


def commission(rate: float, amount: Decimal) -> Decimal:
    return (Decimal(str(rate)) * amount).quantize(CENT, rounding=ROUND_HALF_UP)


def fba_fee(unit_price: Decimal) -> Decimal:
    return next((fee for bound, fee in FBA_BANDS if unit_price < bound), FBA_TOP)


def settlement_day(channel: str, due: date) -> date:
    if channel != "amazon":
        return due
    offset = (due - date(2024, 1, 2)).days % 14
    return due - timedelta(days=offset) + timedelta(days=14)


def expected_charges(orders: pl.DataFrame) -> dict[tuple[str, str], dict]:
    """Per (channel, order): settlement day, principal, commission and (Amazon) FBA fees, from the contract."""
    expected: dict[tuple[str, str], dict] = {}
    for line in orders.filter(pl.col("delivered_date").is_not_null()).iter_rows(named=True):
        channel = by_id(CHANNELS, line["channel"])
        if channel.settlement_format is None:
            continue
        due = line["delivered_date"] + timedelta(days=channel.settlement_lag_days)
        amount = Decimal(str(line["unit_price"])) * line["qty"] - Decimal(str(line["discount"]))
        entry = expected.setdefault((channel.id, line["order_no"]), {
            "day": settlement_day(channel.id, due), "principal": Decimal(0), "commission": Decimal(0),
            "fba": Decimal(0), "lines": [], "currency": line["currency"], "due": due})
        entry["principal"] += amount
        entry["lines"].append(amount)
        if channel.id == "amazon":
            entry["commission"] += commission(channel.commission_rate, amount)
            entry["fba"] += fba_fee(Decimal(str(line["unit_price"]))) * line["qty"]
    for (channel_id, _), entry in expected.items():
        if channel_id != "amazon":
            entry["commission"] = commission(by_id(CHANNELS, channel_id).commission_rate, entry["principal"])
    return expected


def expected_refunds(orders: pl.DataFrame) -> dict[tuple[str, str, date], Decimal]:
    """Refund deductions per (channel, order, settlement day): the first settlement after the refund."""
    refunds: dict[tuple[str, str, date], Decimal] = defaultdict(Decimal)
    rows = orders.filter(pl.col("delivered_date").is_not_null() & (pl.col("refund_amount") > 0))
    for line in rows.iter_rows(named=True):
        channel = by_id(CHANNELS, line["channel"])
        if channel.settlement_format is None:
            continue
        due = line["delivered_date"] + timedelta(days=channel.settlement_lag_days)
        posted = max(line["refund_date"] + timedelta(days=1), due)
        refunds[(channel.id, line["order_no"], settlement_day(channel.id, posted))] += Decimal(
            str(line["refund_amount"]))
    return refunds


# --------------------------------------------------------------------------------------------------
# Formats.


def test_amazon_report_is_a_v2_flat_file_with_the_settlement_header_first(landing) -> None:
    out, rows_written, _ = landing
    paths = files(out, "amazon_settlement_*.txt")
    assert paths, "a 21-day run closes at least one Amazon settlement period"
    total_rows = 0
    for path in paths:
        header, rows = read_amazon(path)
        assert header == AMAZON_COLUMNS
        assert all(len(row) == len(AMAZON_COLUMNS) for row in rows)
        summary = dict(zip(AMAZON_COLUMNS, rows[0], strict=True))
        assert summary["settlement-id"] and all(r[0] == summary["settlement-id"] for r in rows)
        assert all(v == "" for k, v in summary.items() if k not in AMAZON_COLUMNS[:6])
        start = date.fromisoformat(summary["settlement-start-date"][:10])
        end = date.fromisoformat(summary["settlement-end-date"][:10])
        deposit = date.fromisoformat(summary["deposit-date"][:10])
        assert summary["settlement-end-date"].endswith(" UTC") and (end - start).days == 14
        assert deposit == end + timedelta(days=2) and path.parent.name == end.isoformat()
        body = rows[1:]
        assert body and all(r[1] == "" and r[4] == "" for r in body)
        assert money(summary["total-amount"]) == sum(money(r[14]) for r in body)
        kinds = {(r[6], r[12], r[13]) for r in body}
        assert {("Order", "ItemPrice", "Principal"), ("Order", "ItemFees", "Commission"),
                ("Order", "ItemFees", "FBAPerUnitFulfillmentFee"), ("Order", "Promotion", "Principal"),
                ("Refund", "ItemPrice", "Principal")} >= kinds >= {("Order", "ItemPrice", "Principal")}
        for record in (dict(zip(AMAZON_COLUMNS, r, strict=True)) for r in body):
            assert start <= date.fromisoformat(record["posted-date"]) < end
            assert record["posted-date-time"].startswith(record["posted-date"])
            assert len(record["order-item-code"]) == 14 and record["order-item-code"].isdigit()
            assert (record["adjustment-id"] != "") == (record["transaction-type"] == "Refund")
            assert (record["promotion-id"] != "") == (record["amount-type"] == "Promotion")
        total_rows += len(rows)
    assert rows_written["settlements/amazon_v2"] == total_rows


def test_shopify_payouts_and_transactions_are_api_shaped_json(landing) -> None:
    out, rows_written, _ = landing
    payout_paths = files(out, "shopify_payouts_*.json")
    assert len(payout_paths) >= 10
    n_transactions = 0
    for path in payout_paths:
        day = path.parent.name
        payouts = read_json(path)["payouts"]
        transactions = read_json(path.with_name(f"shopify_balance_transactions_{day}.json"))["transactions"]
        n_transactions += len(transactions)
        assert all(list(tx) == SHOPIFY_TRANSACTION_FIELDS for tx in transactions)
        assert {tx["type"] for tx in transactions} <= {"charge", "refund", "adjustment", "payout"}
        assert len({tx["id"] for tx in transactions}) == len(transactions)
        for payout in payouts:
            assert set(payout) == {"id", "status", "date", "currency", "amount", "summary"}
            assert payout["date"] == day and isinstance(payout["id"], int)
            own = [tx for tx in transactions if tx["payout_id"] == payout["id"]]
            assert all(tx["currency"] == payout["currency"] for tx in own)
            for tx in own:
                assert money(tx["net"]) == money(tx["amount"]) - money(tx["fee"])
                assert tx["processed_at"][19] in "+-" and tx["processed_at"][10] == "T"
                assert (tx["source_order_id"] is None) == (tx["type"] in ("adjustment", "payout"))
            closing = [tx for tx in own if tx["type"] == "payout"]
            assert len(closing) == 1 and own[-1] is closing[0]
            net = sum(money(tx["net"]) for tx in own if tx["type"] != "payout")
            assert money(payout["amount"]) == net == -money(closing[0]["amount"])
            summary = payout["summary"]
            charges = [tx for tx in own if tx["type"] == "charge"]
            assert money(summary["charges_gross_amount"]) == sum(money(tx["amount"]) for tx in charges)
            assert money(summary["charges_fee_amount"]) == sum(money(tx["fee"]) for tx in charges)
            assert money(summary["refunds_gross_amount"]) == sum(
                money(tx["amount"]) for tx in own if tx["type"] == "refund")
    assert {p["currency"] for path in payout_paths for p in read_json(path)["payouts"]} == {"EUR", "GBP"}
    assert rows_written["settlements/shopify_transactions"] == n_transactions


def test_alipay_statement_is_gbk_csv_with_comment_lines_and_a_running_balance(landing) -> None:
    out, rows_written, _ = landing
    paths = files(out, "alipay_*.csv")
    assert len(paths) >= 8
    previous_balance = None
    n_rows = 0
    for path in paths:
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")  # really GBK, not UTF-8 that happens to be ASCII
        head, header, rows, tail = read_alipay(path)
        assert head[0] == "#支付宝账务明细查询" and head[1].startswith("#账号：[2088")
        assert header == [*ALIPAY_COLUMNS, ""]  # Alipay's trailing comma
        assert tail and all(line.startswith("#") for line in tail)
        n_rows += len(rows)
        for row in rows:
            record = dict(zip(ALIPAY_COLUMNS, row, strict=False))
            balance = money(record["账户余额（元）"])
            opening = balance - money(record["收入金额（+元）"]) + money(record["支出金额（-元）"])
            if previous_balance is not None:
                assert opening == previous_balance
            previous_balance = balance
            assert record["账务流水号"].endswith("\t") and record["发生时间"].startswith(path.parent.name)
            assert record["业务类型"] in ("交易付款", "服务费", "交易退款", "提现")
        income = sum(money(r[6]) for r in rows)
        assert f"共{income:.2f}元" in next(line for line in tail if line.startswith("#收入合计"))
    assert rows_written["settlements/alipay_bill"] == n_rows


# --------------------------------------------------------------------------------------------------
# Money and dates.


def planted(manifest: pl.DataFrame, kind: str) -> set[tuple[str, str]]:
    return {(r["channel"], r["order_no"]) for r in manifest.filter(pl.col("type") == kind).iter_rows(named=True)}


def test_clean_orders_settle_at_the_order_amount_and_contracted_fees_when_due(landing) -> None:
    out, _, manifest = landing
    expected = expected_charges(synthetic_orders(END))
    altered = planted(manifest, "short_payment") | planted(manifest, "wrong_commission")
    missing = planted(manifest, "missing_settlement")
    settled: dict[tuple[str, str], dict] = {}
    for event in (e for e in settled_events(out) if e["kind"] == "charge"):
        entry = settled.setdefault((event["channel"], event["order_no"]), defaultdict(Decimal))
        entry[event["component"]] += event["amount"]
        entry.setdefault("days", set()).add(event["day"])
    due = {key: e for key, e in expected.items() if e["day"] < END}
    assert set(settled) == set(due) - missing, "every order due in the horizon is settled once, no other"
    checked = 0
    for key, entry in settled.items():
        want = due[key]
        assert entry["days"] == {want["day"]}, f"{key} settled on {entry['days']}, due {want['day']}"
        if key in altered:
            continue
        assert entry["principal"] + entry["promotion"] == want["principal"], key
        assert -entry["commission"] == want["commission"], key
        assert -entry["fba"] == want["fba"], key
        checked += 1
    assert checked > 1_000
    not_yet_due = [key for key, e in expected.items() if e["day"] >= END]
    assert not_yet_due and not set(not_yet_due) & set(settled), "money due after the horizon is not settled"


def test_refunds_are_deducted_in_the_first_settlement_after_the_refund(landing) -> None:
    out, _, manifest = landing
    orders = synthetic_orders(END)
    expected = {k: v for k, v in expected_refunds(orders).items() if k[2] < END}
    not_deducted = planted(manifest, "refund_not_deducted")
    deducted: dict[tuple[str, str, date], Decimal] = defaultdict(Decimal)
    for event in (e for e in settled_events(out) if e["kind"] == "refund"):
        deducted[(event["channel"], event["order_no"], event["day"])] += event["amount"]
    want = {k: -v for k, v in expected.items() if (k[0], k[1]) not in not_deducted}
    assert deducted == want
    refund_dates = {(r["channel"], r["order_no"]): r["refund_date"]
                    for r in orders.filter(pl.col("refund_amount") > 0).iter_rows(named=True)}
    assert all(day > refund_dates[(channel, order)] for channel, order, day in deducted)
    assert len(deducted) > 50


# --------------------------------------------------------------------------------------------------
# Planted errors.


def test_every_planted_error_is_in_the_files_exactly_as_the_manifest_says(landing) -> None:
    out, _, manifest = landing
    assert set(manifest["type"]) == {"missing_settlement", "short_payment", "wrong_commission",
                                     "refund_not_deducted"}
    assert manifest["domain"].unique().to_list() == ["settlement"]
    orders = synthetic_orders(END)
    charges = expected_charges(orders)
    refunds = expected_refunds(orders)
    events = settled_events(out)
    for item in manifest.iter_rows(named=True):
        path = out / item["file"]
        assert path.is_file() and path.parent.name == item["date"].isoformat()
        key = (item["channel"], item["order_no"])
        charge = charges[key]
        amount = Decimal(str(item["expected_amount"]))
        assert item["currency"] == charge["currency"]
        here = [e for e in events if e["file"] == path and e["order_no"] == item["order_no"]]
        if item["type"] == "missing_settlement":
            assert item["row"] is None and charge["day"] == item["date"]
            assert not [e for e in events if (e["channel"], e["order_no"]) == key and e["kind"] == "charge"]
            assert amount == -charge["principal"]
        elif item["type"] == "refund_not_deducted":
            assert item["row"] is None
            assert refunds[(*key, item["date"])] == amount > 0
            assert not [e for e in here if e["kind"] == "refund"]
        else:
            component = "principal" if item["type"] == "short_payment" else "commission"
            row = [e for e in here if e["row"] == item["row"] and e["component"] == component]
            assert len(row) == 1 and row[0]["kind"] == "charge"
            if item["type"] == "short_payment":
                # The short row is the order's first item; the order as a whole is short by the amount.
                paid = sum(e["amount"] for e in here if e["component"] in ("principal", "promotion"))
                assert paid - charge["principal"] == amount < 0
            else:
                fees = -sum(e["amount"] for e in here if e["component"] == "commission")
                assert charge["commission"] - fees == amount != 0
            field = {"amazon": "amount", "shopify": "amount" if component == "principal" else "fee",
                     "tmall": "收入金额（+元）" if component == "principal" else "支出金额（-元）"}
            assert item["field"] == field[item["channel"]]


def test_error_rates_are_parameters(tmp_path: Path) -> None:
    _, none = run(tmp_path / "none", rates=SettlementErrorRates(guaranteed_per_settlement=0, extra_per_type=0.0))
    _, many = run(tmp_path / "many", rates=SettlementErrorRates(guaranteed_per_settlement=1, extra_per_type=1.0))
    assert none.height == 0
    assert many.height > 3 * 40


# --------------------------------------------------------------------------------------------------
# Determinism and scale.


def digest(out: Path, before: date | None = None) -> dict[str, str]:
    root = out / "settlements"
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file() and (before is None or p.parent.name < before.isoformat())
    }


def test_same_arguments_give_byte_identical_files(landing, tmp_path: Path) -> None:
    out, _, manifest = landing
    _, again = run(tmp_path)
    assert digest(tmp_path) == digest(out)
    assert again.equals(manifest)


def test_files_do_not_depend_on_the_order_of_the_input_rows(landing, tmp_path: Path) -> None:
    out, _, manifest = landing
    shuffled = synthetic_orders(END).sample(fraction=1.0, shuffle=True, seed=3)
    again = Manifest()
    write_settlements(shuffled, start=START, end=END, seed=SEED, out=tmp_path, manifest=again)
    assert digest(tmp_path) == digest(out)
    assert again.frame().equals(manifest)


def test_a_longer_run_leaves_every_earlier_settlement_unchanged(landing, tmp_path: Path) -> None:
    """What --append relies on: the files of day d depend only on days <= d."""
    out, _, manifest = landing
    cut = START + timedelta(days=14)
    _, shorter = run(tmp_path, end=cut)
    assert digest(tmp_path) == digest(out, before=cut)
    assert shorter.drop("anomaly_id").equals(manifest.filter(pl.col("date") < cut).drop("anomaly_id"))


def test_volume_scales_with_orders_per_day(tmp_path: Path) -> None:
    small, _ = run(tmp_path / "small", per_day=100)
    large, _ = run(tmp_path / "large", per_day=300)
    for source in ("settlements/amazon_v2", "settlements/shopify_transactions", "settlements/alipay_bill"):
        assert 2.4 < large[source] / small[source] < 3.6, source


# --------------------------------------------------------------------------------------------------
# The real business: settlements written by `simulate()` agree with the channels' own order files.


def _latest_orders_by_file(paths: list[Path], read) -> dict[str, Decimal]:
    """Order total per order id from the first file whose rows of that order all parse."""
    totals: dict[str, Decimal] = {}
    for path in paths:
        per_file: dict[str, Decimal] = defaultdict(Decimal)
        broken: set[str] = set()
        for order_id, amount in read(path):
            if amount is None:
                broken.add(order_id)
            else:
                per_file[order_id] += amount
        for order_id, total in per_file.items():
            if order_id not in broken:
                totals.setdefault(order_id, total)
    return totals


def _shopify_orders(path: Path):
    for order in read_json(path)["orders"]:
        yield str(order["id"]), money(order["total_price"])


def _tmall_orders(path: Path):
    text = path.read_bytes().decode("gbk", errors="replace")
    for row in csv.DictReader(io.StringIO(text)):
        try:
            yield row["订单编号"], Decimal(row["实付金额"])
        except (ArithmeticError, TypeError, KeyError):
            yield row.get("订单编号") or "", None


def test_simulated_settlements_match_the_channels_order_files(sim_run) -> None:
    out, summary = sim_run
    manifest = pl.read_parquet(out / "_manifest" / "anomalies.parquet").filter(pl.col("domain") == "settlement")
    assert set(manifest["type"]) == {"missing_settlement", "short_payment", "wrong_commission",
                                     "refund_not_deducted"}
    assert summary.rows["settlements/shopify_transactions"] > 0 and summary.rows["settlements/alipay_bill"] > 0
    shopify_totals = _latest_orders_by_file(sorted(out.glob("orders_shopify/*/*.json")), _shopify_orders)
    tmall_totals = _latest_orders_by_file(sorted(out.glob("orders_tmall/*/*.csv")), _tmall_orders)
    errors = {(r["file"], r["row"]): r for r in manifest.iter_rows(named=True) if r["row"] is not None}
    checked = 0
    for path in files(out, "shopify_balance_transactions_*.json"):
        for number, tx in enumerate(read_json(path)["transactions"], start=1):
            if tx["type"] not in ("charge", "refund"):
                continue
            order_id = str(tx["source_order_id"])
            assert order_id in shopify_totals, f"{path.name} row {number}: order {order_id} is in no orders file"
            if tx["type"] != "charge":
                continue
            total = shopify_totals[order_id]
            error = errors.get((path.relative_to(out).as_posix(), number))
            short = Decimal(str(error["expected_amount"])) if error and error["type"] == "short_payment" else 0
            assert money(tx["amount"]) == total + short
            if not (error and error["type"] == "wrong_commission"):
                assert money(tx["fee"]) == commission(0.029, total)
            checked += 1
    for path in files(out, "alipay_*.csv"):
        _, _, rows, _ = read_alipay(path)
        for number, row in enumerate(rows, start=1):
            record = dict(zip(ALIPAY_COLUMNS, row, strict=False))
            if record["业务类型"] not in ("交易付款", "服务费"):
                continue
            order_no = strip_tab(record["商户订单号"]).removeprefix("T200P")
            if order_no not in tmall_totals:
                continue  # its lines sit in a malformed row of every file it appears in
            total = tmall_totals[order_no]
            error = errors.get((path.relative_to(out).as_posix(), number))
            if record["业务类型"] == "交易付款":
                short = Decimal(str(error["expected_amount"])) if error else 0
                assert money(record["收入金额（+元）"]) == total + short
            elif not error:
                assert money(record["支出金额（-元）"]) == commission(0.05, total)
            checked += 1
    assert checked > 200

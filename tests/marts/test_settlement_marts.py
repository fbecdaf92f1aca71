"""The channel settlement marts against the simulator's ground truth.

A simulated business of three weeks (so Amazon's 14-day settlement period closes once, next to daily
Shopify payouts and Alipay statements) is loaded by the real loader and built by `dbt build`. The
manifest names every planted settlement error with its order, settlement date and signed amount, so
the reconciliation must flag exactly those, with those amounts, and call nothing else an exception.
A mart that computed a contract term wrongly (commission rounding, the FBA fee band, the due date)
would flag clean orders, so "nothing clean flagged" checks every term on hundreds of orders.
Every source is loaded and the order-margin mart is built too: this is the business on which an Amazon
settlement has deducted refunds, the one place the margin takes a refund amount from a settlement.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from margin_truth import MARGIN_REFUND_SQL, order_lines, refund_problems, refund_summary, refunds_side_by_side
from marts_dbt import dbt
from test_settlement_statuses import accepted_statuses

pytestmark = pytest.mark.slow

START = date(2026, 10, 1)
DAYS = 21  # past the close of the Amazon period [Oct 6, Oct 20): one Amazon settlement is written
SETTLEMENT_TYPES = ("missing_settlement", "short_payment", "wrong_commission", "refund_not_deducted")
# The mart's status for each planted type, which row (sale or refund) shows it, and which column holds
# the manifest's expected_amount (settled - expected). A refund not deducted is +the refund where the
# channel's order export carries the refunded amount; Amazon's order report does not, so there the mart
# knows the order and settlement but not the sum (variance null).
STATUS = {"missing_settlement": "missing_settlement", "short_payment": "short_paid",
          "wrong_commission": "fee_mismatch", "refund_not_deducted": "refund_not_deducted"}
KIND = {"missing_settlement": "sale", "short_payment": "sale", "wrong_commission": "sale",
        "refund_not_deducted": "refund"}
AMOUNT_COLUMN = {"missing_settlement": "variance", "short_payment": "principal_variance",
                 "wrong_commission": "commission_variance", "refund_not_deducted": "variance"}
REFUND_AMOUNT_CHANNELS = {"shopify", "tmall"}  # their order exports carry the refunded amount
SELECTOR = ["--select", "+fct_settlement_reconciliation", "+rpt_channel_reconciliation_daily"]
# the margin mart too (so every source is loaded: costs, freight, stock); its data tests run on conftest's business
MARGIN_SELECTOR = ["--select", "+fct_order_margin"]
KEY = ["channel", "order_no", "currency", "settlement_kind", "settlement_date"]


@dataclass(frozen=True)
class SettledBusiness:
    landing: Path
    dbt_dir: Path


@pytest.fixture(scope="module")
def settled_business(tmp_path_factory: pytest.TempPathFactory, ch_client, dbt_environment) -> Iterator[SettledBusiness]:
    """Simulate three weeks, load every source day by day, build the settlement marts, run the margin mart."""
    from ingestion.load import load_date
    from simulator import simulate

    root = tmp_path_factory.mktemp("settlement-marts")
    landing = root / "landing"
    simulate(landing, start=START, days=DAYS, orders_per_day=300, seed=7, skus=200)
    # start `raw` empty so other tests' loads cannot leak in
    for (table,) in ch_client.query("select name from system.tables where database = 'raw'").result_rows:
        ch_client.command(f"DROP TABLE IF EXISTS raw.`{table}`")
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        for report in load_date(ch_client, landing, day):
            # order exports carry a few planted bad rows (quarantined by design); settlements and waybills none
            assert report.balanced and not report.errors, (report.source, day, report.errors)
            if not report.source.startswith("orders_"):
                assert report.rows_quarantined == 0, (report.source, day)

    built = SettledBusiness(landing=landing, dbt_dir=root / "dbt")
    result = dbt(["build", *SELECTOR, "--full-refresh"], built.dbt_dir)
    assert result.success, result.failures
    margin = dbt(["run", *MARGIN_SELECTOR, "--full-refresh"], built.dbt_dir)
    assert margin.success, margin.failures
    yield built


def frame(client, sql: str) -> pl.DataFrame:
    return pl.from_arrow(client.query_arrow(sql))


def planted(landing: Path) -> pl.DataFrame:
    manifest = pl.read_parquet(landing / "_manifest" / "anomalies.parquet")
    return manifest.filter(pl.col("type").is_in(SETTLEMENT_TYPES)).select(
        "type", "channel", "order_no", "currency", pl.col("date").alias("settlement_date"),
        pl.col("type").replace_strict(KIND).alias("settlement_kind"),
        pl.col("expected_amount").round(2).alias("expected_amount"), "file", "row",
    )


def reconciliation(client) -> pl.DataFrame:
    return frame(client, """
        select channel, order_no, currency, settlement_kind, settlement_date, status, is_exception,
               expected_settlement_date, settled_through,
               toFloat64(variance) as variance, toFloat64(principal_variance) as principal_variance,
               toFloat64(commission_variance) as commission_variance,
               toFloat64(fulfilment_fee_variance) as fulfilment_fee_variance,
               toFloat64(expected_refund) as expected_refund, toFloat64(refund_variance) as refund_variance,
               source_file, source_row
        from marts.fct_settlement_reconciliation
    """).with_columns(pl.col(c).round(2) for c in ("variance", "principal_variance", "commission_variance",
                                                   "fulfilment_fee_variance", "expected_refund",
                                                   "refund_variance"))


def right_amount(row: dict, kind: str) -> bool:
    column = AMOUNT_COLUMN[kind]
    if kind == "refund_not_deducted" and row["channel"] not in REFUND_AMOUNT_CHANNELS:
        return row["variance"] is None
    return row[column] is not None and abs(row[column] - row["expected_amount"]) < 0.005


def precision_recall(items: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Per planted type: planted, flagged with the type's status, found (right row, status and amount),
    precision and recall; plus a `clean` row for exceptions no planted item explains."""
    joined = items.join(rows, on=KEY, how="left")
    table = []
    for kind in SETTLEMENT_TYPES:
        of_kind = joined.filter(pl.col("type") == kind)
        found = [r for r in of_kind.iter_rows(named=True) if r["status"] == STATUS[kind] and right_amount(r, kind)]
        flagged = rows.filter(pl.col("status") == STATUS[kind])
        table.append({
            "type": kind, "planted": of_kind.height, "flagged": flagged.height, "found_right_amount": len(found),
            "precision": len(found) / flagged.height if flagged.height else 1.0,
            "recall": len(found) / of_kind.height if of_kind.height else 1.0,
        })
    clean_flagged = rows.filter(pl.col("is_exception")).join(items, on=KEY, how="anti").height
    table.append({"type": "clean", "planted": 0, "flagged": clean_flagged, "found_right_amount": 0,
                  "precision": 0.0 if clean_flagged else 1.0, "recall": 1.0})
    return pl.DataFrame(table)


def test_reconciliation_flags_exactly_the_planted_errors(settled_business, ch_client) -> None:
    items = planted(settled_business.landing)
    rows = reconciliation(ch_client)
    table = precision_recall(items, rows)
    with pl.Config(tbl_rows=10, tbl_cols=10, tbl_width_chars=160):
        print("\nsettlement reconciliation flags vs the manifest\n", table)

    # the run must contain every type (and Amazon's period settlement), or 100% would prove little
    planted_by_type = dict(zip(table["type"], table["planted"], strict=True))
    assert all(planted_by_type[t] >= 1 for t in SETTLEMENT_TYPES), planted_by_type
    assert set(items["channel"]) == {"amazon", "shopify", "tmall"}, items["channel"].unique()
    assert table["precision"].to_list() == [1.0] * table.height, table
    assert table["recall"].to_list() == [1.0] * table.height, table

    # statuses the simulator never plants must not appear at all
    assert rows.filter(pl.col("status").is_in(["over_paid", "unexpected_settlement", "refund_mismatch"])).height == 0
    planted_refunds = items.filter(pl.col("type") == "refund_not_deducted")
    assert set(planted_refunds["channel"]) & REFUND_AMOUNT_CHANNELS, "no refund amount was put to the test"


def test_deducted_refunds_equal_the_exported_refund_amounts(settled_business, ch_client) -> None:
    """Every refund a settlement deducted equals, to the cent, the refunded amount of the order export."""
    refunds = reconciliation(ch_client).filter((pl.col("settlement_kind") == "refund")
                                               & (pl.col("status") == "matched"))
    known = refunds.filter(pl.col("channel").is_in(sorted(REFUND_AMOUNT_CHANNELS)))
    assert set(known["channel"]) == REFUND_AMOUNT_CHANNELS, refunds.group_by("channel").len()
    assert known["expected_refund"].null_count() == 0 and (known["expected_refund"] < 0).all(), known
    assert (known["refund_variance"] == 0).all(), known.filter(pl.col("refund_variance") != 0)
    # Amazon's order report has no refund amount: its refunds are known by date only
    assert refunds.filter(pl.col("channel") == "amazon")["expected_refund"].null_count() == \
        refunds.filter(pl.col("channel") == "amazon").height


def test_altered_rows_point_at_the_planted_file_and_row(settled_business, ch_client) -> None:
    """A short payment is evidenced by the principal row the manifest names (file and 1-based row)."""
    items = planted(settled_business.landing).filter(pl.col("type") == "short_payment")
    shown = items.join(reconciliation(ch_client), on=KEY, how="left")
    assert shown.height >= 1
    assert (shown["source_file"] == shown["file"]).all(), shown.select("file", "source_file")
    assert (shown["source_row"].cast(pl.Int64) == shown["row"]).all(), shown.select("row", "source_row")


def test_money_not_yet_due_is_never_missing(settled_business, ch_client) -> None:
    rows = reconciliation(ch_client)
    pending = rows.filter(pl.col("status") == "not_yet_due")
    # the horizon cuts through every channel's pipeline of delivered-but-unpaid orders
    assert set(pending["channel"]) == {"amazon", "shopify", "tmall"}
    assert (pending["expected_settlement_date"] > pending["settled_through"]).all()
    due = rows.filter(pl.col("expected_settlement_date").is_not_null()
                      & (pl.col("expected_settlement_date") <= pl.col("settled_through")))
    assert due.filter(pl.col("status") == "not_yet_due").height == 0
    # Amazon pays in 14-day periods: only the period closing 2026-10-20 is inside the horizon
    amazon_paid = rows.filter((pl.col("channel") == "amazon") & (pl.col("status") == "matched"))
    assert amazon_paid.height > 0 and set(amazon_paid["settlement_date"]) == {date(2026, 10, 20)}


def test_daily_report_adds_up_to_the_fact(settled_business, ch_client) -> None:
    report = frame(ch_client, """
        select channel, sum(sales + refunds) as rows, sum(missing_settlement_count) as missing,
               sum(short_paid_count) as short, sum(fee_mismatch_count) as fee,
               sum(refund_not_deducted_count) as refund, toFloat64(sum(short_paid_amount)) as short_amount,
               toFloat64(sum(missing_settlement_amount)) as missing_amount,
               toFloat64(sum(fee_mismatch_amount)) as fee_amount, toFloat64(sum(settled_net)) as settled_net
        from marts.rpt_channel_reconciliation_daily group by channel order by channel""")
    settled = frame(ch_client, """
        select channel, toFloat64(sum(amount)) as settled_net
        from raw.settlements
        where order_no is not null and transaction_type not in ('summary', 'payout', 'payout_report', 'adjustment')
        group by channel order by channel""")
    fact_rows = frame(ch_client, "select channel, count() as rows from marts.fct_settlement_reconciliation"
                                 " group by channel order by channel")
    assert report["rows"].to_list() == fact_rows["rows"].to_list()
    # every cent the settlements paid against an order is in the report, none twice
    assert report["channel"].to_list() == settled["channel"].to_list()
    for got, want in zip(report["settled_net"], settled["settled_net"], strict=True):
        assert abs(got - want) < 0.005, (report, settled)

    items = planted(settled_business.landing)
    for channel_row in report.iter_rows(named=True):
        of_channel = items.filter(pl.col("channel") == channel_row["channel"])

        def count(kind: str, of_channel: pl.DataFrame = of_channel) -> int:
            return of_channel.filter(pl.col("type") == kind).height

        def amount(kind: str, of_channel: pl.DataFrame = of_channel) -> float:
            return of_channel.filter(pl.col("type") == kind)["expected_amount"].sum()

        assert channel_row["missing"] == count("missing_settlement")
        assert channel_row["short"] == count("short_payment")
        assert channel_row["fee"] == count("wrong_commission")
        assert channel_row["refund"] == count("refund_not_deducted")
        assert abs(channel_row["missing_amount"] - amount("missing_settlement")) < 0.005
        assert abs(channel_row["short_amount"] - amount("short_payment")) < 0.005
        assert abs(channel_row["fee_amount"] - amount("wrong_commission")) < 0.005


def test_report_status_counts_add_up_to_the_fact(settled_business, ch_client) -> None:
    """Per channel and settlement day, each status's count in the report is the fact's number of rows with
    that status (a status the report did not list would be missing here), and the counts add up to the rows."""
    statuses = sorted(accepted_statuses())
    fact = frame(ch_client, """
        select channel, settlement_date, status, count() as rows
        from marts.fct_settlement_reconciliation group by all""")
    report = frame(ch_client, "select channel, settlement_date, "
                              + ", ".join(f"sum({s}_count) as {s}" for s in statuses)
                              + ", sum(sales + refunds) as rows from marts.rpt_channel_reconciliation_daily"
                                " group by channel, settlement_date")
    report_long = report.unpivot(index=["channel", "settlement_date"], on=statuses, variable_name="status",
                                 value_name="report_rows")
    both = report_long.join(fact, on=["channel", "settlement_date", "status"], how="full", coalesce=True)
    both = both.with_columns(pl.col("rows").fill_null(0), pl.col("report_rows").fill_null(-1))
    assert both.filter(pl.col("rows") != pl.col("report_rows")).is_empty(), \
        both.filter(pl.col("rows") != pl.col("report_rows"))
    per_day = fact.group_by("channel", "settlement_date").agg(pl.col("rows").sum().alias("fact_rows"))
    added = report.join(per_day, on=["channel", "settlement_date"], how="full", coalesce=True)
    assert (added["rows"] == added["fact_rows"]).all() and added.height > 20
    assert {"matched", "not_yet_due", "refund_not_deducted"} <= set(fact["status"])


def test_margin_refunds_follow_the_order_record_then_the_settlement(settled_business, ch_client) -> None:
    """On the margin mart of this business, refunds are the simulator's to the cent, and an Amazon partial
    refund (its order report states no amount) takes the amount its settlement deducted, and one no
    settlement has deducted (not due yet, or planted as not deducted) stays pending."""
    lines = order_lines(settled_business.landing)
    both = refunds_side_by_side(settled_business.landing, lines, frame(ch_client, MARGIN_REFUND_SQL))
    with pl.Config(tbl_rows=30):
        print(refund_summary(both))
    problems = {rule: rows for rule, rows in refund_problems(both).items() if not rows.is_empty()}
    assert not problems, problems
    amazon = both.filter(pl.col("channel") == "amazon")
    assert {"return", "settlement", "pending"} <= set(amazon["refund_basis"]), amazon.group_by("refund_basis").len()
    assert amazon.filter(pl.col("refund_basis") == "settlement")["mart_cents"].sum() > 0


def test_amounts_convert_to_the_base_currency(settled_business, ch_client) -> None:
    """Every row carries the settlement day's rate; base amounts are the settlement-currency ones times it."""
    rows = frame(ch_client, """
        select currency, fx_rate_to_base, toFloat64(variance) as variance, toFloat64(variance_base) as variance_base,
               toFloat64(settled_net) as settled_net, toFloat64(settled_net_base) as settled_net_base
        from marts.fct_settlement_reconciliation""")
    assert set(rows["currency"]) >= {"CNY", "EUR", "GBP", "USD"}
    assert (rows.filter(pl.col("currency") == "CNY")["fx_rate_to_base"] == 1.0).all()
    assert (rows.filter(pl.col("currency") != "CNY")["fx_rate_to_base"] > 1.0).all()  # EUR, GBP, USD > 1 CNY
    known = rows.filter(pl.col("variance").is_not_null())
    assert ((known["variance_base"] - known["variance"] * known["fx_rate_to_base"]).abs() < 0.0001).all()
    assert ((rows["settled_net_base"] - rows["settled_net"] * rows["fx_rate_to_base"]).abs() < 0.0001).all()


DAILY_MARTS = ("fct_settlement_reconciliation", "rpt_channel_reconciliation_daily")


def checksums(client) -> dict[str, tuple[int, int]]:
    return {table: tuple(client.query(f"select count(), sum(cityHash64(*)) from marts.{table}").result_rows[0])
            for table in DAILY_MARTS}


def active_partitions(client) -> set[tuple[str, str, str]]:
    rows = client.query("select table, partition, name from system.parts where active and database = 'marts'"
                        " and table in {tables:Array(String)}", parameters={"tables": list(DAILY_MARTS)}).result_rows
    return {tuple(r) for r in rows}


# The nightly runs read the order exports of these many days before their window only: the simulated
# channels settle within it (Amazon pays at most 14 + 14 days after delivery, and the order's latest
# export can be its shipping, a few days earlier; 16 days is too short and this test fails). The
# business is shorter than 30 days, so here the bound does not cut; the margin's day-by-day test runs
# the same bounded read of the exports with a bound that does.
BOUNDED = {"order_lookback_days": 30}


def test_day_by_day_incremental_equals_full_refresh(settled_business, ch_client) -> None:
    """A first window, T-1 runs one day at a time (one twice), then the tail give the full build's marts;
    the T-1 runs read only the order exports of BOUNDED days before their day."""
    full = checksums(ch_client)
    assert all(count > 0 for count, _ in full.values()), full
    for table in DAILY_MARTS:
        ch_client.command(f"DROP TABLE marts.{table}")
    end = START + timedelta(days=DAYS)
    days = [end - timedelta(days=n) for n in (3, 2, 1)]

    first = dbt(["run", *SELECTOR], settled_business.dbt_dir, {"min_date": "2000-01-01", "max_date": str(days[0])})
    assert first.success, first.failures
    assert all(checksums(ch_client)[t][0] < full[t][0] for t in DAILY_MARTS)

    for day in [*days, days[1]]:  # one day twice: a re-run changes nothing
        before = active_partitions(ch_client)
        run = dbt(["run", *SELECTOR], settled_business.dbt_dir,
                  {"min_date": str(day), "max_date": str(day + timedelta(days=1)), **BOUNDED})
        assert run.success, (day, run.failures)
        new_parts = {(table, partition) for table, partition, _ in active_partitions(ch_client) - before}
        # a T-1 run replaces that day's partition of each daily mart and leaves every other part alone
        assert new_parts == {(t, str(day)) for t in DAILY_MARTS}, (day, new_parts)

    # money due after the horizon sits in future partitions: the tail window brings them in
    tail = dbt(["run", *SELECTOR], settled_business.dbt_dir, {"min_date": str(end), "max_date": "2100-01-01", **BOUNDED})
    assert tail.success, tail.failures
    assert checksums(ch_client) == full

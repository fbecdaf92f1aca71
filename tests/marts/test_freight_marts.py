"""The freight marts against the simulator's ground truth: every planted billing error found, with its amount.

A simulated business of its own (24 days from a Monday, so it holds weekly bills, a monthly bill, a rate
card change inside a weekly period and a re-sent bill file) is loaded by the real loader and built by
`dbt build`. The manifest says which bill lines are wrong and by how much (billed - contract), so the
audit must flag exactly those lines with exactly that dispute amount, flag nothing else, and accrue
exactly the parcels the carriers left off their bills.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from marts_dbt import dbt

pytestmark = pytest.mark.slow

START = date(2026, 9, 21)  # a Monday: weekly bills from the first day, the September monthly bill on 10-05
DAYS = 24
# fx_rates: the marts restate every amount in the base currency at the ship date's rate
FREIGHT_SOURCES = ("shipments", "rate_cards", "carrier_bills", "fx_rates")
FREIGHT_RAW_TABLES = ("shipments", "rate_cards", "carrier_bill_lines", "fx_rates")
FREIGHT_MODELS = "+fct_freight_audit +fct_unbilled_shipments +rpt_freight_reconciliation"

# planted type -> the audit flag that must catch it (line-level types)
LINE_FLAGS = {
    "duplicate_bill_line": "is_duplicate_line",
    "overcharged_rate": "is_rate_mismatch",
    "inflated_weight": "is_weight_discrepancy",
    "wrong_zone": "is_zone_mismatch",
    "surcharge_not_in_contract": "is_surcharge_not_in_contract",
    "billed_not_shipped": "is_billed_not_shipped",
    "currency_error": "is_currency_mismatch",
}
ALL_FLAGS = (*LINE_FLAGS.values(), "is_duplicate_file")
LINE_KEY = ["source_file", "bill_line_id"]


@dataclass(frozen=True)
class FreightBusiness:
    landing: Path
    dbt_dir: Path


@pytest.fixture(scope="module")
def freight(tmp_path_factory: pytest.TempPathFactory, ch_client, dbt_environment) -> Iterator[FreightBusiness]:
    """Simulate, load the freight sources day by day, and build the freight marts from scratch."""
    from ingestion.load import load_date
    from simulator import simulate

    root = tmp_path_factory.mktemp("freight")
    landing = root / "landing"
    # seed 7 plants a foreign surcharge bigger than twice its cheap parcel: not a currency error
    simulate(landing, start=START, days=DAYS, orders_per_day=300, seed=7, skus=200)
    for table in FREIGHT_RAW_TABLES:  # only this business's parcels, cards and bills
        ch_client.command(f"DROP TABLE IF EXISTS raw.`{table}`")
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        sources = [s for s in FREIGHT_SOURCES if (landing / s / day.isoformat()).is_dir()]
        for report in load_date(ch_client, landing, day, sources=sources):
            assert report.balanced and not report.errors, (report.source, day, report.errors)
            assert report.rows_quarantined == 0, (report.source, day)
    built = FreightBusiness(landing=landing, dbt_dir=root / "dbt")
    result = dbt(["build", "--full-refresh", "--select", *FREIGHT_MODELS.split()], built.dbt_dir)
    assert result.success, result.failures
    yield built


def frame(client, sql: str) -> pl.DataFrame:
    return pl.from_arrow(client.query_arrow(sql))


def planted(landing: Path) -> pl.DataFrame:
    manifest = pl.read_parquet(landing / "_manifest" / "anomalies.parquet")
    return manifest.filter(pl.col("source") == "carrier_bills").with_columns(  # exact cents, not floats
        pl.col("expected_amount").map_elements(lambda v: Decimal(f"{v:.2f}"), return_dtype=pl.Decimal(18, 2)))


def audit_lines(client) -> pl.DataFrame:
    flags = ", ".join(ALL_FLAGS)
    return frame(client, f"select carrier, source_file, bill_line_id, waybill_no, bill_date, billing_period_start,"
                         f" billed_charge, expected_charge, variance, dispute_amount, is_flagged, {flags}"
                         f" from marts.fct_freight_audit")


def precision_recall(items: pl.DataFrame, lines: pl.DataFrame, unbilled: pl.DataFrame) -> pl.DataFrame:
    """Per planted type: planted, flagged, found with the right amount, precision and recall; plus a
    `clean` row counting flagged lines that no planted item explains."""
    rows = []
    for kind, flag in LINE_FLAGS.items():
        of_kind = items.filter(pl.col("type") == kind).select(
            pl.col("file").alias("source_file"), "bill_line_id", "expected_amount")
        joined = of_kind.join(lines, on=LINE_KEY, how="left")
        found = joined.filter(pl.col(flag).fill_null(False) & (pl.col("dispute_amount") == pl.col("expected_amount")))
        flagged = lines.filter(pl.col(flag))
        right = flagged.join(of_kind, on=LINE_KEY, how="inner").filter(
            pl.col("dispute_amount") == pl.col("expected_amount"))
        rows.append(_row(kind, of_kind.height, flagged.height, found.height, right.height))

    files = items.filter(pl.col("type") == "duplicate_bill_file").select(
        pl.col("file").alias("source_file"), "expected_amount")
    per_file = lines.group_by("source_file").agg(
        pl.col("is_duplicate_file").all().alias("all_flagged"), pl.col("is_duplicate_file").any().alias("any_flagged"),
        pl.col("dispute_amount").sum().alias("dispute"))
    found_files = files.join(per_file, on="source_file", how="left").filter(
        pl.col("all_flagged").fill_null(False) & (pl.col("dispute") == pl.col("expected_amount")))
    flagged_files = per_file.filter(pl.col("any_flagged"))
    right_files = flagged_files.join(found_files.select("source_file"), on="source_file", how="inner")
    rows.append(_row("duplicate_bill_file", files.height, flagged_files.height, found_files.height,
                     right_files.height))

    missing = items.filter(pl.col("type") == "shipped_not_billed").select("carrier", "waybill_no", "expected_amount")
    accrued = unbilled.join(missing, on=["carrier", "waybill_no"], how="inner").filter(
        pl.col("accrual_amount") == -pl.col("expected_amount"))
    rows.append(_row("shipped_not_billed", missing.height, unbilled.height, accrued.height, accrued.height))

    explained = items.filter(pl.col("type").is_in(list(LINE_FLAGS))).select(
        pl.col("file").alias("source_file"), "bill_line_id")
    copies = files.select("source_file")
    unexplained = lines.filter(pl.col("is_flagged")).join(explained, on=LINE_KEY, how="anti").join(
        copies, on="source_file", how="anti")
    rows.append({"type": "clean", "planted": 0, "flagged": unexplained.height, "found_right_amount": 0,
                 "precision": 0.0 if unexplained.height else 1.0, "recall": 1.0})
    return pl.DataFrame(rows)


def _row(kind: str, planted_count: int, flagged: int, found: int, right: int) -> dict:
    return {"type": kind, "planted": planted_count, "flagged": flagged, "found_right_amount": found,
            "precision": right / flagged if flagged else 1.0, "recall": found / planted_count if planted_count else 1.0}


def test_freight_audit_flags_exactly_the_planted_errors(freight, ch_client) -> None:
    items = planted(freight.landing)
    lines = audit_lines(ch_client)
    unbilled = frame(ch_client, "select carrier, waybill_no, accrual_amount from marts.fct_unbilled_shipments")
    table = precision_recall(items, lines, unbilled)
    with pl.Config(tbl_rows=20, tbl_cols=10, tbl_width_chars=160):
        print("\nfreight audit flags vs the manifest\n", table)

    # every type must be planted, or 100% would prove nothing about it
    assert table.filter(pl.col("type") != "clean")["planted"].min() >= 1, table
    assert table["precision"].to_list() == [1.0] * table.height, table
    assert table["recall"].to_list() == [1.0] * table.height, table


def test_every_line_is_re_rated_and_clean_lines_match_the_contract(freight, ch_client) -> None:
    lines = audit_lines(ch_client)
    raw = frame(ch_client, "select count() as charges, uniqExact(source_file, splitByChar('/', bill_line_id)[1],"
                           " splitByChar('/', bill_line_id)[2]) as lines, sum(amount) as billed"
                           " from raw.carrier_bill_lines").row(0, named=True)
    # 100% audit: every delivered line is in the mart, and every billed cent
    assert lines.height == raw["lines"] > 1000
    assert lines["billed_charge"].sum() == raw["billed"]
    clean = lines.filter(~pl.col("is_flagged"))
    assert clean.height > lines.height / 2  # most lines are right; they must match the card to the cent
    assert (clean["variance"] == 0).all() and (clean["billed_charge"] == clean["expected_charge"]).all()
    assert (lines["billed_charge"] == lines["expected_charge"] + lines["variance"]).all()
    # a card changes inside a weekly bill, and the clean lines on both sides of the change re-rate exactly
    mixed = frame(ch_client, "select bill_no from marts.fct_freight_audit where not is_flagged"
                             " group by bill_no having uniqExact(card_version) > 1")
    assert mixed.height >= 1


def test_reconciliation_report_adds_up(freight, ch_client) -> None:
    report = frame(ch_client, "select * from marts.rpt_freight_reconciliation")
    lines = audit_lines(ch_client)
    items = planted(freight.landing)
    assert (report["billed_amount"] == report["expected_amount"] + report["variance"]).all(), report
    assert report["lines"].sum() == lines.height
    assert report["billed_amount"].sum() == lines["billed_charge"].sum()
    # the variance of the whole audit is exactly the planted errors' effect (all bills are clean otherwise)
    billed_errors = items.filter(pl.col("type") != "shipped_not_billed")["expected_amount"].sum()
    assert report["variance"].sum() == billed_errors
    assert report["unbilled_accrual"].sum() == -items.filter(pl.col("type") == "shipped_not_billed")[
        "expected_amount"].sum()
    # both billing cadences are covered: SF's September bill, the weekly bills of the week of 10-05
    periods = set(report.select("carrier", "billing_period_start").iter_rows())
    assert ("SF", date(2026, 9, 1)) in periods and ("UPS", date(2026, 10, 5)) in periods, periods
    per_flag = {flag: lines[flag].sum() for flag in ALL_FLAGS}
    assert report["duplicate_lines"].sum() == per_flag["is_duplicate_line"]
    assert report["currency_mismatch_lines"].sum() == per_flag["is_currency_mismatch"]
    assert Decimal(str(report["disputable_amount"].sum())) > 0


def test_money_in_the_base_currency_at_the_ship_date_rate(freight, ch_client) -> None:
    """Every line's base-currency twin is its bill-currency amount at the fx file's rate of its ship date
    (the latest on or before it), read here from the files with polars; the summary adds them up."""
    files = sorted((freight.landing / "fx_rates").glob("*/*.csv"))
    fx = pl.concat([pl.read_csv(f, infer_schema_length=0) for f in files]).filter(pl.col("quote_currency") == "CNY")
    rates = fx.select(pl.col("rate_date").str.to_date(), pl.col("base_currency").alias("currency"),
                      pl.col("rate").cast(pl.Float64)).sort("rate_date")
    lines = frame(ch_client, "select ship_date, currency, toFloat64(billed_charge) as billed, toFloat64(expected_charge)"
                             " as expected, toFloat64(billed_charge_base) as billed_base, toFloat64(expected_charge_base)"
                             " as expected_base, toFloat64(variance_base) as variance_base from marts.fct_freight_audit")
    joined = lines.sort("ship_date").join_asof(rates, left_on="ship_date", right_on="rate_date", by="currency",
                                               strategy="backward", check_sortedness=False)
    joined = joined.with_columns(pl.when(pl.col("currency") == "CNY").then(1.0).otherwise(pl.col("rate")).alias("rate"))
    assert joined["rate"].null_count() == 0 and set(joined["currency"]) >= {"CNY", "USD", "EUR", "GBP"}
    assert ((joined["billed"] * joined["rate"] - joined["billed_base"]).abs() < 0.00011).all()
    assert ((joined["expected"] * joined["rate"] - joined["expected_base"]).abs() < 0.00011).all()
    assert ((joined["billed_base"] - joined["expected_base"] - joined["variance_base"]).abs() < 1e-9).all()
    report = frame(ch_client, "select toFloat64(billed_amount_base) as b, toFloat64(unbilled_accrual_base) as u"
                              " from marts.rpt_freight_reconciliation")
    assert report["b"].sum() == pytest.approx(lines["billed_base"].sum(), abs=0.01)
    assert report["u"].sum() > 0


def test_audit_built_day_by_day_equals_full_build(freight, ch_client) -> None:
    """The incremental audit: one run per bill date (and a re-run) gives the full build's rows."""
    columns = "carrier, source_file, bill_line_id, variance, dispute_amount, is_flagged"
    full = frame(ch_client, f"select {columns} from marts.fct_freight_audit order by source_file, bill_line_id")
    bill_dates = sorted(frame(ch_client, "select distinct bill_date from marts.fct_freight_audit")["bill_date"])
    assert len(bill_dates) >= 3
    for index, day in enumerate([*bill_dates, bill_dates[-1]]):  # the last date twice: idempotent
        window = {"min_date": day.isoformat(), "max_date": (day + timedelta(days=1)).isoformat()}
        args = ["run", "--select", "fct_freight_audit", *(["--full-refresh"] if index == 0 else [])]
        result = dbt(args, freight.dbt_dir, window)
        assert result.success, result.failures
    daily = frame(ch_client, f"select {columns} from marts.fct_freight_audit order by source_file, bill_line_id")
    assert daily.equals(full)

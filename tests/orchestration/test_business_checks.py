"""Business checks against a small simulated business built by the real loader and the real dbt project.

Ground truth is the simulator's manifest: planted malformed rows must fail exactly their source's
quarantine check, planted overbilling must fail its carrier's freight check while carriers with clean
bills pass; values equal an independent recomputation from line-level facts; verdicts flip exactly at
the threshold; the checks run as Dagster asset checks and write ops.check_results.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from dagster import AssetCheckSeverity, AssetKey, materialize

from assets import business_checks as bc
from assets.ingestion import sources_by_table
from assets.monitoring_config import parse_config
from assets.resources import ClickHouseResource

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "marts"))
from marts_dbt import DBT_DATABASES, dbt  # noqa: E402

START = date(2026, 10, 1)
DAYS = 12
OVERBILLING = {"overcharged_rate", "inflated_weight", "surcharge_not_in_contract", "duplicate_bill_line",
               "billed_not_shipped"}


@pytest.fixture(scope="module")
def business(tmp_path_factory, ch_client, dbt_environment) -> tuple[Path, pl.DataFrame]:
    """Simulate, load every source day by day, `dbt build` once; returns (landing, manifest)."""
    from assets.ops_tables import ensure_ops_tables
    from ingestion.load import load_date
    from simulator import simulate

    root = tmp_path_factory.mktemp("business-checks")
    landing = root / "landing"
    simulate(landing, start=START, days=DAYS, orders_per_day=100, seed=5, skus=60)
    ch_client.command("DROP DATABASE IF EXISTS raw")  # this business only
    for database in DBT_DATABASES:
        ch_client.command(f"DROP DATABASE IF EXISTS `{database}`")
        ch_client.command(f"CREATE DATABASE `{database}`")
    ensure_ops_tables(ch_client)  # the data-health models read them; the pipeline creates them the same way
    for i in range(DAYS):
        for report in load_date(ch_client, landing, START + timedelta(days=i)):
            assert report.balanced, (report.source, report.errors)
    result = dbt(["build"], root / "dbt")
    assert result.success, result.failures
    return landing, pl.read_parquet(landing / "_manifest" / "anomalies.parquet")


def _by_check(verdicts) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = defaultdict(dict)
    for v in verdicts:
        out[v.check_name][v.subject] = v
    return out


def test_quarantine_share_fails_exactly_the_sources_with_planted_malformed_rows(business, ch_client):
    _, manifest = business
    strict = parse_config({"checks": {"quarantine_share_max": 0.0}})
    # malformed rows, and the row a truncated file cuts in half
    planted = manifest.filter(pl.col("type").is_in(["malformed_row", "truncated_file"])).group_by(
        "date", "source").len()
    planted_by = {(d, s): n for d, s, n in planted.iter_rows()}
    assert planted_by, "the simulator planted no malformed rows: the test would prove nothing"
    tables = sources_by_table()
    checked_days = 0
    for i in range(DAYS):
        day = START + timedelta(days=i)
        verdicts = [v for table, sources in tables.items() for v in bc.quarantine_share(ch_client, day, table,
                                                                                          sources, strict)]
        failed = {v.subject for v in verdicts if not v.passed}
        assert failed == {s for (d, s) in planted_by if d == day}, day
        for v in verdicts:
            expected = planted_by.get((day, v.subject), 0)
            assert f"({expected} of " in v.message, (v.message, expected)
        checked_days += bool(verdicts)
    assert checked_days == DAYS


def test_freight_checks_fail_overbilled_carriers_and_pass_clean_ones(business, ch_client):
    _, manifest = business
    strict = parse_config({"checks": {"freight_dispute_max": 0.0, "freight_variance_max": 0.0}})
    lines = ch_client.query("SELECT bill_line_id, bill_date, carrier FROM marts.fct_freight_audit").result_rows
    bill_date_of = {line: (day, carrier) for line, day, carrier in lines}
    planted = manifest.filter(pl.col("domain") == "freight", pl.col("bill_line_id").is_not_null())
    any_planted, overbilled = defaultdict(set), defaultdict(set)
    for kind, line in planted.select("type", "bill_line_id").iter_rows():
        if line in bill_date_of:
            day, carrier = bill_date_of[line]
            any_planted[day].add(carrier)
            if kind in OVERBILLING:
                overbilled[day].add(carrier)
    assert any(overbilled.values()), "no planted overbilling on the bills of this business"
    seen_clean = 0
    for day in sorted({d for d, _ in bill_date_of.values()}):
        verdicts = _by_check(bc.freight(ch_client, day, strict))
        disputed = {c for c, v in verdicts["freight_dispute"].items() if not v.passed}
        assert overbilled[day] <= disputed, day
        assert disputed <= any_planted[day], day
        clean = set(verdicts["freight_dispute"]) - any_planted[day]
        for carrier in clean:
            assert verdicts["freight_dispute"][carrier].passed and verdicts["freight_variance"][carrier].passed
            assert verdicts["freight_variance"][carrier].value == 0.0
        seen_clean += len(clean)
    assert seen_clean > 0, "no carrier billed cleanly on any day: the pass side is untested"


def test_inventory_accuracy_equals_line_facts_and_flips_at_the_target(business, ch_client):
    default = parse_config({})
    assert default.checks.record_accuracy_target == 0.98  # dbt var accuracy_target
    facts = ch_client.query(
        "SELECT snapshot_date, warehouse_id, countIf(is_accurate), count(), sum(toFloat64(abs_variance_value)), "
        "sum(toFloat64(book_value)) FROM marts.fct_inventory_accuracy GROUP BY snapshot_date, warehouse_id"
    ).result_rows
    assert facts
    below_default = 0
    for day, warehouse, accurate, lines, abs_value, book in facts:
        verdicts = _by_check(bc.inventory_accuracy(ch_client, day, default))
        record = verdicts["record_accuracy"][warehouse]
        assert record.value == pytest.approx(accurate / lines)
        assert record.passed == (accurate / lines >= 0.98)
        assert verdicts["value_accuracy"][warehouse].value == pytest.approx(1 - abs_value / book if book else 1.0,
                                                                            abs=1e-4)
        below_default += not record.passed
        # exactly at the target passes, a hair above fails
        at = replace(default, checks=replace(default.checks, record_accuracy_target=record.value))
        above = replace(default, checks=replace(default.checks, record_accuracy_target=record.value + 1e-9))
        assert _by_check(bc.inventory_accuracy(ch_client, day, at))["record_accuracy"][warehouse].passed
        assert not _by_check(bc.inventory_accuracy(ch_client, day, above))["record_accuracy"][warehouse].passed
    # planted count errors beyond tolerance make their warehouse fail a 100% target on their day
    strict = replace(default, checks=replace(default.checks, record_accuracy_target=1.0))
    planted = business[1].filter(pl.col("type").is_in(["count_over", "count_under"]),
                                 pl.col("within_tolerance").not_())
    assert planted.height > 0
    judged = 0
    for day, warehouse in planted.select("date", "warehouse_id").unique().iter_rows():
        found = _by_check(bc.inventory_accuracy(ch_client, day, strict))["record_accuracy"]
        if warehouse in found:
            assert not found[warehouse].passed, (day, warehouse)
            judged += 1
    assert judged > 0


def test_settlement_gap_equals_exception_variances(business, ch_client):
    strict = parse_config({"checks": {"settlement_gap_max": 0.0}})
    rows = ch_client.query(
        "SELECT settlement_date, channel, sum(abs(toFloat64(variance_base))) FROM marts.fct_settlement_reconciliation "
        "WHERE is_exception AND variance_base IS NOT NULL GROUP BY settlement_date, channel").result_rows
    planted_channels = set(business[1].filter(pl.col("domain") == "settlement")["channel"].to_list())
    for day, channel, gap in rows:
        verdict = _by_check(bc.settlement_gaps(ch_client, day, strict))["settlement_gap"][channel]
        assert verdict.value == pytest.approx(gap)
        assert verdict.passed == (gap == 0)
        if not verdict.passed:
            assert channel in planted_channels


def test_quarantine_check_runs_in_dagster_with_the_raw_asset_and_writes_check_results(
        business, ch_client, monkeypatch, tmp_path):
    """The real raw asset (re-loading the same files: idempotent) with the quarantine multi-check."""
    from assets.ingestion import RAW_ASSETS
    from assets.resources import LandingResource

    config = tmp_path / "monitoring.toml"
    config.write_text('[checks]\nquarantine_share_max = 0.0\n[checks.severity]\nquarantine_share = "P0"\n')
    monkeypatch.setenv("TALLYHOUSE_MONITORING_CONFIG", str(config))
    landing, manifest = business
    malformed = manifest.filter(pl.col("type") == "malformed_row",
                                pl.col("source").is_in(sources_by_table()["order_lines"]))
    day = malformed["date"].min()
    expected_failed = set(malformed.filter(pl.col("date") == day)["source"])
    order_lines = AssetKey(["raw", "order_lines"])
    result = materialize([*RAW_ASSETS, bc.quarantine_share_checks], selection=[order_lines],
                         partition_key=day.isoformat(),
                         resources={"clickhouse": ClickHouseResource(), "landing": LandingResource(root=str(landing))})
    assert result.success
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e
                   for e in (ev.event_specific_data for ev in result.all_events
                             if ev.event_type_value == "ASSET_CHECK_EVALUATION")}
    quarantine = evaluations[("raw/order_lines", "quarantine_share")]
    assert not quarantine.passed and quarantine.severity == AssetCheckSeverity.ERROR  # P0
    assert ("raw/shipments", "quarantine_share") not in evaluations  # not selected, not run
    stored = ch_client.query(
        "SELECT check_name, subject, passed, severity FROM ops.check_results WHERE run_id = {r:String}",
        parameters={"r": result.run_id}).result_rows
    assert {s for c, s, p, _ in stored if c == "quarantine_share" and not p} == expected_failed
    assert {s for c, s, _, _ in stored if c == "quarantine_share"} == set(sources_by_table()["order_lines"])
    assert {sev for c, _, _, sev in stored if c == "quarantine_share"} == {"P0"}

"""Business checks on the day T-1: is the business itself healthy, not just the data pipeline?

Each check reads one mart (or the file registry) for the partition's date, judges every subject (a
warehouse, a carrier, a channel, a source) against a threshold from `monitoring.toml`, writes one row per
subject to ops.check_results and reports one Dagster check result. The SQL lives here, next to the
judgement, because a check is exactly "this query, this comparison"; values are query parameters.

| check            | asset                                   | subject   | fails when                                   |
|------------------|-----------------------------------------|-----------|----------------------------------------------|
| record_accuracy  | marts/rpt_inventory_accuracy_daily      | warehouse | record_accuracy < target (dbt accuracy_target)|
| value_accuracy   | marts/rpt_inventory_accuracy_daily      | warehouse | value_accuracy < target                      |
| freight_variance | marts/fct_freight_audit                 | carrier   | abs(sum(billed - expected)) > max            |
| freight_dispute  | marts/fct_freight_audit                 | carrier   | sum(positive dispute amounts) > max          |
| settlement_gap   | marts/fct_settlement_reconciliation     | channel   | sum(abs(exception variance, base cur.)) > max|
| quarantine_share | raw/<table>                             | source    | rows quarantined / rows read > max           |

Freight is judged on the bill date (bills arrive on their own days), settlements on the settlement
date: "T-1" means what arrived on T-1.
"""

from collections.abc import Iterator
from datetime import date

from clickhouse_connect.driver.client import Client
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetExecutionContext,
    AssetKey,
    multi_asset_check,
)

from assets.ingestion import raw_key, sources_by_table
from assets.monitoring_config import MonitoringConfig, load_config
from assets.resources import ClickHouseResource
from assets.verdicts import Verdict, daily_check_spec, run_and_record
from ingestion.load import ensure_raw_schema

INVENTORY_ACCURACY = AssetKey(["marts", "rpt_inventory_accuracy_daily"])
FREIGHT_AUDIT = AssetKey(["marts", "fct_freight_audit"])
SETTLEMENT_RECONCILIATION = AssetKey(["marts", "fct_settlement_reconciliation"])


def _verdict(check: str, key: AssetKey, day: date, subject: str, config: MonitoringConfig, value: float,
             threshold: float, *, at_least: bool, what: str) -> Verdict:
    """A target (`at_least`) passes at or above its threshold, a ceiling at or below it."""
    passed = value >= threshold if at_least else value <= threshold
    relation = "meets" if passed else ("below" if value < threshold else "above")
    return Verdict(check_name=check, asset_key=key, business_date=day, subject=subject,
                   severity=config.severity(check), passed=passed, value=value, threshold=threshold,
                   message=f"{subject} {day}: {what} {value:.4f} {relation} threshold {threshold:.4f}")


def inventory_accuracy(client: Client, day: date, config: MonitoringConfig) -> list[Verdict]:
    """record_accuracy and value_accuracy per warehouse at the close of `day`."""
    rows = client.query(
        "SELECT warehouse_id, min(toFloat64(record_accuracy)), min(toFloat64(value_accuracy)) "
        "FROM marts.rpt_inventory_accuracy_daily WHERE snapshot_date = {day:Date} "
        "GROUP BY warehouse_id ORDER BY warehouse_id",
        parameters={"day": day}).result_rows
    targets = config.checks
    return [verdict for warehouse, record_accuracy, value_accuracy in rows for verdict in (
        _verdict("record_accuracy", INVENTORY_ACCURACY, day, warehouse, config, record_accuracy,
                 targets.record_accuracy_target, at_least=True, what="record accuracy"),
        _verdict("value_accuracy", INVENTORY_ACCURACY, day, warehouse, config, value_accuracy,
                 targets.value_accuracy_target, at_least=True, what="value accuracy"))]


def freight(client: Client, day: date, config: MonitoringConfig) -> list[Verdict]:
    """Net variance and claimable overbilling per carrier on the bills issued on `day`."""
    rows = client.query(
        "SELECT carrier, abs(sum(toFloat64(variance))), sumIf(toFloat64(dispute_amount), dispute_amount > 0) "
        "FROM marts.fct_freight_audit WHERE bill_date = {day:Date} GROUP BY carrier ORDER BY carrier",
        parameters={"day": day}).result_rows
    limits = config.checks
    return [verdict for carrier, variance, dispute in rows for verdict in (
        _verdict("freight_variance", FREIGHT_AUDIT, day, carrier, config, variance, limits.freight_variance_max,
                 at_least=False, what="abs net freight variance"),
        _verdict("freight_dispute", FREIGHT_AUDIT, day, carrier, config, dispute, limits.freight_dispute_max,
                 at_least=False, what="disputable overbilling"))]


def settlement_gaps(client: Client, day: date, config: MonitoringConfig) -> list[Verdict]:
    """Known money gaps of the exceptions settled on `day`, per channel, in the base currency.

    Absolute values are summed: a short payment and an over payment do not cancel for finance.
    """
    rows = client.query(
        "SELECT channel, sumIf(abs(toFloat64(variance_base)), is_exception AND variance_base IS NOT NULL) "
        "FROM marts.fct_settlement_reconciliation WHERE settlement_date = {day:Date} "
        "GROUP BY channel ORDER BY channel",
        parameters={"day": day}).result_rows
    return [_verdict("settlement_gap", SETTLEMENT_RECONCILIATION, day, channel, config, gap,
                     config.checks.settlement_gap_max, at_least=False, what="settlement gap (base currency)")
            for channel, gap in rows]


def quarantine_share(client: Client, day: date, table: str, sources: list[str],
                     config: MonitoringConfig) -> list[Verdict]:
    """Rows quarantined / rows read per source of one raw table on `day` (from raw._files)."""
    ensure_raw_schema(client)
    rows = client.query(
        "SELECT source, sum(rows_quarantined), sum(rows_read) FROM raw._files "
        "WHERE business_date = {day:Date} AND source IN {sources:Array(String)} "
        "GROUP BY source ORDER BY source",
        parameters={"day": day, "sources": sources}).result_rows
    return [_verdict("quarantine_share", raw_key(table), day, source, config, quarantined / read if read else 0.0,
                     config.checks.quarantine_share_max, at_least=False,
                     what=f"quarantine share ({quarantined} of {read} rows)")
            for source, quarantined, read in rows]


def partition_dates(context: AssetCheckExecutionContext | AssetExecutionContext) -> list[date]:
    """Every date of the run: one for a daily run, many for a single-run backfill of a range."""
    return [date.fromisoformat(key) for key in context.partition_keys]


MART_CHECK_SPECS = {
    "record_accuracy": (INVENTORY_ACCURACY, inventory_accuracy,
                        "per warehouse: record accuracy at least checks.record_accuracy_target (dbt accuracy_target)"),
    "value_accuracy": (INVENTORY_ACCURACY, inventory_accuracy,
                       "per warehouse: value accuracy at least checks.value_accuracy_target"),
    "freight_variance": (FREIGHT_AUDIT, freight,
                         "per carrier, bills of the day: abs net variance at most checks.freight_variance_max"),
    "freight_dispute": (FREIGHT_AUDIT, freight,
                        "per carrier, bills of the day: disputable overbilling at most checks.freight_dispute_max"),
    "settlement_gap": (SETTLEMENT_RECONCILIATION, settlement_gaps,
                       "per channel, settlements of the day: exception gap at most checks.settlement_gap_max"),
}


# One multi-check (one step per run, not one per check: each step costs a process in a real run);
# `can_subset` lets Dagster run only the checks of the assets a run selected.
@multi_asset_check(
    name="business_checks",
    specs=[daily_check_spec(name, key, description) for name, (key, _, description) in MART_CHECK_SPECS.items()],
    can_subset=True,
)
def business_checks(context: AssetCheckExecutionContext, clickhouse: ClickHouseResource
                    ) -> Iterator[AssetCheckResult]:
    config = load_config()
    client = clickhouse.get_client()
    days = partition_dates(context)
    cache: dict[str, list[Verdict]] = {}
    for check_key in sorted(context.selected_asset_check_keys, key=lambda k: k.name):
        key, evaluate, _ = MART_CHECK_SPECS[check_key.name]
        if evaluate.__name__ not in cache:
            cache[evaluate.__name__] = [v for day in days for v in evaluate(client, day, config)]
        verdicts = [v for v in cache[evaluate.__name__] if v.check_name == check_key.name]
        yield run_and_record(client, check_key.name, key, config.severity(check_key.name), verdicts,
                             context.run.run_id)


@multi_asset_check(
    name="quarantine_share_checks",
    specs=[daily_check_spec("quarantine_share", raw_key(table),
                            "per source: rows quarantined / rows read at most checks.quarantine_share_max")
           for table in sorted(sources_by_table())],
    can_subset=True,
)
def quarantine_share_checks(context: AssetCheckExecutionContext, clickhouse: ClickHouseResource
                            ) -> Iterator[AssetCheckResult]:
    config = load_config()
    client = clickhouse.get_client()
    tables = sources_by_table()
    for check_key in sorted(context.selected_asset_check_keys, key=lambda k: k.asset_key.to_user_string()):
        table = check_key.asset_key.path[-1]
        verdicts = [v for day in partition_dates(context)
                    for v in quarantine_share(client, day, table, tables[table], config)]
        yield run_and_record(client, "quarantine_share", check_key.asset_key, config.severity("quarantine_share"),
                             verdicts, context.run.run_id)


BUSINESS_CHECKS: list[AssetChecksDefinition] = [business_checks, quarantine_share_checks]

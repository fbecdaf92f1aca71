"""Volume anomaly detection: has a channel, warehouse or carrier collapsed or spiked on T-1?

The detection is one ClickHouse statement (anomaly.sql): for each (dimension, member, metric) the day's
value is scored against the median and MAD of the same weekday over the trailing weeks (weekday-aware:
Saturdays are compared with Saturdays). Why these choices:
- median and MAD, not mean and standard deviation, so one past promotion or outage in the history does
  not move the baseline (holiday- and promotion-tolerant by construction);
- known event days (config `anomaly.event_days`, `event_rules`: 618, Double 11, Double 12, Black Friday,
  Cyber Monday) are left out of baselines, and on those days evaluations are stored but never flagged;
  events are suppressed for every member (the calendar does not say which channels run a promotion);
- a spread floor: a share of the median, and the sampling noise of a day of n orders (median/sqrt(n)
  for a count, 1.5x that for a sum over orders such as the amount), so a very flat history does not
  turn a normal wobble into a large score and a small channel gets the tolerance its size needs;
  series backed by fewer than `min_baseline` orders or parcels are scored but never flagged;
- at least `min_history` usable history points, or the point is stored unscored.
Metrics: per channel orders, order amount (channel currency) and units (staging.stg_channels__orders,
by order date; channel exports do not name the shipping warehouse); per warehouse and per carrier
shipments (staging.stg_tms__shipments, by ship date). Shipped weight was tried and dropped: a handful of heavy
parcels makes it too noisy on small lanes. Freight billed is not scored daily: carriers bill weekly or
monthly, so a day without a bill is normal.

Every evaluation lands in ops.anomaly_findings (score and is_anomaly, for the dashboard) and becomes a
verdict of the `volume_anomaly` check in ops.check_results, so the alert sender sees anomalies and
their recovery exactly like any other check.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from clickhouse_connect.driver.client import Client
from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.monitoring_config import MonitoringConfig, load_config
from assets.ops_tables import ensure_ops_tables
from assets.partitions import business_date_partitions
from assets.resources import ClickHouseResource
from assets.verdicts import Verdict, record, to_check_result
from ingestion.load import ensure_raw_schema

ANOMALY_KEY = AssetKey(["ops", "anomaly_findings"])
CHECK_NAME = "volume_anomaly"
SOURCES = (AssetKey(["staging", "stg_channels__orders"]), AssetKey(["staging", "stg_tms__shipments"]))
DETECT_SQL = (Path(__file__).with_name("anomaly.sql")).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Finding:
    business_date: date
    dimension: str
    member: str
    metric: str
    observed: float
    baseline_median: float | None
    baseline_days: int
    score: float | None
    direction: str
    is_anomaly: bool

    @property
    def subject(self) -> str:
        return f"{self.dimension}:{self.member}:{self.metric}"


def _black_friday(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 21)


RULES = {
    "black_friday": _black_friday,
    "cyber_monday": lambda year: _black_friday(year) + timedelta(days=3),
}


def event_days(config: MonitoringConfig, first: date, last: date) -> list[date]:
    """Known promotion/holiday dates between `first` and `last` (inclusive)."""
    unknown = sorted(set(config.anomaly.event_rules) - set(RULES))
    if unknown:
        raise ValueError(f"anomaly.event_rules: unknown {unknown}; known: {sorted(RULES)}")
    found = set()
    for year in range(first.year, last.year + 1):
        for month_day in config.anomaly.event_days:
            month, day = (int(part) for part in month_day.split("-"))
            found.add(date(year, month, day))
        found.update(RULES[rule](year) for rule in config.anomaly.event_rules)
    return sorted(d for d in found if first <= d <= last)


def detect(client: Client, day: date, config: MonitoringConfig) -> list[Finding]:
    """Score `day`, store every evaluation in ops.anomaly_findings, return them (anomalies first)."""
    return detect_days(client, [day], config)


def detect_days(client: Client, days: list[date], config: MonitoringConfig) -> list[Finding]:
    """Score several days in one statement (a backfill), each exactly as if scored on its own."""
    ensure_ops_tables(client)
    ensure_raw_schema(client)
    settings = config.anomaly
    first = min(days) - timedelta(weeks=settings.lookback_weeks)
    orders_start, shipments_start = client.query(
        "SELECT minIf(business_date, startsWith(source, 'orders_')), minIf(business_date, source = 'shipments') "
        "FROM raw._files").result_rows[0]
    # a re-run replaces the days: rows of series that no longer exist must not linger
    client.command("DELETE FROM ops.anomaly_findings WHERE business_date IN {days:Array(Date)}",
                   parameters={"days": days})
    client.command(DETECT_SQL, parameters={
        "targets": days, "weeks": settings.lookback_weeks, "min_history": settings.min_history,
        "threshold": settings.threshold, "min_relative_spread": settings.min_relative_spread,
        "min_relative_spread_sum": settings.min_relative_spread_sum, "sum_noise_factor": settings.sum_noise_factor,
        "min_baseline": settings.min_baseline, "event_days": event_days(config, first, max(days)),
        "orders_start": orders_start, "shipments_start": shipments_start,
    })
    return findings(client, days)


def findings(client: Client, days: list[date]) -> list[Finding]:
    rows = client.query(
        "SELECT business_date, dimension, member, metric, observed, baseline_median, baseline_days, score, "
        "direction, is_anomaly FROM ops.anomaly_findings FINAL WHERE business_date IN {days:Array(Date)} "
        "ORDER BY business_date, is_anomaly DESC, dimension, member, metric",
        parameters={"days": days}).result_rows
    return [Finding(*row[:9], is_anomaly=bool(row[9])) for row in rows]


def verdicts(found: list[Finding], config: MonitoringConfig) -> list[Verdict]:
    """One verdict per scored series: failed when anomalous (unscored series have nothing to say)."""
    out = []
    for f in found:
        if f.score is None:
            continue
        message = (f"{f.subject} {f.business_date}: {f.observed:.2f} vs median {f.baseline_median:.2f} "
                   f"(z {f.score:+.1f}, {f.direction})")
        out.append(Verdict(check_name=CHECK_NAME, asset_key=ANOMALY_KEY, business_date=f.business_date,
                           subject=f.subject, severity=config.severity(CHECK_NAME), passed=not f.is_anomaly,
                           value=f.score, threshold=config.anomaly.threshold, message=message))
    return out


@asset(
    key=ANOMALY_KEY,
    deps=list(SOURCES),
    partitions_def=business_date_partitions,
    group_name="ops",
    check_specs=[AssetCheckSpec(CHECK_NAME, asset=ANOMALY_KEY,
                                description="no channel, warehouse or carrier volume is anomalous on the day")],
    description="robust same-weekday volume anomaly scores per channel, warehouse and carrier",
)
def anomaly_findings(context: AssetExecutionContext, clickhouse: ClickHouseResource) -> MaterializeResult:
    config = load_config()
    client = clickhouse.get_client()
    found = detect_days(client, [date.fromisoformat(key) for key in context.partition_keys], config)
    judged = verdicts(found, config)
    record(client, judged, context.run.run_id)
    anomalies = [f for f in found if f.is_anomaly]
    return MaterializeResult(
        metadata={
            "series_evaluated": len(found),
            "series_scored": len(judged),
            "anomalies": len(anomalies),
            "found": MetadataValue.md("\n".join(f"- {v.message}" for v in judged if not v.passed) or "none"),
        },
        check_results=[to_check_result(CHECK_NAME, ANOMALY_KEY, config.severity(CHECK_NAME), judged)],
    )

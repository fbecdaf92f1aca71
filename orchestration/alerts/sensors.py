"""The Dagster side of alerting: three sensors, all sending through `dispatch.notify`.

- `check_alerts_sensor` reads ops.check_results every few minutes (not check-evaluation events):
  every check of the project writes its per-subject verdicts there, so one reader covers business
  checks, freshness and volume anomalies, knows subjects (which warehouse, which carrier), and also
  notices recovery, whichever run (nightly, backfill, CLI) produced the verdict.
- `run_failure_alert_sensor` alerts when any run fails (key `run:<job>`, severity
  `alerts.run_failure_severity`), and `run_success_alert_sensor` sends the recovery notice when a later
  run of that job succeeds. Throttling applies as for checks: a job failing every ten minutes is one
  alert plus a reminder per window.
With no channels configured the sensors evaluate and send nothing.
"""

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from assets.monitoring_config import load_config
from assets.resources import ClickHouseResource
from orchestration.alerts.dispatch import dispatch_check_alerts, notify
from orchestration.alerts.message import Alert


def run_alert(job_name: str, run_id: str, severity: str, error: str | None) -> Alert:
    state = "firing" if error is not None else "resolved"
    text = f"run {run_id} of job {job_name} " + (f"failed: {error}" if error is not None else "succeeded")
    return Alert(key=f"run:{job_name}", severity=severity, state=state,
                 title=f"[{severity}] Dagster run failed: {job_name}", text=text)


@sensor(name="check_alerts_sensor", minimum_interval_seconds=120, default_status=DefaultSensorStatus.RUNNING,
        description="alerts on failed checks in ops.check_results (throttled) and on their recovery")
def check_alerts_sensor(context: SensorEvaluationContext, clickhouse: ClickHouseResource) -> SkipReason:
    config = load_config().alerts
    if not config.routes:
        return SkipReason("no alert routes configured (monitoring.toml [alerts.routes])")
    outcomes = dispatch_check_alerts(clickhouse.get_client(), config)
    sent = [(key, o) for key, found in outcomes.items() for o in found if o.state not in ("throttled", "skipped")]
    for key, outcome in sent:
        context.log.info(f"alert {key} -> {outcome.channel}: {outcome.state}"
                         + ("" if outcome.delivered else f" NOT delivered ({outcome.error})"))
    return SkipReason(f"{len(sent)} notices sent or attempted; alerts are side effects, no runs requested")


@run_failure_sensor(name="run_failure_alert_sensor", monitor_all_code_locations=False,
                    default_status=DefaultSensorStatus.RUNNING, description="alerts when a run fails")
def run_failure_alert_sensor(context: RunFailureSensorContext, clickhouse: ClickHouseResource) -> None:
    config = load_config().alerts
    error = context.failure_event.message or "failed"
    alert = run_alert(context.dagster_run.job_name, context.dagster_run.run_id, config.run_failure_severity, error)
    for outcome in notify(clickhouse.get_client(), config, alert):
        context.log.info(f"run failure alert -> {outcome.channel}: {outcome.state}")


@run_status_sensor(name="run_success_alert_sensor", run_status=DagsterRunStatus.SUCCESS,
                   default_status=DefaultSensorStatus.RUNNING,
                   description="sends the recovery notice when a job that failed succeeds again")
def run_success_alert_sensor(context: RunStatusSensorContext, clickhouse: ClickHouseResource) -> None:
    config = load_config().alerts
    alert = run_alert(context.dagster_run.job_name, context.dagster_run.run_id, config.run_failure_severity, None)
    notify(clickhouse.get_client(), config, alert)


ALERT_SENSORS = [check_alerts_sensor, run_failure_alert_sensor, run_success_alert_sensor]

"""Routing, throttling and recovery, with ops.alert_log as the memory.

`notify(alert)` sends an open issue to every channel its severity routes to, unless that channel was
told about the same issue less than `throttle_seconds[severity]` ago; a resolved issue is sent once, to
the channels that were told it was open. Each (issue, channel) pair is judged on its own delivered
rows, so a channel that failed (delivered = 0) is retried on the next evaluation while the others stay
throttled. Every attempt is one alert_log row; throttled evaluations write nothing (the sensor ticks
every minute; the log records what people were actually sent).

`alerts_from_check_results` turns ops.check_results into alerts: for each (check, asset, subject) the
verdict of the newest business date (latest evaluation of it) decides open or resolved; verdicts whose
newest business date is older than `stale_after_days` are ignored (nobody re-checks them, so neither
"still open" nor "resolved" would be true).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from assets.monitoring_config import AlertConfig
from assets.ops_tables import ensure_ops_tables
from orchestration.alerts.channels import DeliveryError, deliver
from orchestration.alerts.message import Alert

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

ALERT_LOG_COLUMNS = ("sent_at", "alert_key", "severity", "state", "channel", "delivered", "error", "title",
                     "payload")


@dataclass(frozen=True)
class Outcome:
    channel: str
    state: str  # firing | repeat | resolved | throttled | skipped
    delivered: bool
    error: str = ""


def _last_delivered(client: Client, key: str) -> dict[str, tuple[datetime, str]]:
    """channel -> (sent_at, state) of the newest delivered notice about `key`."""
    rows = client.query(
        "SELECT channel, max(sent_at), argMax(state, sent_at) FROM ops.alert_log "
        "WHERE alert_key = {key:String} AND delivered = 1 GROUP BY channel",
        parameters={"key": key}).result_rows
    return {channel: (sent_at.replace(tzinfo=UTC) if sent_at.tzinfo is None else sent_at, state)
            for channel, sent_at, state in rows}


def notify(client: Client, config: AlertConfig, alert: Alert, now: datetime | None = None) -> list[Outcome]:
    """Deliver (or throttle) `alert`; `alert.state` is "firing" for open issues, "resolved" for closed."""
    ensure_ops_tables(client)
    now = now or datetime.now(UTC)
    last = _last_delivered(client, alert.key)
    window = timedelta(seconds=config.throttle_seconds.get(alert.severity, 3600))
    outcomes, rows = [], []
    for channel in config.channels_for(alert.severity):
        previous = last.get(channel.name)
        if alert.state == "resolved":
            if previous is None or previous[1] == "resolved":
                outcomes.append(Outcome(channel.name, "skipped", False))
                continue
            state = "resolved"
        elif previous is None or previous[1] == "resolved":
            state = "firing"
        elif now - previous[0] >= window:
            state = "repeat"
        else:
            outcomes.append(Outcome(channel.name, "throttled", False))
            continue
        message = alert.with_state(state)
        try:
            payload = deliver(channel, message, config.timeout_seconds)
            delivered, error = True, ""
        except DeliveryError as failure:
            payload, delivered, error = message.as_dict(), False, str(failure)
        outcomes.append(Outcome(channel.name, state, delivered, error))
        rows.append((now, alert.key, alert.severity, state, channel.name, int(delivered), error, message.title,
                     json.dumps(payload, ensure_ascii=False, sort_keys=True)))
    if rows:
        client.insert("alert_log", rows, column_names=list(ALERT_LOG_COLUMNS), database="ops")
    return outcomes


def alerts_from_check_results(client: Client, now: datetime | None = None, stale_after_days: int = 7
                              ) -> list[Alert]:
    """One alert per (check, asset, subject): "firing" when its newest verdict failed, else "resolved"."""
    ensure_ops_tables(client)
    now = now or datetime.now(UTC)
    rows = client.query(
        "SELECT check_name, asset_key, subject, "
        "argMax(tuple(passed, severity, message, business_date), tuple(business_date, checked_at)) AS latest "
        "FROM ops.check_results GROUP BY check_name, asset_key, subject "
        "HAVING latest.4 >= {since:Date} ORDER BY check_name, asset_key, subject",
        parameters={"since": (now - timedelta(days=stale_after_days)).date()}).result_rows
    alerts = []
    for check_name, asset_key, subject, (passed, severity, message, business_date) in rows:
        where = f" · {subject}" if subject else ""
        alerts.append(Alert(
            key=f"check:{check_name}:{asset_key}:{subject}",
            severity=severity,
            state="resolved" if passed else "firing",
            title=f"[{severity}] {check_name} on {asset_key}{where}",
            text=f"{message} (business date {business_date})",
        ))
    return alerts


def dispatch_check_alerts(client: Client, config: AlertConfig, now: datetime | None = None,
                          stale_after_days: int = 7) -> dict[str, list[Outcome]]:
    """Evaluate every check issue once: what the check sensor does on each tick."""
    return {alert.key: notify(client, config, alert, now)
            for alert in alerts_from_check_results(client, now, stale_after_days)}


__all__ = ["DeliveryError", "Outcome", "alerts_from_check_results", "dispatch_check_alerts", "notify"]

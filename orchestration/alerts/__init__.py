"""Alerts: failed checks and failed runs, routed by severity to webhooks, chat robots and email.

Design (details in each module):
- what is wrong is read from ops.check_results, where every check writes per-subject verdicts
  (business checks, freshness, volume anomalies), and from run-status events (`sensors.py`);
- where it goes is configuration: `[alerts.routes]` maps P0..P3 to named channels of
  `[alerts.channels.*]` in monitoring.toml (`assets/monitoring_config.py`);
- how it is sent is per vendor (`channels.py`: generic JSON webhook with HMAC signature, Slack,
  DingTalk, Feishu, WeCom, SMTP email);
- when is throttling and recovery with ops.alert_log as memory (`dispatch.py`).
"""

from orchestration.alerts.dispatch import alerts_from_check_results, dispatch_check_alerts, notify
from orchestration.alerts.message import Alert
from orchestration.alerts.sensors import ALERT_SENSORS

__all__ = ["ALERT_SENSORS", "Alert", "alerts_from_check_results", "dispatch_check_alerts", "notify"]

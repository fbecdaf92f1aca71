"""Thresholds, deadlines and alert routing: one TOML file, sensible defaults, a few env overrides.

Why one file: the people who tune "how bad is bad" (finance for settlement gaps, operations for
accuracy, whoever is on call for routing) should find every knob in one place, not in code. The file is
`<state dir>/monitoring.toml` (or `$TALLYHOUSE_MONITORING_CONFIG`); a missing file means the defaults
below. Keys mirror the dataclass fields, e.g.

    [checks]
    quarantine_share_max = 0.01
    [checks.severity]
    record_accuracy = "P1"
    [freshness]
    deadline = "01:30"
    [anomaly]
    threshold = 5.0
    [alerts.routes]
    P0 = ["oncall_dingtalk", "ops_email"]
    [alerts.channels.oncall_dingtalk]
    type = "dingtalk"
    url_env = "TALLYHOUSE_DINGTALK_URL"
    secret_env = "TALLYHOUSE_DINGTALK_SECRET"

The record accuracy target defaults to the dbt var `accuracy_target` (dbt_project.yml), so the mart's
`meets_accuracy_target` column and the check agree unless someone overrides the check on purpose.
Secrets (webhook URLs carry tokens, signing secrets, SMTP passwords) are best given as `*_env` names
of environment variables; they are read when sending and never logged.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from datetime import time
from pathlib import Path
from typing import Any

import yaml

from tallyhouse.home import PROJECT_ROOT, state_dir

SEVERITIES = ("P0", "P1", "P2", "P3")
# Sources the business delivers every day; the others (bills, settlements, rate cards, receipts,
# the SKU master) arrive on their own cadence, so a missing day is not late.
DAILY_SOURCES = ("erp_snapshot", "fx_rates", "inventory_movements", "orders_amazon", "orders_douyin",
                 "orders_jd", "orders_pos", "orders_shopify", "orders_tmall", "shipments", "wms_snapshot")


def dbt_accuracy_target() -> float:
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    return float(project["vars"]["accuracy_target"])


@dataclass(frozen=True)
class CheckThresholds:
    record_accuracy_target: float = field(default_factory=dbt_accuracy_target)
    value_accuracy_target: float = 0.99
    # Per carrier and bill date, in the bill currency: |billed - expected| and overbilling to claim.
    freight_variance_max: float = 500.0
    freight_dispute_max: float = 200.0
    # Per channel and settlement date, in the base currency: |known variance of exceptions|.
    settlement_gap_max: float = 1000.0
    # Per source and day: rows quarantined / rows read.
    quarantine_share_max: float = 0.01
    severity: dict[str, str] = field(default_factory=lambda: {
        "record_accuracy": "P2", "value_accuracy": "P1", "freight_variance": "P2", "freight_dispute": "P2",
        "settlement_gap": "P1", "quarantine_share": "P2", "freshness": "P1", "volume_anomaly": "P2",
    })


@dataclass(frozen=True)
class FreshnessConfig:
    # Files for day T-1 must have landed by this local time on day T (time zone of the schedule).
    deadline: time = time(1, 30)
    timezone: str = "Asia/Shanghai"
    daily_sources: tuple[str, ...] = DAILY_SOURCES


@dataclass(frozen=True)
class AnomalyConfig:
    # A robust z beyond this (either way) is an anomaly.
    threshold: float = 5.0
    # Same-weekday history: how many trailing weeks to look at, and how many points at least.
    lookback_weeks: int = 8
    min_history: int = 3
    # The spread of a count never counts as smaller than this share of the median, nor than sqrt(median)
    # (its Poisson noise): a flat history must not turn a 5% wobble into a "20 sigma" event.
    min_relative_spread: float = 0.10
    # Sums over orders (amount, units) vary more than counts: a wider floor, and their sampling noise
    # is this many times a count's (median / sqrt(orders behind it)).
    min_relative_spread_sum: float = 0.15
    sum_noise_factor: float = 1.5
    # Series backed by fewer orders/parcels than this (baseline median) are too small to judge.
    min_baseline: float = 5.0
    # Known promotion/holiday dates (MM-DD, every year; plus named rules) whose evaluations are stored
    # but never flagged, and which are left out of baselines.
    event_days: tuple[str, ...] = ("06-18", "11-11", "12-12")
    event_rules: tuple[str, ...] = ("black_friday", "cyber_monday")


@dataclass(frozen=True)
class AlertChannel:
    name: str
    type: str  # webhook | slack | dingtalk | feishu | wecom | email
    settings: dict[str, Any]

    def value(self, key: str, default: Any = None) -> Any:
        """`key` from the config, or from the environment variable named by `key_env`."""
        if self.settings.get(key) is not None:
            return self.settings[key]
        env_name = self.settings.get(f"{key}_env")
        if env_name:
            return os.environ.get(str(env_name), default)
        return default


@dataclass(frozen=True)
class AlertConfig:
    routes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # severity -> channel names
    channels: dict[str, AlertChannel] = field(default_factory=dict)
    # Minimum seconds between repeats of the same open issue on one channel, per severity.
    throttle_seconds: dict[str, int] = field(default_factory=lambda: {
        "P0": 900, "P1": 3600, "P2": 6 * 3600, "P3": 24 * 3600})
    run_failure_severity: str = "P1"
    timeout_seconds: float = 10.0

    def channels_for(self, severity: str) -> list[AlertChannel]:
        return [self.channels[name] for name in self.routes.get(severity, ()) if name in self.channels]


@dataclass(frozen=True)
class MonitoringConfig:
    checks: CheckThresholds
    freshness: FreshnessConfig
    anomaly: AnomalyConfig
    alerts: AlertConfig

    def severity(self, check_name: str) -> str:
        return self.checks.severity.get(check_name, "P2")


def config_path() -> Path:
    configured = os.environ.get("TALLYHOUSE_MONITORING_CONFIG")
    return Path(configured).expanduser() if configured else state_dir() / "monitoring.toml"


def _section(cls: type, data: dict[str, Any], where: str) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; known: {sorted(known)}")
    return cls(**data)


def _severity(value: str, where: str) -> str:
    if value not in SEVERITIES:
        raise ValueError(f"{where}: severity {value!r} is not one of {SEVERITIES}")
    return value


def parse_config(data: dict[str, Any], where: str = "monitoring config") -> MonitoringConfig:
    """Validate a parsed TOML document (unknown keys are errors: a typo must not silently do nothing)."""
    unknown = sorted(set(data) - {"checks", "freshness", "anomaly", "alerts"})
    if unknown:
        raise ValueError(f"{where}: unknown sections {unknown}")
    checks_data = dict(data.get("checks", {}))
    default_severity = CheckThresholds().severity
    severity = {**default_severity, **checks_data.pop("severity", {})}
    for name, value in severity.items():
        _severity(value, f"{where} [checks.severity] {name}")
    checks = _section(CheckThresholds, {**checks_data, "severity": severity}, f"{where} [checks]")

    fresh_data = dict(data.get("freshness", {}))
    if "deadline" in fresh_data:
        fresh_data["deadline"] = time.fromisoformat(str(fresh_data["deadline"]))
    fresh_data.setdefault("timezone", os.environ.get("TALLYHOUSE_SCHEDULE_TZ") or "Asia/Shanghai")
    if "daily_sources" in fresh_data:
        fresh_data["daily_sources"] = tuple(fresh_data["daily_sources"])
    freshness = _section(FreshnessConfig, fresh_data, f"{where} [freshness]")

    anomaly_data = {k: tuple(v) if isinstance(v, list) else v for k, v in data.get("anomaly", {}).items()}
    anomaly = _section(AnomalyConfig, anomaly_data, f"{where} [anomaly]")

    alerts_data = dict(data.get("alerts", {}))
    channels = {}
    for name, settings in alerts_data.pop("channels", {}).items():
        kind = settings.get("type")
        if kind not in ("webhook", "slack", "dingtalk", "feishu", "wecom", "email"):
            raise ValueError(f"{where} [alerts.channels.{name}]: unknown type {kind!r}")
        channels[name] = AlertChannel(name=name, type=kind, settings={k: v for k, v in settings.items()
                                                                      if k != "type"})
    routes = {}
    for severity_name, names in alerts_data.pop("routes", {}).items():
        _severity(severity_name, f"{where} [alerts.routes]")
        missing = sorted(set(names) - set(channels))
        if missing:
            raise ValueError(f"{where} [alerts.routes] {severity_name}: no channel named {missing}")
        routes[severity_name] = tuple(names)
    throttle = {**AlertConfig().throttle_seconds, **alerts_data.pop("throttle_seconds", {})}
    alerts = _section(AlertConfig, {**alerts_data, "routes": routes, "channels": channels,
                                    "throttle_seconds": throttle}, f"{where} [alerts]")
    _severity(alerts.run_failure_severity, f"{where} [alerts] run_failure_severity")
    return MonitoringConfig(checks=checks, freshness=freshness, anomaly=anomaly, alerts=alerts)


def load_config(path: Path | None = None) -> MonitoringConfig:
    """The monitoring config from `path` (default: `config_path()`); defaults when the file is absent."""
    path = path or config_path()
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return parse_config(data, str(path))

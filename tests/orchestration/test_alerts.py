"""Alert delivery for real: a loopback HTTP receiver answering like each vendor, an aiosmtpd server,
the real warehouse for ops.alert_log. Signatures are recomputed here from the vendors' documented
recipes, independently of orchestration/alerts/channels.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from alert_receivers import start_http_receiver, start_smtp
from dagster import AssetKey

from assets.monitoring_config import parse_config
from assets.verdicts import Verdict, record
from orchestration.alerts import Alert, dispatch_check_alerts, notify
from orchestration.alerts.sensors import run_alert

SECRET_DING = "SECd1ngt4lk-test-secret"
SECRET_FEISHU = "feishu-test-secret"
SECRET_HOOK = "hook-test-secret"


@pytest.fixture(scope="module")
def receiver():
    found = start_http_receiver()
    yield found
    found.server.shutdown()


@pytest.fixture()
def smtp():
    controller, inbox, port, _ = start_smtp()
    yield inbox, port
    controller.stop()


def _config(receiver, routes: dict, smtp_port: int | None = None, **alerts) -> object:
    channels = {
        "hook": {"type": "webhook", "url": f"{receiver.base}/hook", "secret": SECRET_HOOK},
        "slack": {"type": "slack", "url": f"{receiver.base}/slack"},
        "ding": {"type": "dingtalk", "url": f"{receiver.base}/dingtalk?access_token=tok123",
                 "secret_env": "TEST_DING_SECRET"},
        "feishu": {"type": "feishu", "url": f"{receiver.base}/feishu", "secret": SECRET_FEISHU},
        "wecom": {"type": "wecom", "url": f"{receiver.base}/wecom?key=wk"},
        "down": {"type": "webhook", "url": f"{receiver.base}/fail?token=supersecret"},
        "badsign": {"type": "dingtalk", "url": f"{receiver.base}/dingtalk-badsign", "secret": "x"},
    }
    if smtp_port is not None:
        channels["mail"] = {"type": "email", "host": "127.0.0.1", "port": smtp_port,
                            "to": ["ops@example.com", "finance@example.com"], "sender": "tallyhouse@example.com"}
    return parse_config({"alerts": {"routes": routes, "channels": channels, **alerts}}).alerts


def _log(ch_client, key: str) -> list[tuple]:
    return ch_client.query(
        "SELECT channel, state, delivered, error, payload FROM ops.alert_log WHERE alert_key = {k:String} "
        "ORDER BY sent_at, channel", parameters={"k": key}).result_rows


def test_every_channel_gets_its_vendor_shape_and_a_valid_signature(ch_client, receiver, smtp, monkeypatch):
    inbox, port = smtp
    monkeypatch.setenv("TEST_DING_SECRET", SECRET_DING)
    config = _config(receiver, {"P1": ["hook", "slack", "ding", "feishu", "wecom", "mail"]}, smtp_port=port)
    alert = Alert(key="test:shapes", severity="P1", state="firing", title="[P1] settlement_gap · amazon",
                  text="amazon 2026-10-05: settlement gap 1234.5000 above threshold 1000.0000")
    before = time.time()
    outcomes = notify(ch_client, config, alert)
    after = time.time()

    assert sorted((o.channel, o.state, o.delivered) for o in outcomes) == sorted(
        (name, "firing", True) for name in ("hook", "slack", "ding", "feishu", "wecom", "mail"))

    # generic webhook: the alert as JSON, HMAC-SHA256 over "<timestamp>.<body>" in a header
    (hook,) = receiver.at("/hook")
    assert hook.json() == {"key": "test:shapes", "severity": "P1", "state": "firing",
                           "title": alert.title, "text": alert.text}
    stamp = hook.headers["X-Tallyhouse-Timestamp"]
    expected = hmac.new(SECRET_HOOK.encode(), f"{stamp}.".encode() + hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["X-Tallyhouse-Signature"] == f"sha256={expected}"

    # Slack incoming webhook: text fallback + blocks
    (slack,) = receiver.at("/slack")
    body = slack.json()
    assert body["text"] == alert.title
    assert body["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": alert.title}}
    assert body["blocks"][1]["text"] == {"type": "mrkdwn", "text": alert.text}

    # DingTalk: timestamp (ms) and sign as query parameters; access_token kept
    (ding,) = receiver.at("/dingtalk")
    assert ding.query["access_token"] == ["tok123"]
    stamp_ms = int(ding.query["timestamp"][0])
    assert before * 1000 - 1 <= stamp_ms <= after * 1000 + 1
    string_to_sign = f"{stamp_ms}\n{SECRET_DING}".encode()
    digest = hmac.new(SECRET_DING.encode(), string_to_sign, digestmod=hashlib.sha256).digest()
    assert ding.query["sign"] == [base64.b64encode(digest).decode()]  # parse_qs undid the URL encoding
    assert ding.json() == {"msgtype": "markdown",
                           "markdown": {"title": alert.title, "text": f"### {alert.title}\n\n{alert.text}"}}

    # Feishu: timestamp (s) and sign in the body; the HMAC key is "<timestamp>\n<secret>", message empty
    (feishu,) = receiver.at("/feishu")
    body = feishu.json()
    assert before - 1 <= int(body["timestamp"]) <= after + 1
    key = f"{body['timestamp']}\n{SECRET_FEISHU}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, digestmod=hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "text" and body["content"] == {"text": f"{alert.title}\n{alert.text}"}

    # WeCom: markdown, the key stays in the URL
    (wecom,) = receiver.at("/wecom")
    assert wecom.query["key"] == ["wk"]
    assert wecom.json() == {"msgtype": "markdown", "markdown": {"content": f"**{alert.title}**\n{alert.text}"}}

    # email: one message to both recipients
    (mail_from, rcpt, content), = inbox.messages
    assert mail_from == "tallyhouse@example.com"
    assert rcpt == ["ops@example.com", "finance@example.com"]
    message = message_from_bytes(content, policy=default_policy)
    assert message["Subject"] == alert.title and message["X-Tallyhouse-Alert-Key"] == "test:shapes"
    assert alert.text in message.get_content()

    log = _log(ch_client, "test:shapes")
    assert sorted((c, s, d) for c, s, d, _, _ in log) == sorted(
        (name, "firing", 1) for name in ("hook", "slack", "ding", "feishu", "wecom", "mail"))
    assert all(SECRET_DING not in payload and SECRET_FEISHU not in payload for *_, payload in log)


def test_email_over_starttls(ch_client, tmp_path):
    controller, inbox, port, cert = start_smtp(tls_folder=tmp_path)
    try:
        config = parse_config({"alerts": {"routes": {"P0": ["mail"]}, "channels": {"mail": {
            "type": "email", "host": "127.0.0.1", "port": port, "to": "oncall@example.com",
            "starttls": True, "cafile": str(cert)}}}}).alerts
        alert = Alert(key="test:starttls", severity="P0", state="firing", title="[P0] tls", text="over TLS")
        (outcome,) = notify(ch_client, config, alert)
        assert (outcome.state, outcome.delivered, outcome.error) == ("firing", True, "")
        (_, rcpt, content), = inbox.messages
        assert rcpt == ["oncall@example.com"] and b"over TLS" in content
    finally:
        controller.stop()


def test_failed_delivery_is_logged_without_secrets_and_retried(ch_client, receiver):
    config = _config(receiver, {"P2": ["down", "badsign"]})
    alert = Alert(key="test:down", severity="P2", state="firing", title="t", text="x")
    now = datetime(2031, 1, 1, 8, tzinfo=UTC)
    first = notify(ch_client, config, alert, now)
    assert sorted((o.channel, o.delivered, o.error) for o in first) == [
        ("badsign", False, "errcode=310000: sign not match"), ("down", False, "HTTP 500 Internal Server Error")]
    # not delivered, so not throttled: the next tick (a minute later) tries again
    second = notify(ch_client, config, alert, now + timedelta(minutes=1))
    assert [(o.state, o.delivered) for o in second] == [("firing", False), ("firing", False)]
    log = _log(ch_client, "test:down")
    assert len(log) == 4 and all("supersecret" not in str(row) for row in log)


def _verdict(check: str, day: date, subject: str, passed: bool) -> Verdict:
    return Verdict(check_name=check, asset_key=AssetKey(["marts", "test_mart"]), business_date=day,
                   subject=subject, severity="P2", passed=passed, value=0.9 if not passed else 0.99,
                   threshold=0.98, message=f"{subject} {day}: value {'below' if not passed else 'meets'} target")


def test_open_issue_is_throttled_repeated_then_resolved_once(ch_client, receiver):
    """Throttle window P2 = 3600 s here. Dates in 2031 keep other tests' verdicts out (stale)."""
    config = _config(receiver, {"P2": ["hook"]}, throttle_seconds={"P2": 3600})
    check = "test_throttle"
    key = f"check:{check}:marts/test_mart:CN-SZX"
    day = date(2031, 3, 1)
    t0 = datetime(2031, 3, 2, 2, 0, tzinfo=UTC)

    def sent() -> list[dict]:
        return [r.json() for r in receiver.at("/hook") if r.json()["key"] == key]

    record(ch_client, [_verdict(check, day, "CN-SZX", False), _verdict(check, day, "US-LAX", True)], "run-1",
           checked_at=t0)
    outcomes = dispatch_check_alerts(ch_client, config, t0)
    assert [(o.state, o.delivered) for o in outcomes[key]] == [("firing", True)]
    # the passing subject was never open: no "resolved" noise for it
    assert [o.state for o in outcomes[f"check:{check}:marts/test_mart:US-LAX"]] == ["skipped"]
    assert [(m["state"], m["title"]) for m in sent()] == [("firing", f"[P2] {check} on marts/test_mart · CN-SZX")]

    # the next day fails again 30 minutes later: same open issue, inside the window -> nothing sent
    record(ch_client, [_verdict(check, day + timedelta(days=1), "CN-SZX", False)], "run-2",
           checked_at=t0 + timedelta(minutes=30))
    outcomes = dispatch_check_alerts(ch_client, config, t0 + timedelta(minutes=30))
    assert [o.state for o in outcomes[key]] == ["throttled"]
    assert len(sent()) == 1

    # past the window: one reminder
    outcomes = dispatch_check_alerts(ch_client, config, t0 + timedelta(minutes=61))
    assert [o.state for o in outcomes[key]] == ["repeat"]
    assert [m["state"] for m in sent()] == ["firing", "repeat"]
    assert sent()[-1]["title"].startswith("[still open] ")

    # the newest business date passes: one recovery notice, then silence
    record(ch_client, [_verdict(check, day + timedelta(days=2), "CN-SZX", True)], "run-3",
           checked_at=t0 + timedelta(hours=2))
    outcomes = dispatch_check_alerts(ch_client, config, t0 + timedelta(hours=2))
    assert [o.state for o in outcomes[key]] == ["resolved"]
    outcomes = dispatch_check_alerts(ch_client, config, t0 + timedelta(hours=9))
    assert [o.state for o in outcomes[key]] == ["skipped"]
    assert [m["state"] for m in sent()] == ["firing", "repeat", "resolved"]
    assert sent()[-1]["title"].startswith("[resolved] ")

    # a new failure after recovery is a new "firing", not a throttled repeat
    record(ch_client, [_verdict(check, day + timedelta(days=3), "CN-SZX", False)], "run-4",
           checked_at=t0 + timedelta(hours=9, minutes=5))
    outcomes = dispatch_check_alerts(ch_client, config, t0 + timedelta(hours=9, minutes=5))
    assert [o.state for o in outcomes[key]] == ["firing"]
    assert [row[1] for row in _log(ch_client, key)] == ["firing", "repeat", "resolved", "firing"]


def test_severity_routing_sends_only_to_the_routed_channels(ch_client, receiver):
    config = _config(receiver, {"P0": ["wecom", "slack"], "P3": ["hook"]})
    before = {path: len(receiver.at(path)) for path in ("/wecom", "/slack", "/hook")}
    notify(ch_client, config, Alert(key="test:route-p3", severity="P3", state="firing", title="p3", text="x"))
    notify(ch_client, config, Alert(key="test:route-p1", severity="P1", state="firing", title="p1", text="x"))
    after = {path: len(receiver.at(path)) for path in ("/wecom", "/slack", "/hook")}
    assert {p: after[p] - before[p] for p in after} == {"/wecom": 0, "/slack": 0, "/hook": 1}
    assert json.loads(receiver.at("/hook")[-1].body)["key"] == "test:route-p3"


def test_run_failure_then_success_alerts_and_recovers(ch_client, receiver):
    config = _config(receiver, {"P1": ["hook"]})
    now = datetime(2031, 5, 1, tzinfo=UTC)
    failed = run_alert("nightly_job", "r1", "P1", "step dbt_marts failed")
    assert [o.state for o in notify(ch_client, config, failed, now)] == ["firing"]
    again = run_alert("nightly_job", "r2", "P1", "step dbt_marts failed")
    assert [o.state for o in notify(ch_client, config, again, now + timedelta(minutes=10))] == ["throttled"]
    ok = run_alert("nightly_job", "r3", "P1", None)
    assert [o.state for o in notify(ch_client, config, ok, now + timedelta(minutes=20))] == ["resolved"]
    payloads = [r.json() for r in receiver.at("/hook") if r.json()["key"] == "run:nightly_job"]
    assert [p["state"] for p in payloads] == ["firing", "resolved"]
    assert "r1" in payloads[0]["text"] and "failed: step dbt_marts failed" in payloads[0]["text"]


def test_config_errors_name_the_problem():
    with pytest.raises(ValueError, match="no channel named"):
        parse_config({"alerts": {"routes": {"P1": ["nope"]}}})
    with pytest.raises(ValueError, match="unknown type"):
        parse_config({"alerts": {"channels": {"x": {"type": "pager"}}}})
    with pytest.raises(ValueError, match="not one of"):
        parse_config({"checks": {"severity": {"record_accuracy": "P9"}}})
    with pytest.raises(ValueError, match=r"unknown keys \['quarantine_shar'\]"):
        parse_config({"checks": {"quarantine_shar": 0.1}})


def test_dagster_sensors_send_check_and_run_failure_alerts(ch_client, receiver, tmp_path, monkeypatch):
    """The sensors themselves, evaluated by Dagster against a real failed run and real check rows."""
    from dagster import (
        DagsterInstance,
        asset,
        build_run_status_sensor_context,
        build_sensor_context,
        materialize,
    )

    from assets.resources import ClickHouseResource
    from orchestration.alerts.sensors import check_alerts_sensor, run_failure_alert_sensor

    config_file = tmp_path / "monitoring.toml"
    config_file.write_text(
        '[alerts]\nrun_failure_severity = "P0"\n[alerts.routes]\nP0 = ["hook"]\nP2 = ["hook"]\n'
        f'[alerts.channels.hook]\ntype = "webhook"\nurl = "{receiver.base}/hook"\n')
    monkeypatch.setenv("TALLYHOUSE_MONITORING_CONFIG", str(config_file))
    clickhouse = ClickHouseResource()

    # a failed check verdict of today -> the check sensor fires once, and is throttled on the next tick
    today = datetime.now(UTC).date()
    record(ch_client, [_verdict("test_sensor_check", today, "EU-FRA", False)], "run-s")
    key = "check:test_sensor_check:marts/test_mart:EU-FRA"
    for _ in range(2):
        check_alerts_sensor(build_sensor_context(resources={"clickhouse": clickhouse}))
    assert [r.json()["state"] for r in receiver.at("/hook") if r.json()["key"] == key] == ["firing"]

    # a real failed run -> the run failure sensor alerts with the job name and the error
    @asset
    def always_fails() -> None:
        raise RuntimeError("warehouse unreachable")

    instance = DagsterInstance.ephemeral()
    result = materialize([always_fails], instance=instance, raise_on_error=False)
    assert not result.success
    context = build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor", dagster_instance=instance, dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(), resources={"clickhouse": clickhouse},
    ).for_run_failure()
    run_failure_alert_sensor(context)
    (sent,) = [r.json() for r in receiver.at("/hook") if r.json()["key"] == "run:__ephemeral_asset_job__"]
    assert sent["severity"] == "P0" and sent["state"] == "firing"
    assert result.run_id in sent["text"]


def test_the_shipped_example_config_is_valid_and_matches_the_defaults():
    import tomllib
    from pathlib import Path

    import orchestration.alerts

    example = Path(orchestration.alerts.__file__).with_name("monitoring.example.toml")
    data = tomllib.loads(example.read_text())
    config = parse_config(data)
    defaults = parse_config({})
    assert config.checks == defaults.checks and config.anomaly == defaults.anomaly
    assert config.freshness == defaults.freshness
    assert config.alerts.throttle_seconds == defaults.alerts.throttle_seconds
    assert [c.name for c in config.alerts.channels_for("P0")] == ["oncall_dingtalk", "ops_email"]

"""Delivery of one alert to one channel: payload shape, vendor signing, HTTP or SMTP.

Each vendor documents its own robot webhook; the shapes and signatures here follow those docs:
- generic webhook: the alert as JSON; with a `secret`, headers X-Tallyhouse-Timestamp and
  X-Tallyhouse-Signature = "sha256=" + hex HMAC-SHA256(secret, "<timestamp>.<body>") so a receiver can
  reject forged or replayed posts;
- Slack incoming webhook: {"text", "blocks"} (mrkdwn);
- DingTalk custom robot: markdown message; with a `secret`, query parameters timestamp (ms) and
  sign = urlencode(base64(HMAC-SHA256(key=secret, msg="<timestamp>\\n<secret>")));
- Feishu/Lark custom bot: text message; with a `secret`, body fields timestamp (s) and
  sign = base64(HMAC-SHA256(key="<timestamp>\\n<secret>", msg=""));
- WeCom group robot: markdown message (the key in the URL is the credential);
- email: a plain-text message over SMTP, STARTTLS and login optional.
DingTalk, Feishu and WeCom answer HTTP 200 with an error code in the body, so that code is checked too.

Errors are reported without the URL: webhook URLs carry tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage

from assets.monitoring_config import AlertChannel
from orchestration.alerts.message import Alert


class DeliveryError(Exception):
    """A channel refused or could not take the alert (message free of secrets)."""


def _hmac_b64(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk robot signature (not yet URL-encoded)."""
    return _hmac_b64(secret.encode(), f"{timestamp_ms}\n{secret}".encode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu bot signature: the HMAC key is "<timestamp>\\n<secret>", the message is empty."""
    return _hmac_b64(f"{timestamp_s}\n{secret}".encode(), b"")


def webhook_signature(secret: str, timestamp_s: int, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp_s}.".encode() + body, hashlib.sha256).hexdigest()


def _post_json(url: str, payload: dict, timeout: float, headers: dict[str, str] | None = None) -> bytes:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return _post(url, body, timeout, headers)


def _post(url: str, body: bytes, timeout: float, headers: dict[str, str] | None = None) -> bytes:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
            return response.read()
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"cannot reach the webhook host: {type(reason).__name__}") from None


def _vendor_ok(answer: bytes, *fields: str) -> None:
    """Raise unless the first of `fields` present in the JSON answer is 0."""
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        raise DeliveryError("answer is not JSON") from None
    for name in fields:
        if name in data:
            if data[name] != 0:
                raise DeliveryError(f"{name}={data[name]}: {data.get('errmsg') or data.get('msg') or ''}")
            return
    raise DeliveryError(f"answer has none of {fields}")


def _url(channel: AlertChannel) -> str:
    url = channel.value("url")
    if not url:
        raise DeliveryError(f"channel {channel.name}: no url (set url or url_env)")
    return str(url)


def send_webhook(channel: AlertChannel, alert: Alert, timeout: float) -> dict:
    payload = alert.as_dict()
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    headers = {}
    secret = channel.value("secret")
    if secret:
        now = int(time.time())
        headers = {"X-Tallyhouse-Timestamp": str(now), "X-Tallyhouse-Signature": webhook_signature(secret, now, body)}
    _post(_url(channel), body, timeout, headers)
    return payload


def send_slack(channel: AlertChannel, alert: Alert, timeout: float) -> dict:
    payload = {
        "text": alert.title,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": alert.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": alert.text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"`{alert.key}` · {alert.state}"}]},
        ],
    }
    answer = _post_json(_url(channel), payload, timeout)
    if answer.strip() not in (b"ok", b""):
        raise DeliveryError(f"slack answered {answer[:80]!r}")
    return payload


def send_dingtalk(channel: AlertChannel, alert: Alert, timeout: float) -> dict:
    url = _url(channel)
    secret = channel.value("secret")
    if secret:
        now_ms = int(time.time() * 1000)
        query = urllib.parse.urlencode({"timestamp": now_ms, "sign": dingtalk_sign(secret, now_ms)})
        url = f"{url}{'&' if '?' in url else '?'}{query}"
    payload = {"msgtype": "markdown", "markdown": {"title": alert.title, "text": f"### {alert.title}\n\n{alert.text}"}}
    _vendor_ok(_post_json(url, payload, timeout), "errcode")
    return payload


def send_feishu(channel: AlertChannel, alert: Alert, timeout: float) -> dict:
    payload: dict = {"msg_type": "text", "content": {"text": f"{alert.title}\n{alert.text}"}}
    secret = channel.value("secret")
    if secret:
        now = int(time.time())
        payload = {"timestamp": str(now), "sign": feishu_sign(secret, now), **payload}
    _vendor_ok(_post_json(_url(channel), payload, timeout), "code", "StatusCode")
    return {k: v for k, v in payload.items() if k != "sign"}


def send_wecom(channel: AlertChannel, alert: Alert, timeout: float) -> dict:
    payload = {"msgtype": "markdown", "markdown": {"content": f"**{alert.title}**\n{alert.text}"}}
    _vendor_ok(_post_json(_url(channel), payload, timeout), "errcode")
    return payload


def send_email(channel: AlertChannel, alert: Alert, timeout: float) -> dict:
    host = channel.value("host", "127.0.0.1")
    port = int(channel.value("port", 25))
    recipients = channel.value("to") or []
    if isinstance(recipients, str):
        recipients = [r.strip() for r in recipients.split(",") if r.strip()]
    if not recipients:
        raise DeliveryError(f"channel {channel.name}: no recipients (to)")
    message = EmailMessage()
    message["Subject"] = alert.title
    message["From"] = channel.value("sender", "tallyhouse@localhost")
    message["To"] = ", ".join(recipients)
    message["X-Tallyhouse-Alert-Key"] = alert.key
    message.set_content(f"{alert.text}\n\nkey: {alert.key}\nstate: {alert.state}\nseverity: {alert.severity}\n")
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            if channel.value("starttls", False):
                context = ssl.create_default_context(cafile=channel.value("cafile"))
                smtp.starttls(context=context)
            user = channel.value("user")
            if user:
                smtp.login(user, channel.value("password", ""))
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"SMTP {host}:{port}: {type(error).__name__}") from None
    return {"subject": alert.title, "to": recipients}


SENDERS = {"webhook": send_webhook, "slack": send_slack, "dingtalk": send_dingtalk, "feishu": send_feishu,
           "wecom": send_wecom, "email": send_email}


def deliver(channel: AlertChannel, alert: Alert, timeout: float) -> dict:
    """Send; return the payload as sent (minus signatures) for the log, or raise DeliveryError."""
    return SENDERS[channel.type](channel, alert, timeout)

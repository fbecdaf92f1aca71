"""The one place that decides where ClickHouse is.

Every component (ingestion, Dagster assets, dbt via `tallyhouse env`, Superset, benchmarks) reaches
ClickHouse over its HTTP interface through the values resolved here, so a deployment switches from
the embedded endpoint to a real server by setting `CLICKHOUSE_HOST` and nothing else.

Sources, highest priority first: the process environment, then a `.env` file (the current directory
first, then the project root). With no host configured the embedded endpoint is used: it is started on
demand and its generated credentials are read from the state directory. An empty `CLICKHOUSE_HOST=` in
the environment also means the embedded endpoint, even when a `.env` names a host. `CLICKHOUSE_PORT`
applies to an external host only; the embedded port is the one recorded in the state directory.

Read-only settings (what dashboards use) come from `CLICKHOUSE_RO_USER` / `CLICKHOUSE_RO_PASSWORD`
for a real server, or from the embedded endpoint's read-only user.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from tallyhouse.home import PROJECT_ROOT

ENV_KEYS = (
    "CLICKHOUSE_HOST",
    "CLICKHOUSE_PORT",
    "CLICKHOUSE_USER",
    "CLICKHOUSE_PASSWORD",
    "CLICKHOUSE_SECURE",
    "CLICKHOUSE_RO_USER",
    "CLICKHOUSE_RO_PASSWORD",
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A ClickHouse setting has a value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class WarehouseSettings:
    """Effective connection values for one ClickHouse user.

    `embedded` records whether these point at the local chDB endpoint, so callers can tell the user
    where the data lives and how it was started.
    """

    host: str
    port: int
    user: str
    password: str
    secure: bool
    readonly: bool
    embedded: bool

    def environment(self) -> dict[str, str]:
        """The values as the `CLICKHOUSE_*` environment a child tool (dbt, scripts) reads."""
        return {
            "CLICKHOUSE_HOST": self.host,
            "CLICKHOUSE_PORT": str(self.port),
            "CLICKHOUSE_USER": self.user,
            "CLICKHOUSE_PASSWORD": self.password,
            "CLICKHOUSE_SECURE": "true" if self.secure else "false",
        }

    def exports(self) -> str:
        """Shell `export` lines, quoted so `eval "$(tallyhouse env)"` survives any password."""
        return "".join(f"export {key}={shlex.quote(value)}\n" for key, value in self.environment().items())

    @property
    def http_url(self) -> str:
        """The base URL of the HTTP interface (no credentials in it, so it is safe to print)."""
        scheme = "https" if self.secure else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def sqlalchemy_url(self) -> str:
        """A `clickhousedb://` URL for SQLAlchemy and Superset, credentials percent-encoded."""
        from urllib.parse import quote

        url = (
            f"clickhousedb://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/default"
        )
        return url + ("?secure=true" if self.secure else "")


def configured_values(
    environ: Mapping[str, str] | None = None, dotenv_paths: list[Path] | None = None
) -> dict[str, str]:
    """The `CLICKHOUSE_*` values from the environment over `.env` files.

    Only ClickHouse keys are taken from `.env` so that a project `.env` cannot silently change
    unrelated process state; the environment always wins so CI and `eval "$(tallyhouse env)"` override.
    """
    environ = os.environ if environ is None else environ
    if dotenv_paths is None:
        dotenv_paths = [Path.cwd() / ".env", PROJECT_ROOT / ".env"]
    values: dict[str, str] = {}
    # Later files have lower priority: fill only keys not yet seen.
    for path in dotenv_paths:
        if path.is_file():
            for key, value in dotenv_values(path).items():
                if key in ENV_KEYS and value is not None and key not in values:
                    values[key] = value
    for key in ENV_KEYS:
        if key in environ:
            values[key] = environ[key]
    return values


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (use true/false)")


def _parse_port(name: str, raw: str) -> int:
    try:
        port = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise SettingsError(f"{name}={raw!r} is outside 1..65535")
    return port


def resolve(
    readonly: bool = False,
    *,
    start_embedded: bool = True,
    environ: Mapping[str, str] | None = None,
    dotenv_paths: list[Path] | None = None,
) -> WarehouseSettings:
    """Resolve the effective settings; start the embedded endpoint if it is the target.

    `start_embedded=False` lets callers (e.g. `tallyhouse env` on a stopped endpoint, tests) learn the
    embedded values without side effects beyond reading the state directory; the port is then the
    recorded one, or the default when it never ran.
    """
    values = configured_values(environ, dotenv_paths)
    host = values.get("CLICKHOUSE_HOST", "").strip()
    if host:
        return _external(values, host, readonly)
    return _embedded(readonly, start_embedded)


def _external(values: dict[str, str], host: str, readonly: bool) -> WarehouseSettings:
    secure = _parse_bool("CLICKHOUSE_SECURE", values.get("CLICKHOUSE_SECURE", "false"))
    default_port = 8443 if secure else 8123
    port = (
        _parse_port("CLICKHOUSE_PORT", values["CLICKHOUSE_PORT"])
        if values.get("CLICKHOUSE_PORT", "").strip()
        else default_port
    )
    if readonly:
        user = values.get("CLICKHOUSE_RO_USER", "")
        if not user:
            raise SettingsError(
                "CLICKHOUSE_RO_USER is not set: dashboards need a read-only user on an external "
                "ClickHouse (set CLICKHOUSE_RO_USER and CLICKHOUSE_RO_PASSWORD)"
            )
        password = values.get("CLICKHOUSE_RO_PASSWORD", "")
    else:
        user = values.get("CLICKHOUSE_USER", "") or "default"
        password = values.get("CLICKHOUSE_PASSWORD", "")
    return WarehouseSettings(
        host=host, port=port, user=user, password=password, secure=secure, readonly=readonly, embedded=False
    )


def _embedded(readonly: bool, start: bool) -> WarehouseSettings:
    from warehouse import embedded

    status = embedded.ensure_started() if start else embedded.status()
    creds = embedded.credentials(readonly=readonly)
    port = status.port if status.port is not None else 8123
    # A server bound to every interface is still reached over loopback from here.
    host = "127.0.0.1" if status.host in ("", "0.0.0.0", "::") else status.host
    return WarehouseSettings(
        host=host,
        port=port,
        user=creds.user,
        password=creds.password,
        secure=False,
        readonly=readonly,
        embedded=True,
    )


def as_env(readonly: bool = False, *, start_embedded: bool = True) -> str:
    """The effective settings as shell exports: what `tallyhouse env [--readonly]` prints."""
    return resolve(readonly, start_embedded=start_embedded).exports()

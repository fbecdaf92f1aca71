"""A configured clickhouse-connect client: how ingestion, assets and benchmarks reach ClickHouse.

Callers never assemble host/port/credentials themselves; they ask for a client here, so the embedded
endpoint and a real server are interchangeable and the read-only user is one flag away.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from warehouse.settings import WarehouseSettings, resolve

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

# ClickHouse identifiers we create ourselves; anything else is refused rather than quoted, because a
# database name with odd characters is almost certainly a bug in the caller.
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def get_client(
    readonly: bool = False, *, settings: WarehouseSettings | None = None, **kwargs: Any
) -> Client:
    """A clickhouse-connect client for the configured warehouse.

    Extra keyword arguments go to `clickhouse_connect.get_client` (e.g. `database`, `compress`,
    `settings`, `connect_timeout`) and override the resolved values.
    """
    import clickhouse_connect

    resolved = settings if settings is not None else resolve(readonly)
    options: dict[str, Any] = {
        "host": resolved.host,
        "port": resolved.port,
        "username": resolved.user,
        "password": resolved.password,
        "secure": resolved.secure,
    }
    options.update(kwargs)
    return clickhouse_connect.get_client(**options)


def ensure_databases(client: Client, names: Iterable[str]) -> list[str]:
    """Create the given databases if missing; returns the names that were newly created.

    Idempotent so every entry point (demo, assets, tests) can call it without coordinating.
    """
    wanted = list(names)
    for name in wanted:
        if not _IDENTIFIER.match(name):
            raise ValueError(f"database name {name!r} is not a plain identifier")
    existing = {row[0] for row in client.query("SELECT name FROM system.databases").result_rows}
    created = []
    for name in wanted:
        if name not in existing:
            client.command(f"CREATE DATABASE IF NOT EXISTS `{name}`")
            created.append(name)
    return created


@contextlib.contextmanager
def bench_client(
    configured: bool, *, prefix: str = "tallyhouse-bench-", home: str | os.PathLike[str] | None = None,
    **kwargs: Any,
) -> Iterator[Client]:
    """The configured warehouse, or a throwaway embedded endpoint in a temporary TALLYHOUSE_HOME.

    Benchmarks measure on a fresh endpoint by default so that earlier data and a developer's own
    endpoint never colour the numbers; `configured=True` measures the real target instead. `home`
    keeps the embedded endpoint's data in that folder instead, so a long benchmark can reuse what an
    earlier run loaded (its endpoint is still stopped at the end).
    """
    if configured:
        yield get_client(**kwargs)
        return
    from warehouse import embedded

    previous = os.environ.get("TALLYHOUSE_HOME")
    kind = "kept" if home is not None else "throwaway"
    with contextlib.ExitStack() as stack:
        if home is None:
            home = stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix))
        os.makedirs(home, exist_ok=True)
        os.environ["TALLYHOUSE_HOME"] = os.fspath(home)
        try:
            started = time.perf_counter()
            settings = resolve(environ={}, dotenv_paths=[])
            print(f"{kind} embedded endpoint at {settings.http_url} "
                  f"(started in {time.perf_counter() - started:.1f}s)", flush=True)
            yield get_client(settings=settings, **kwargs)
        finally:
            embedded.stop()
            if previous is None:
                os.environ.pop("TALLYHOUSE_HOME", None)
            else:
                os.environ["TALLYHOUSE_HOME"] = previous

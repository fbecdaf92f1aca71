"""Session-wide fixtures: one embedded ClickHouse endpoint (chDB over HTTP) for the whole test run.

The endpoint is a real background process on a real loopback socket, in a throwaway TALLYHOUSE_HOME, so
tests exercise exactly what users run and never touch the developer's `.tallyhouse/`.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from warehouse.environ import patched_environ


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The running endpoint's `EndpointStatus`; stopped (cleanly) at the end of the session."""
    home = tmp_path_factory.mktemp("tallyhouse-home")
    previous = os.environ.get("TALLYHOUSE_HOME")
    os.environ["TALLYHOUSE_HOME"] = str(home)
    from warehouse import embedded

    status = embedded.start(port=free_port())
    try:
        yield status
    finally:
        embedded.stop()
        if previous is None:
            os.environ.pop("TALLYHOUSE_HOME", None)
        else:
            os.environ["TALLYHOUSE_HOME"] = previous


@pytest.fixture(scope="session")
def ch_client(endpoint):
    """A clickhouse-connect client for the read-write user."""
    import clickhouse_connect

    from warehouse import embedded

    creds = embedded.credentials()
    client = clickhouse_connect.get_client(
        host="127.0.0.1", port=endpoint.port, username=creds.user, password=creds.password
    )
    yield client
    client.close()


def _real_data_dir() -> Path | None:
    """`shared/data/real` beside the checkout (as CI lays it out), else the workplace's copy."""
    for candidate in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")):
        if (candidate / "data" / "real").is_dir():
            return candidate / "data" / "real"
    return None


@pytest.fixture(scope="session")
def real_edi_210() -> Path:
    """The real UPS EDI 210 batch. Missing is a failure, not a skip: the real-data proof must run."""
    folder = _real_data_dir()
    path = folder / "ups_edi_210.txt" if folder else None
    if path is None or not path.is_file():
        pytest.fail("shared/data/real/ups_edi_210.txt not found beside the checkout or under /work/shared")
    return path


@pytest.fixture(scope="session")
def dbt_environment(endpoint) -> Iterator[dict[str, str]]:
    """The CLICKHOUSE_* variables dbt's profile reads, pointing at this session's embedded endpoint."""
    from warehouse import embedded

    creds = embedded.credentials()
    values = {"CLICKHOUSE_HOST": "127.0.0.1", "CLICKHOUSE_PORT": str(endpoint.port),
              "CLICKHOUSE_USER": creds.user, "CLICKHOUSE_PASSWORD": creds.password, "CLICKHOUSE_SECURE": "false"}
    with patched_environ(values):
        yield values

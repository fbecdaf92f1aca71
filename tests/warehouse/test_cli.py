"""`tallyhouse warehouse start|status|stop`, `tallyhouse demo` as a user runs them, in a throwaway home.

This endpoint is separate from the session one: the point is the lifecycle (idempotent start, stop
keeps data, restart) seen through the real console entry point in subprocesses.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tallyhouse(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLICKHOUSE_", "TALLYHOUSE_"))}
    env["TALLYHOUSE_HOME"] = str(home)
    env["CLICKHOUSE_HOST"] = ""  # beats a `.env` in the checkout: always the embedded endpoint
    done = subprocess.run(
        [sys.executable, "-m", "tallyhouse.cli", *args],
        capture_output=True, text=True, env=env, cwd=home, timeout=180,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"tallyhouse {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def field(output: str, name: str) -> str:
    for line in output.splitlines():
        if line.strip().startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name!r} in:\n{output}")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fresh TALLYHOUSE_HOME; the endpoint in it is stopped whatever the test did."""
    home = tmp_path / "home"
    home.mkdir()
    yield home
    tallyhouse(home, "warehouse", "stop", check=False)


def client_for(home: Path, monkeypatch: pytest.MonkeyPatch):
    """A client for the endpoint in `home`, built by our settings code from that home's state."""
    monkeypatch.setenv("TALLYHOUSE_HOME", str(home))
    from warehouse.client import get_client
    from warehouse.settings import resolve

    return get_client(settings=resolve(environ={}, dotenv_paths=[], start_embedded=False))


def test_start_status_stop_restart_keeps_data(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    down = tallyhouse(home, "warehouse", "status", check=False)
    assert down.returncode == 1
    assert field(down.stdout, "warehouse") == "down"

    port = free_port()
    started = tallyhouse(home, "warehouse", "start", "--port", str(port))
    assert field(started.stdout, "warehouse") == "up"
    assert field(started.stdout, "url") == f"http://127.0.0.1:{port}"
    pid = field(started.stdout, "pid")

    again = tallyhouse(home, "warehouse", "start")
    assert "already running" in again.stdout
    assert field(again.stdout, "pid") == pid  # idempotent: same process, not a second one
    moved = tallyhouse(home, "warehouse", "start", "--port", str(free_port()), check=False)
    assert moved.returncode == 1 and f"already running on port {port}" in moved.stderr

    up = tallyhouse(home, "warehouse", "status")
    assert field(up.stdout, "warehouse") == "up"
    assert field(up.stdout, "url") == f"http://127.0.0.1:{port}"
    assert Path(field(up.stdout, "data dir")).is_dir()
    assert Path(field(up.stdout, "data dir")).is_relative_to(home)
    assert field(up.stdout, "version")[:2].isdigit()  # ClickHouse version, e.g. 26.9...

    passwords = Path(field(up.stdout, "passwords"))
    assert passwords.is_relative_to(home)
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600
    assert stat.S_IMODE(passwords.parent.stat().st_mode) & 0o077 == 0  # directory not open to others

    client = client_for(home, monkeypatch)
    from warehouse.settings import resolve

    for readonly in (False, True):  # the generated passwords are the ones in that file
        assert resolve(readonly, environ={}, dotenv_paths=[], start_embedded=False).password in passwords.read_text()
    client.command("CREATE TABLE default.kept (n UInt32) ENGINE = MergeTree ORDER BY n")
    client.insert("default.kept", [[n] for n in range(1000)], column_names=["n"])
    assert client.command("SELECT sum(n) FROM default.kept") == 499500
    client.close()

    stopped = tallyhouse(home, "warehouse", "stop")
    assert "stopped" in stopped.stdout
    assert tallyhouse(home, "warehouse", "status", check=False).returncode == 1
    assert "not running" in tallyhouse(home, "warehouse", "stop").stdout

    restarted = tallyhouse(home, "warehouse", "start", "--port", str(free_port()))
    assert field(restarted.stdout, "warehouse") == "up"
    assert field(restarted.stdout, "pid") != pid
    client = client_for(home, monkeypatch)
    assert client.query("SELECT count(), sum(n) FROM default.kept").first_row == (1000, 499500)


def test_restart_on_the_same_port(home: Path) -> None:
    """`stop && start` must come back where `eval "$(tallyhouse env)"` exports point."""
    port = free_port()
    tallyhouse(home, "warehouse", "start", "--port", str(port))
    # status probes over HTTP/1.0 and the server closes those connections: they sit in TIME_WAIT
    tallyhouse(home, "warehouse", "status")
    tallyhouse(home, "warehouse", "stop")
    restarted = tallyhouse(home, "warehouse", "start", "--port", str(port))
    assert field(restarted.stdout, "url") == f"http://127.0.0.1:{port}"


def test_demo_creates_databases_and_says_how_to_connect(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALLYHOUSE_WAREHOUSE_PORT", str(free_port()))
    env_port = os.environ["TALLYHOUSE_WAREHOUSE_PORT"]
    # the data path of the demo on a tiny business; the UIs it starts are tested in tests/orchestration
    # (Dagster) and tests/dashboards (Superset)
    small = {"TALLYHOUSE_DEMO_DAYS": "2", "TALLYHOUSE_DEMO_ORDERS_PER_DAY": "40",
             "TALLYHOUSE_LANDING": str(home / "landing")}
    monkeypatch.setenv("TALLYHOUSE_LANDING", small["TALLYHOUSE_LANDING"])
    done = subprocess.run(
        [sys.executable, "-m", "tallyhouse.cli", "demo", "--no-ui"],
        capture_output=True, text=True, timeout=900, cwd=home,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("CLICKHOUSE_")},
             "TALLYHOUSE_HOME": str(home), "CLICKHOUSE_HOST": "", **small},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "sum(0..999999) = 499,999,500,000" in out
    assert 'eval "$(tallyhouse env)"' in out and "--readonly" in out
    assert f"http://127.0.0.1:{env_port}" in out
    passwords = Path(field(out, "passwords file").split(" (")[0])
    assert passwords.is_file() and passwords.is_relative_to(home)
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600

    client = client_for(home, monkeypatch)
    databases = {row[0] for row in client.query("SELECT name FROM system.databases").result_rows}
    assert {"raw", "staging", "intermediate", "marts", "ops"} <= databases
    days = client.query("SELECT uniqExact(snapshot_date) FROM marts.rpt_inventory_accuracy_daily").first_row[0]
    assert days == 2, out
    assert "T-1 inventory accuracy" in out and "record accuracy" in out
    # a second demo run is harmless and materializes nothing again
    second = subprocess.run(done.args, capture_output=True, text=True, timeout=900, cwd=home,
                            env={**{k: v for k, v in os.environ.items() if not k.startswith("CLICKHOUSE_")},
                                 "TALLYHOUSE_HOME": str(home), "CLICKHOUSE_HOST": "", **small})
    assert second.returncode == 0, second.stdout + second.stderr
    assert "(0 newly created)" in second.stdout
    assert client.query("SELECT uniqExact(snapshot_date) FROM marts.rpt_inventory_accuracy_daily").first_row[0] == 2

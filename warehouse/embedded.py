"""Run the embedded ClickHouse endpoint (chDB behind ClickHouse's HTTP interface) as a background process.

chDB allows one process per data directory, so one detached server process owns it and everything
else (the CLI, Dagster, dbt, Superset, tests) talks HTTP to it. Its state lives under the Tallyhouse
state directory: `warehouse/chdb/` (data), `warehouse/server.pid`, `warehouse/port`,
`warehouse/server.log` and `secrets/clickhouse-users.json` (generated passwords, 0600).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tallyhouse.home import PROJECT_ROOT, state_path

DEFAULT_PORT = 8123
RW_USER = "tallyhouse"
RO_USER = "tallyhouse_ro"
_START_TIMEOUT = 60.0


@dataclass(frozen=True)
class EndpointStatus:
    running: bool
    pid: int | None
    host: str
    port: int | None
    data_dir: Path
    log_file: Path
    version: str | None


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str


def _data_dir() -> Path:
    path = state_path("warehouse", "chdb")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _pid_file() -> Path:
    return state_path("warehouse", "server.pid")


def _port_file() -> Path:
    return state_path("warehouse", "port")


def _log_file() -> Path:
    return state_path("warehouse", "server.log")


def _users_file() -> Path:
    return state_path("secrets", "clickhouse-users.json")


def _host() -> str:
    return os.environ.get("TALLYHOUSE_WAREHOUSE_BIND") or "127.0.0.1"


def _client_host(host: str) -> str:
    """Where to reach a server bound to `host` from this machine."""
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """Serialise start/stop/secret generation between processes sharing one state dir."""
    with open(state_path("warehouse", name), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_users() -> dict:
    return json.loads(_users_file().read_text(encoding="utf-8"))["users"]


def credentials(readonly: bool = False) -> Credentials:
    """The endpoint's read-write or read-only user; passwords are generated once, kept 0600."""
    path = _users_file()
    if not path.exists():
        with _locked("secrets.lock"):
            if not path.exists():
                users = {
                    "users": {
                        RW_USER: {"password": secrets.token_urlsafe(24), "readonly": False},
                        RO_USER: {"password": secrets.token_urlsafe(24), "readonly": True},
                    }
                }
                tmp = path.with_suffix(".tmp")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(users, handle, indent=2)
                os.replace(tmp, path)
    name = RO_USER if readonly else RW_USER
    return Credentials(name, _read_users()[name]["password"])


def _pid() -> int | None:
    try:
        pid = int(_pid_file().read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    try:  # a recycled pid must not pass for our server
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"warehouse.server" not in cmdline:
            return None
    except OSError:
        pass
    return pid


def _port() -> int | None:
    try:
        return int(_port_file().read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _get(host: str, port: int, query: str | None = None, timeout: float = 2.0) -> str | None:
    url = f"http://{_client_host(host)}:{port}/ping"
    request = urllib.request.Request(url)
    if query is not None:
        url = f"http://{_client_host(host)}:{port}/?" + urllib.parse.urlencode({"query": query})
        creds = credentials()
        token = base64.b64encode(f"{creds.user}:{creds.password}".encode()).decode()
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read().decode("utf-8").strip()
    except (urllib.error.URLError, OSError, ValueError):
        return None


def status() -> EndpointStatus:
    pid, port, host = _pid(), _port(), _host()
    running = pid is not None and port is not None and _get(host, port) == "Ok."
    version = _get(host, port, "SELECT version()") if running and port is not None else None
    return EndpointStatus(running, pid if running else None, host, port, _data_dir(), _log_file(), version)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server binds: a port whose old connections linger in TIME_WAIT is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _choose_port(requested: int | None, host: str) -> int:
    if requested is not None:
        return requested
    configured = os.environ.get("TALLYHOUSE_WAREHOUSE_PORT")
    if configured:
        return int(configured)
    for port in range(DEFAULT_PORT, DEFAULT_PORT + 200):
        if _port_free(host, port):
            return port
    raise RuntimeError(f"no free port in {DEFAULT_PORT}..{DEFAULT_PORT + 199} on {host}")


def start(port: int | None = None) -> EndpointStatus:
    """Start the endpoint in the background unless it is running; return once `/ping` answers."""
    with _locked("start.lock"):
        current = status()
        if current.running:
            return current
        host = _host()
        chosen = _choose_port(port, host)
        if not _port_free(host, chosen):
            raise RuntimeError(f"port {chosen} on {host} is already in use")
        credentials()  # make sure the users file exists before the server reads it
        log_file = _log_file()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
        with open(log_file, "ab") as log:
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "warehouse.server",
                    "--data-dir", str(_data_dir()), "--port", str(chosen), "--host", host,
                    "--users-file", str(_users_file()), "--log-file", str(log_file),
                ],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=PROJECT_ROOT, env=env,
                start_new_session=True, close_fds=True,
            )
        _pid_file().write_text(f"{process.pid}\n")
        _port_file().write_text(f"{chosen}\n")
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = log_file.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"warehouse endpoint exited with {process.returncode}; log {log_file}:\n{tail}")
            if _get(host, chosen, timeout=1.0) == "Ok.":
                return status()
            time.sleep(0.1)
        process.terminate()
        raise RuntimeError(f"warehouse endpoint did not answer /ping within {_START_TIMEOUT:.0f}s; see {log_file}")


def stop(timeout: float = 30) -> bool:
    """SIGTERM and wait: the server finishes in-flight requests' engine work and closes chDB cleanly."""
    with _locked("start.lock"):
        pid = _pid()
        if pid is None:
            _pid_file().unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(pid):
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)
        _pid_file().unlink(missing_ok=True)
        return True


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        return state != "Z"
    except OSError:
        return True


def ensure_started() -> EndpointStatus:
    current = status()
    return current if current.running else start()

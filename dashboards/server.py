"""Bootstrap, start and stop the local Superset web server (`tallyhouse dashboards up|stop`).

Superset runs as its own detached process (gunicorn, one worker, loopback only) so the CLI, the demo and
tests share one server by its recorded pid and port, the way the embedded warehouse is run. Bootstrap is
idempotent: `db upgrade` and `init` are no-ops on a current metadata database, and the admin user is
created once with a generated password.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from dashboards.state import CONFIG_FILE, DEFAULT_PORT, AdminLogin, admin_login, superset_dir

_START_TIMEOUT = 240.0
BIND_HOST = "127.0.0.1"


class SupersetError(RuntimeError):
    """Superset could not be bootstrapped or started; the message says which step and where the log is."""


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    port: int | None
    log_file: Path

    @property
    def url(self) -> str:
        return f"http://{BIND_HOST}:{self.port}"


def superset_environment() -> dict[str, str]:
    """The environment every Superset process gets: our config file, no telemetry, the project importable."""
    from tallyhouse.home import PROJECT_ROOT

    env = dict(os.environ)
    env["SUPERSET_CONFIG_PATH"] = str(CONFIG_FILE)
    env["FLASK_APP"] = "superset.app:create_app()"
    env["SCARF_ANALYTICS"] = "false"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _log_file() -> Path:
    return superset_dir() / "server.log"


def bootstrap() -> tuple[AdminLogin, bool]:
    """Migrate the metadata database, create roles and permissions, and the admin user once.

    One Python process does all three (dashboards.superset_setup): three `superset` CLI runs each
    imported Superset again. Always run, not only on first start: a new metadata database (another
    URL, a deleted SQLite file) needs the schema and the user again; on a current one it is a no-op.
    Returns the admin login and whether its password was generated now (so the caller prints it once).
    """
    existing = admin_login()
    login = existing or admin_login(create=True)
    assert login is not None
    with _log_file().open("a", encoding="utf-8") as log:
        log.write("\n$ python -m dashboards.superset_setup  (db upgrade, init, admin user)\n")
        log.flush()
        result = subprocess.run([sys.executable, "-m", "dashboards.superset_setup"], env=superset_environment(),
                                input=json.dumps({"username": login.username, "password": login.password}),
                                text=True, stdout=log, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise SupersetError(f"Superset setup (db upgrade, init, admin) failed (exit {result.returncode}); "
                            f"see {_log_file()}")
    return login, existing is None


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{BIND_HOST}:{port}/health", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def status() -> ServerStatus:
    folder = superset_dir()
    pid = _read_int(folder / "server.pid")
    port = _read_int(folder / "port")
    running = _alive(pid) and port is not None and _healthy(port)
    return ServerStatus(running, pid if _alive(pid) else None, port, _log_file())


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((BIND_HOST, port)) != 0


def start(port: int | None = None) -> ServerStatus:
    """Start gunicorn on loopback (if not already running) and wait until /health answers."""
    current = status()
    if current.running:
        return current
    folder = superset_dir()
    port = port or DEFAULT_PORT
    if not _port_free(port):
        raise SupersetError(f"port {BIND_HOST}:{port} is in use; pass another port")
    command = [
        _bin("gunicorn"), "--bind", f"{BIND_HOST}:{port}", "--workers", "1", "--worker-class", "gthread",
        "--threads", "8", "--timeout", "120", "--limit-request-line", "0", "--limit-request-field_size", "0",
        "superset.app:create_app()",
    ]
    with _log_file().open("a", encoding="utf-8") as log:
        process = subprocess.Popen(command, env=superset_environment(), stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    (folder / "server.pid").write_text(str(process.pid))
    (folder / "port").write_text(str(port))
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SupersetError(f"Superset exited during start (exit {process.returncode}); see {_log_file()}")
        if _healthy(port):
            return status()
        time.sleep(1.0)
    stop()
    raise SupersetError(f"Superset did not answer on port {port} within {_START_TIMEOUT:.0f}s; see {_log_file()}")


def stop(timeout: float = 30.0) -> bool:
    """Stop the recorded server (its whole process group); True when one was running."""
    folder = superset_dir()
    pid = _read_int(folder / "server.pid")
    if not _alive(pid):
        (folder / "server.pid").unlink(missing_ok=True)
        return False
    assert pid is not None
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    (folder / "server.pid").unlink(missing_ok=True)
    return True

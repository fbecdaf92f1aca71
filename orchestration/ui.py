"""Run the Dagster UI (dagster-webserver) and dagster-daemon (schedules, sensors, backfills, the run
queue) in the background, bound to loopback, on the instance under the state dir.

Two detached processes with pid files under `<state>/dagster-ui/`, so `tallyhouse ui stop` (or a new
`make demo`) finds them again; starting when both are up and answering is a no-op.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from orchestration.instance import dagster_home
from tallyhouse.home import PROJECT_ROOT, state_path

HOST = "127.0.0.1"
DEFAULT_PORT = 3000
PROCESSES = ("webserver", "daemon")
_START_TIMEOUT = 240.0


@dataclass(frozen=True)
class UiStatus:
    webserver_pid: int | None
    daemon_pid: int | None
    port: int | None

    @property
    def url(self) -> str | None:
        return f"http://{HOST}:{self.port}" if self.port else None

    @property
    def running(self) -> bool:
        return bool(self.webserver_pid and self.daemon_pid and self.port and _answers(self.port))


def _file(name: str) -> Path:
    return state_path("dagster-ui", name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _read_pid(process: str) -> int | None:
    path = _file(f"{process}.pid")
    try:
        pid = int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/server_info", timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


def _free_port(preferred: int) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, preferred))
            return preferred
        except OSError:
            sock.bind((HOST, 0))
            return sock.getsockname()[1]


def status() -> UiStatus:
    try:
        port = int(_file("port").read_text().strip())
    except (FileNotFoundError, ValueError):
        port = None
    return UiStatus(_read_pid("webserver"), _read_pid("daemon"), port)


def _spawn(process: str, command: list[str], environment: dict[str, str]) -> int:
    log = open(_file(f"{process}.log"), "ab")  # noqa: SIM115 - handed to the child, closed below
    try:
        child = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdin=subprocess.DEVNULL,
                                 stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()
    _file(f"{process}.pid").write_text(str(child.pid))
    return child.pid


def start(port: int | None = None) -> UiStatus:
    """Start whatever of webserver and daemon is not running; wait until the webserver answers."""
    current = status()
    if current.running:
        return current
    stop()
    bin_dir = Path(sys.executable).parent
    environment = {**os.environ, "DAGSTER_HOME": str(dagster_home())}
    workspace = str(PROJECT_ROOT / "workspace.yaml")
    chosen = _free_port(port or int(os.environ.get("TALLYHOUSE_UI_PORT") or DEFAULT_PORT))
    _file("port").write_text(str(chosen))
    _spawn("webserver", [str(bin_dir / "dagster-webserver"), "-h", HOST, "-p", str(chosen), "-w", workspace],
           environment)
    _spawn("daemon", [str(bin_dir / "dagster-daemon"), "run", "-w", workspace], environment)
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if _answers(chosen):
            return status()
        if _read_pid("webserver") is None:
            break
        time.sleep(1.0)
    raise RuntimeError(f"the Dagster webserver did not come up on {HOST}:{chosen}; see {_file('webserver.log')}")


def stop(timeout: float = 20.0) -> list[str]:
    """Stop both processes (their whole process groups: the webserver spawns code servers); returns
    what was stopped."""
    stopped = []
    for process in PROCESSES:
        pid = _read_pid(process)
        if pid is None:
            _file(f"{process}.pid").unlink(missing_ok=True)
            continue
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
        _file(f"{process}.pid").unlink(missing_ok=True)
        stopped.append(process)
    return stopped

"""Where Superset keeps its state and secrets inside the Tallyhouse state directory.

Superset's metadata database, its SECRET_KEY and the generated admin password all live under the one
state directory (`tallyhouse.home.state_dir()`), so a throwaway `TALLYHOUSE_HOME` gives tests and the
demo an isolated Superset, and `make clean-state` removes everything at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from tallyhouse.home import PROJECT_ROOT, state_path

# Any SQLAlchemy URL (e.g. postgresql://...) for the metadata database; SQLite in the state dir otherwise.
METADATA_URL_VARIABLE = "TALLYHOUSE_SUPERSET_DATABASE_URI"
ADMIN_USER = "admin"
CONFIG_FILE = PROJECT_ROOT / "dashboards" / "superset_config.py"
DEFAULT_PORT = 8088


@dataclass(frozen=True)
class AdminLogin:
    username: str
    password: str


def superset_dir() -> Path:
    """The folder for Superset's own files (SQLite metadata, pid, port, log)."""
    path = state_path("superset", "x").parent
    path.chmod(0o700)
    return path


def metadata_url() -> str:
    """The metadata database URL: the setting if given, else SQLite in the state directory."""
    configured = os.environ.get(METADATA_URL_VARIABLE, "").strip()
    return configured or f"sqlite:///{superset_dir() / 'superset.db'}"


def _write_private(path: Path, text: str) -> None:
    """Create `path` with mode 0600 from the start, so the secret is never readable by others."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def secret_key_file() -> Path:
    return state_path("secrets", "superset-secret-key")


def admin_file() -> Path:
    return state_path("secrets", "superset-admin.json")


def secret_key() -> str:
    """The SECRET_KEY signing sessions and encrypting stored passwords; generated once, kept 0600."""
    path = secret_key_file()
    if not path.exists():
        # another process (the server, a CLI call) may have generated it first
        with contextlib.suppress(FileExistsError):
            _write_private(path, secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


def admin_login(create: bool = False) -> AdminLogin | None:
    """The admin login; with `create`, a random password is generated on first use (never admin/admin)."""
    path = admin_file()
    if not path.exists():
        if not create:
            return None
        login = AdminLogin(ADMIN_USER, secrets.token_urlsafe(18))
        _write_private(path, json.dumps({"username": login.username, "password": login.password}))
        return login
    data = json.loads(path.read_text(encoding="utf-8"))
    return AdminLogin(data["username"], data["password"])

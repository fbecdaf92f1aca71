"""Where Tallyhouse keeps local state.

Everything a run leaves behind (chDB data, generated secrets, logs, pid files, Dagster and Superset
metadata) lives under one directory so that a user can see it, back it up or delete it in one go.
The default is `.tallyhouse/` in the checkout (gitignored); `TALLYHOUSE_HOME` moves it, which is how
tests get an isolated, throwaway state.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def state_dir() -> Path:
    """The state directory, created on first use with owner-only permissions."""
    configured = os.environ.get("TALLYHOUSE_HOME")
    path = Path(configured).expanduser() if configured else PROJECT_ROOT / ".tallyhouse"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def state_path(*parts: str) -> Path:
    """A path inside the state directory whose parent directory exists."""
    path = state_dir().joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def landing_dir() -> Path:
    """The landing root the simulator writes and ingestion reads (`TALLYHOUSE_LANDING`)."""
    configured = os.environ.get("TALLYHOUSE_LANDING")
    return Path(configured).expanduser() if configured else PROJECT_ROOT / "data" / "landing"

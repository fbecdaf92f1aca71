"""One small simulated business shared by the simulator tests (a run takes seconds, not minutes)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from simulator import RunSummary, simulate

SMALL = {"start": date(2026, 10, 1), "days": 15, "orders_per_day": 150, "seed": 7, "skus": 200}


@pytest.fixture(scope="session")
def sim_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunSummary]:
    """A 15-day run at 150 orders/day: long enough for every planted error type to appear."""
    out = tmp_path_factory.mktemp("landing")
    return out, simulate(out, **SMALL)


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under `root`, by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }

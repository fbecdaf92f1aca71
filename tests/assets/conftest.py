"""A small simulated business for the Dagster tests, on dates no other test loads (raw is shared)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

START = date(2026, 8, 1)
DAYS = 8


@pytest.fixture(scope="session")
def small_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from simulator import simulate

    root = tmp_path_factory.mktemp("assets-landing")
    simulate(root, start=START, days=DAYS, orders_per_day=120, seed=11)
    return root

"""The demo's business: a simulated seller whose history always ends yesterday (T-1).

`make demo` must be safe and quick to re-run, so an existing landing folder is extended by the days
that have passed since it was written (the simulator's append keeps earlier files byte-identical),
and only business dates not yet registered in `raw._files` are loaded.
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

DEMO_DAYS = int(os.environ.get("TALLYHOUSE_DEMO_DAYS", "28"))
DEMO_ORDERS_PER_DAY = int(os.environ.get("TALLYHOUSE_DEMO_ORDERS_PER_DAY", "2000"))
DEMO_SEED = 7


def simulated_end(landing: Path) -> date | None:
    """The first day after the simulated history in `landing`, or None when nothing was simulated."""
    params = landing / "_manifest" / "params.json"
    if not params.is_file():
        return None
    stored = json.loads(params.read_text())
    return date.fromisoformat(stored["start"]) + timedelta(days=int(stored["days"]))


def ensure_business(landing: Path, today: date) -> tuple[str, int]:
    """Simulate (or extend) the business up to yesterday; returns what was done and how many days."""
    from simulator import simulate

    end = simulated_end(landing)
    if end is None:
        simulate(landing, start=today - timedelta(days=DEMO_DAYS), days=DEMO_DAYS,
                 orders_per_day=DEMO_ORDERS_PER_DAY, seed=DEMO_SEED)
        return "simulated", DEMO_DAYS
    missing = (today - end).days
    if missing > 0:
        simulate(landing, days=missing, append=True)
        return "extended", missing
    return "up to date", 0


def landing_dates(landing: Path) -> list[date]:
    """Every business date that has a landing folder under some source."""
    found: set[date] = set()
    for source in landing.iterdir():
        if not source.is_dir() or source.name.startswith("_"):
            continue
        for folder in source.iterdir():
            try:
                found.add(date.fromisoformat(folder.name))
            except ValueError:
                continue
    return sorted(found)


def loaded_dates(client) -> set[date]:
    """Business dates with at least one file registered by an earlier load."""
    exists = client.command("EXISTS TABLE raw._files")
    if not int(exists):
        return set()
    return {row[0] for row in client.query("SELECT DISTINCT business_date FROM raw._files").result_rows}

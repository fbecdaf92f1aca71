"""The Dagster instance (run history, event log, schedules' state) under the Tallyhouse state dir.

`tallyhouse run`, the demo and the UI processes share it, so runs made from the CLI show up in the
UI and the UI's backfills see what the CLI already materialized. `DAGSTER_HOME` wins when set.
"""

from __future__ import annotations

import os
from pathlib import Path

from tallyhouse.home import state_path

# Telemetry off (no phoning home from a loopback demo); storage is the default SQLite under home. One
# run at a time: runs of the pipeline share dbt's views and scratch tables, and a backfill launched as
# one run per date must queue, not race (each still swaps in only its own partitions).
DAGSTER_YAML = """telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
"""


def dagster_home() -> Path:
    """$DAGSTER_HOME, else <state dir>/dagster; created with a dagster.yaml if it has none."""
    configured = os.environ.get("DAGSTER_HOME")
    home = Path(configured).expanduser() if configured else state_path("dagster", "x").parent
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def get_instance():
    """A persistent instance on `dagster_home()` (imported lazily: dagster is slow to import)."""
    from dagster import DagsterInstance

    return DagsterInstance.from_config(str(dagster_home()))

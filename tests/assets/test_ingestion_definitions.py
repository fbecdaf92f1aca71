"""The project's Definitions load the way `dagster dev -w workspace.yaml` loads them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_dagster_definitions_validate():
    done = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation successful" in done.stdout + done.stderr


def test_definitions_hold_the_ingestion_assets_checks_and_sensor():
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert {"raw/order_lines", "raw/carrier_bill_lines", "raw/wms_snapshot"} <= keys
    assert repo.get_sensor_def("landing_files_sensor")
    checks = {k.name for k in repo.asset_graph.asset_check_keys if k.asset_key.path[0] == "raw"}
    assert checks == {"rows_balance", "files_readable"}

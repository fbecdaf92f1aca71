"""The project's Definitions hold every ingestion asset with its load checks, and the landing sensor.

(`dagster definitions validate` and the snapshot of all keys live in tests/orchestration/test_definitions.py.)
"""

from __future__ import annotations

from assets.checks import FILES_READABLE, ROWS_BALANCE
from assets.ingestion import RAW_ASSETS


def test_definitions_hold_the_ingestion_assets_checks_and_sensor():
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    raw_keys = {key.to_user_string() for asset in RAW_ASSETS for key in asset.keys}
    assert {"raw/order_lines", "raw/carrier_bill_lines", "raw/wms_snapshot"} <= raw_keys <= keys
    assert repo.get_sensor_def("landing_files_sensor")
    checks_by_asset: dict[str, set[str]] = {}
    for check in repo.asset_graph.asset_check_keys:
        checks_by_asset.setdefault(check.asset_key.to_user_string(), set()).add(check.name)
    for key in raw_keys:  # every raw table answers for what it read (business checks may add more)
        assert {ROWS_BALANCE, FILES_READABLE} <= checks_by_asset.get(key, set()), key

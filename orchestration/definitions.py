"""The project's Dagster Definitions: what `dagster dev -w workspace.yaml` loads.

For now the ingestion assets (with their checks), the landing sensor and the two resources; schedules,
dbt assets and alerts join here in their own issues.
"""

from __future__ import annotations

from dagster import Definitions

from assets.ingestion import RAW_ASSETS
from assets.resources import ClickHouseResource, LandingResource
from assets.sensors import landing_files_sensor

defs = Definitions(
    assets=RAW_ASSETS,
    sensors=[landing_files_sensor],
    resources={"clickhouse": ClickHouseResource(), "landing": LandingResource()},
)

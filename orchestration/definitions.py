"""The project's Dagster Definitions: what `dagster dev -w workspace.yaml` loads.

One lineage graph from landing files to marts: the ingestion assets (raw/<table>, with their checks),
the dbt project (views, daily incremental marts, whole-history tables; dbt tests as checks), the
anomaly scores, business and freshness checks, the jobs the nightly T-1 schedule, backfills and
`tallyhouse run` use, the landing and alert sensors, and the resources, all pointed at the warehouse
`warehouse.settings` resolves.
"""

from __future__ import annotations

from dagster import Definitions

from assets.anomaly import anomaly_findings
from assets.business_checks import BUSINESS_CHECKS
from assets.dbt import DBT_ASSETS, dbt_resource
from assets.freshness import FRESHNESS_CHECKS
from assets.ingestion import RAW_ASSETS
from assets.resources import ClickHouseResource, LandingResource
from assets.sensors import landing_files_sensor
from orchestration.alerts import ALERT_SENSORS
from orchestration.jobs import JOBS
from orchestration.schedules import nightly_t_minus_1

defs = Definitions(
    assets=[*RAW_ASSETS, *DBT_ASSETS, anomaly_findings],
    asset_checks=[*BUSINESS_CHECKS, *FRESHNESS_CHECKS],
    jobs=JOBS,
    schedules=[nightly_t_minus_1],
    sensors=[landing_files_sensor, *ALERT_SENSORS],
    resources={"clickhouse": ClickHouseResource(), "landing": LandingResource(), "dbt": dbt_resource()},
)

"""The jobs: the whole pipeline for one business date (what the nightly schedule runs) and its three
stages, which `tallyhouse run` and the demo run separately so a range of dates costs one dbt build.

- `landing_to_marts`: everything, one partition (or a backfill's range) at a time;
- `ingest_landing`: the raw tables and their checks, one date per run (a load is per business date);
- `build_marts`: the dbt assets with dbt's tests only; a range of dates is ONE run (the daily marts'
  single-run backfill policy) over the half-open window;
- `monitor_day`: what judges a day after its marts exist (anomaly scores, business checks on the
  marts), one date per run because its verdicts are per day.
"""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from assets.dbt import DBT_ASSETS
from assets.ingestion import RAW_ASSETS
from assets.partitions import business_date_partitions

NIGHTLY_JOB_NAME = "landing_to_marts"
INGEST_JOB_NAME = "ingest_landing"
MARTS_JOB_NAME = "build_marts"
MONITOR_JOB_NAME = "monitor_day"

DBT_CHECKS = [check for assets_def in DBT_ASSETS for check in assets_def.check_keys]

# Everything materializable: keys dbt sources name that no asset produces (raw/quarantine, ops tables)
# are external stubs and drop out of the job by themselves.
PIPELINE = AssetSelection.all()
INGESTION = AssetSelection.assets(*RAW_ASSETS)  # with every check on the raw tables
MARTS = AssetSelection.assets(*DBT_ASSETS).without_checks() | AssetSelection.checks(*DBT_CHECKS)
MONITOR = (AssetSelection.all() - AssetSelection.assets(*RAW_ASSETS, *DBT_ASSETS)
           | AssetSelection.checks_for_assets(*DBT_ASSETS) - AssetSelection.checks(*DBT_CHECKS))

landing_to_marts = define_asset_job(
    NIGHTLY_JOB_NAME, selection=PIPELINE, partitions_def=business_date_partitions,
    description="One business date: landing files into raw, dbt build staging -> marts, then its checks.")
ingest_landing = define_asset_job(
    INGEST_JOB_NAME, selection=INGESTION, partitions_def=business_date_partitions,
    description="Load one business date's landing files into the raw tables (with their checks).")
build_marts = define_asset_job(
    MARTS_JOB_NAME, selection=MARTS, partitions_def=business_date_partitions,
    description="dbt build for a date or a range of dates (one invocation per range) with dbt's tests.")
monitor_day = define_asset_job(
    MONITOR_JOB_NAME, selection=MONITOR, partitions_def=business_date_partitions,
    description="Anomaly scores and business checks for one business date, after its marts.")

JOBS = [landing_to_marts, ingest_landing, build_marts, monitor_day]

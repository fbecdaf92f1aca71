"""The dbt project as Dagster assets: one lineage graph from the raw tables to the marts.

Two `@dbt_assets` split the project by how it runs:
- `dbt_daily`: the incremental marts (and the models built on them), partitioned by business date like
  ingestion; a run of a range of partitions is ONE `dbt build` over the half-open window (single-run
  backfill policy), and `insert_overwrite` swaps in exactly those days, so backfills never clobber
  other partitions;
- `dbt_base`: the views and whole-history tables upstream of them, unpartitioned, cheap to recreate.
dbt's tests become asset checks (dagster-dbt's own mapping). The translator names each model after its
ClickHouse table (`marts/fct_inventory_accuracy`), groups by layer (the folder under models/), and resolves sources on `raw` to
the ingestion assets' keys (`raw/<table>`).

The manifest is parsed into the state directory when missing or older than the project's files, under
a lock, because the webserver, the daemon and every run process load these definitions.
"""


import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, Config
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from assets.dbt_args import Window, build_args
from assets.environment import Environment, exported, resolve_environment
from assets.ops_tables import ensure_ops_tables
from assets.partitions import business_date_partitions
from tallyhouse.home import PROJECT_ROOT, state_path
from warehouse.client import ensure_databases, get_client

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
WAREHOUSE_DATABASES = ("raw", "staging", "intermediate", "marts", "ops")


def manifest_dir() -> Path:
    return state_path("dbt", "manifest", "x").parent


def _newest_project_file(project_dir: Path) -> float:
    files = [p for sub in ("models", "macros", "tests") for p in (project_dir / sub).rglob("*") if p.is_file()]
    files += [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    return max(p.stat().st_mtime for p in files)


def ensure_manifest(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """`dbt parse` into the state directory unless an up-to-date manifest is already there.

    Parsing renders the profile, so it gets the warehouse's `CLICKHOUSE_*` values, resolved without
    starting the embedded endpoint (parsing never connects)."""
    target = manifest_dir()
    manifest = target / "manifest.json"
    with open(target / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest.is_file() and manifest.stat().st_mtime >= _newest_project_file(project_dir):
            return manifest
        environment = resolve_environment(start_embedded=False).settings.environment()


        done = subprocess.run(
            [str(DBT_EXECUTABLE), "parse", "--quiet", "--project-dir", str(project_dir),
             "--profiles-dir", str(project_dir), "--target-path", str(target), "--log-path", str(target)],
            env={**os.environ, **environment, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
            capture_output=True, text=True, check=False,
        )
        if done.returncode != 0 or not manifest.is_file():
            raise RuntimeError(f"dbt parse failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return manifest


class TallyhouseTranslator(DagsterDbtTranslator):
    """Keys are `<database>/<table>` as in ClickHouse, so a dbt source on `raw` is the ingestion asset."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            table = dbt_resource_props.get("identifier") or dbt_resource_props["name"]
            return AssetKey([dbt_resource_props["schema"], table])
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props.get("alias") or dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        return fqn[1] if len(fqn) > 2 else None


dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=manifest_dir())
MANIFEST = ensure_manifest()
TRANSLATOR = TallyhouseTranslator()


def dbt_resource() -> DbtCliResource:
    """The dbt CLI of this venv (PATH may not include it when Dagster is started by absolute path)."""
    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE))


def _run_dir(context: AssetExecutionContext) -> Path:
    """target/ and logs/ of one invocation, under the state dir and named after the run."""
    return state_path("dbt", "runs", f"{context.run.run_id[:8]}-{context.op_execution_context.op.name}", "x").parent


def prepare_warehouse(environment: Environment) -> None:
    """The databases dbt writes to and the ops tables the health models read, created if missing
    (idempotent), so a first run on an empty warehouse does not depend on the demo having run."""
    client = get_client(settings=environment.settings)
    try:
        ensure_databases(client, WAREHOUSE_DATABASES)
        ensure_ops_tables(client)
    finally:
        client.close()


class DbtBuildConfig(Config):
    """Run configuration of the dbt steps. `full_refresh` rebuilds the incremental marts from scratch: the
    way out when an upgrade changed a mart's columns (the marts refuse to drift: on_schema_change=fail).
    Run it over the whole history, since a rebuilt daily mart holds only the run's window."""

    full_refresh: bool = False


def _build(context: AssetExecutionContext, dbt: DbtCliResource, window: Window | None,
           config: DbtBuildConfig) -> Iterator[Any]:
    environment = resolve_environment()
    prepare_warehouse(environment)
    context.log.info(f"dbt build on {environment.describe()}"
                     + (f", window {window.start} <= date < {window.end}" if window else "")
                     + (", full refresh" if config.full_refresh else ""))
    args = build_args("build", window, full_refresh=config.full_refresh)
    with exported(environment):  # dbt's process is started (and inherits the environment) in cli()
        invocation = dbt.cli(args, context=context, target_path=_run_dir(context))
    yield from invocation.stream()


# The daily incremental marts, the tables tagged `windowed` (they read only the run's window and a
# lookback before it, so they must be built with the partition's window) and everything built on
# them form one partitioned invocation; the rest (views and tables no daily model feeds) is its
# unpartitioned upstream. Splitting purely by materialization would interleave (view -> daily mart ->
# view -> daily mart in the margin models) and make Dagster cut each multi-asset into several steps:
# six dbt invocations per run instead of two.
DAILY_SELECT = "config.materialized:incremental+ tag:windowed+"


@dbt_assets(manifest=MANIFEST, project=dbt_project, dagster_dbt_translator=TRANSLATOR, name="dbt_base",
            exclude=DAILY_SELECT)
def dbt_base(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig) -> Iterator[Any]:
    yield from _build(context, dbt, None, config)


@dbt_assets(manifest=MANIFEST, project=dbt_project, dagster_dbt_translator=TRANSLATOR, name="dbt_daily",
            select=DAILY_SELECT, partitions_def=business_date_partitions,
            backfill_policy=BackfillPolicy.single_run())
def dbt_daily(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig) -> Iterator[Any]:
    window = Window.from_time_window(*context.partition_time_window)
    yield from _build(context, dbt, window, config)


DBT_ASSETS = [dbt_base, dbt_daily]

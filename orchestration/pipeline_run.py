"""Materialize the pipeline for a range of business dates in this process: what `tallyhouse run` and the
demo do, through the same job the schedule and the UI's backfills run.

Ingestion runs one partition per date (a load is per business date), then the dbt assets run ONCE for
the whole range as a partition-range run: the daily marts get the half-open window [first, last + 1)
and swap in exactly those days, the views and whole-history tables are rebuilt once. Then each date
is judged (anomaly scores, business checks on the marts), one run per date. The jobs are those of
`orchestration.jobs`, recorded in the instance the UI reads.

Outcome: a date range fails when any run fails (a dbt test of severity error fails dbt's step, so
its run) or when any ERROR-severity check fails without failing a step (ingestion's rows_balance);
WARN-severity checks are reported but do not fail it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from dagster import AssetCheckSeverity, AssetKey, DagsterInstance

from assets.dbt_args import Window

ProgressCallback = Callable[[str], None]


@dataclass
class StepOutcome:
    """One run: the ingestion of one date, or the dbt build of the range."""

    label: str
    run_id: str
    success: bool
    materialized: int
    failed_checks: list[str] = field(default_factory=list)   # ERROR severity
    warned_checks: list[str] = field(default_factory=list)   # WARN severity
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.success and not self.failed_checks


@dataclass
class PipelineReport:
    window: Window
    steps: list[StepOutcome]

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)


def partition_keys_for(window: Window) -> list[str]:
    """The partition keys of the window's days; a clear error for days the partitions do not cover."""
    from assets.partitions import business_date_partitions

    keys = [d.isoformat() for d in window.days]
    valid = set(business_date_partitions.get_partition_keys())
    missing = [k for k in keys if k not in valid]
    if missing:
        first = business_date_partitions.get_first_partition_key()
        last = business_date_partitions.get_last_partition_key()
        raise ValueError(f"not business-date partitions: {', '.join(missing)} (partitions run {first} .. {last}; "
                         "set TALLYHOUSE_PARTITIONS_START for earlier dates)")
    return keys


SCHEMA_DRIFT_HINT = ("a mart's columns differ from the table in the warehouse (an upgrade changed them): rebuild "
                     "with `tallyhouse run --full-refresh --from <first day of history> --to <last day>`")


def step_error_text(message: str) -> str:
    """The first line of a step's error, the errors dagster-dbt parsed from dbt's log (where the cause is),
    and what to do when the cause is a mart whose columns drifted (dbt's on_schema_change=fail)."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return "failed"
    parsed = lines[lines.index("Errors parsed from dbt logs:") + 1:] if "Errors parsed from dbt logs:" in lines else []
    text = "; ".join([lines[0], *parsed[:5]])
    return f"{text} -> {SCHEMA_DRIFT_HINT}" if "out of sync" in message else text


def _outcome(label: str, result) -> StepOutcome:
    failed, warned = [], []
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            continue
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        (failed if evaluation.severity == AssetCheckSeverity.ERROR else warned).append(name)
    errors = [f"{e.step_key}: {step_error_text(e.step_failure_data.error.message if e.step_failure_data.error else '')}"
              for e in result.get_step_failure_events()]
    return StepOutcome(label=label, run_id=result.run_id, success=result.success,
                       materialized=len(result.get_asset_materialization_events()),
                       failed_checks=failed, warned_checks=warned, errors=errors)


def run_pipeline(first: date, last: date, *, instance: DagsterInstance | None = None,
                 progress: ProgressCallback | None = None, only_missing: bool = False,
                 full_refresh: bool = False, log_level: str = "INFO") -> PipelineReport:
    """Ingest each date of first..last (inclusive), dbt-build the range once, then judge each date.

    `only_missing` (the demo's quick re-run) skips the ingestion of dates whose raw partitions are all
    materialized in the instance already, and narrows the dbt run to the span of dates some daily mart
    lacks (none: no dbt run). `full_refresh` recreates the incremental marts (see DbtBuildConfig)."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from assets.dbt import DBT_ASSETS
    from assets.ingestion import RAW_ASSETS
    from orchestration.definitions import defs
    from orchestration.instance import get_instance
    from orchestration.jobs import INGEST_JOB_NAME, MARTS_JOB_NAME, MONITOR_JOB_NAME

    window = Window.inclusive(first, last)
    keys = partition_keys_for(window)
    instance = instance or get_instance()
    raw_keys = [k for a in RAW_ASSETS for k in a.keys]
    say = progress or (lambda _message: None)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    tags = {"tallyhouse/trigger": "tallyhouse run"}
    steps: list[StepOutcome] = []

    def execute(job_name: str, label: str, config: dict | None = None, **kwargs: object) -> None:
        say(label)
        result = defs.resolve_job_def(job_name).execute_in_process(
            run_config={**run_config, **(config or {})}, instance=instance, raise_on_error=False, **kwargs)
        steps.append(_outcome(label, result))
        say(f"{label}: {'ok' if steps[-1].ok else 'FAILED'}")

    done = _materialized_everywhere(instance, raw_keys) if only_missing else set()
    for key in keys:
        if key in done:
            say(f"ingest {key}: already materialized, skipped")
        else:
            execute(INGEST_JOB_NAME, f"ingest {key}", partition_key=key, tags=tags)

    dbt_range = keys
    if only_missing:
        daily_keys = [k for a in DBT_ASSETS if a.partitions_def is not None for k in a.keys]
        built = _materialized_everywhere(instance, daily_keys)
        missing = [k for k in keys if k not in built]
        if not missing:
            say(f"dbt build {keys[0]}..{keys[-1]}: already materialized, skipped")
            return PipelineReport(window, steps)
        dbt_range = keys[keys.index(missing[0]):keys.index(missing[-1]) + 1]
    dbt_config = {"full_refresh": True} if full_refresh else {}
    execute(MARTS_JOB_NAME, f"dbt build {dbt_range[0]}..{dbt_range[-1]}" + (" (full refresh)" if full_refresh else ""),
            config={"ops": {asset.op.name: {"config": dbt_config} for asset in DBT_ASSETS}},
            tags={**tags, ASSET_PARTITION_RANGE_START_TAG: dbt_range[0],
                  ASSET_PARTITION_RANGE_END_TAG: dbt_range[-1]})
    if steps[-1].success:
        for key in dbt_range:
            execute(MONITOR_JOB_NAME, f"monitor {key}", partition_key=key, tags=tags)
    return PipelineReport(window, steps)


def _materialized_everywhere(instance: DagsterInstance, keys: list[AssetKey]) -> set[str]:
    """Partition keys every one of `keys` has a materialization for."""
    sets = [set(instance.get_materialized_partitions(key)) for key in keys]
    return set.intersection(*sets) if sets else set()

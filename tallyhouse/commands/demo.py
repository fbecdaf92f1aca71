"""`tallyhouse demo`: bring up the platform on this machine and show how to reach it.

The demo is a plain sequence of steps, each a small function, so later issues add steps (simulate a
business, ingest, build marts, publish dashboards) by appending to `STEPS` without reshaping the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from warehouse.settings import WarehouseSettings

# The layers the dbt project and ingestion write to; created up front so every tool sees them.
DATABASES = ("raw", "staging", "intermediate", "marts", "ops")


@dataclass
class DemoContext:
    """What earlier steps hand to later ones."""

    settings: WarehouseSettings | None = None
    client: Any = None
    notes: list[str] = field(default_factory=list)


def step_start_warehouse(ctx: DemoContext) -> None:
    """Resolve where ClickHouse is; the embedded endpoint is started if no host is configured."""
    from warehouse.settings import resolve

    ctx.settings = resolve()
    where = "embedded endpoint" if ctx.settings.embedded else "external ClickHouse"
    typer.echo(f"  {where} at {ctx.settings.http_url} (user {ctx.settings.user})")


def step_create_databases(ctx: DemoContext) -> None:
    """Create the warehouse layers (idempotent)."""
    from assets.ops_tables import ensure_ops_tables
    from warehouse.client import ensure_databases, get_client

    ctx.client = get_client(settings=ctx.settings)
    created = ensure_databases(ctx.client, DATABASES)
    ensure_ops_tables(ctx.client)
    typer.echo(f"  databases {', '.join(DATABASES)} ready ({len(created)} newly created)")


def step_smoke_query(ctx: DemoContext) -> None:
    """Prove the engine answers: a real aggregation plus the databases just created."""
    total = ctx.client.query("SELECT sum(number) FROM numbers(1000000)").first_row[0]
    expected = 999_999 * 1_000_000 // 2
    if total != expected:
        raise RuntimeError(f"smoke query returned {total}, expected {expected}")
    present = ctx.client.query(
        "SELECT count() FROM system.databases WHERE name IN {names:Array(String)}",
        parameters={"names": list(DATABASES)},
    ).first_row[0]
    if present != len(DATABASES):
        raise RuntimeError(f"only {present} of {len(DATABASES)} databases visible after creation")
    version = ctx.client.query("SELECT version()").first_row[0]
    typer.echo(f"  ClickHouse {version}: sum(0..999999) = {total:,}; {present} databases visible")


def step_print_connection(ctx: DemoContext) -> None:
    """Tell the user how to reach the same warehouse from their own tools."""
    assert ctx.settings is not None
    typer.echo(f"  HTTP interface: {ctx.settings.http_url}")
    typer.echo('  shell / dbt:    eval "$(tallyhouse env)"            # read-write user')
    typer.echo('  dashboards:     eval "$(tallyhouse env --readonly)" # read-only user')
    if ctx.settings.embedded:
        from tallyhouse.commands.warehouse import passwords_file
        from warehouse import embedded

        status = embedded.status()
        typer.echo(f"  passwords file: {passwords_file()} (0600, generated on first start)")
        typer.echo(f"  data dir:       {status.data_dir}")
        typer.echo(f"  log file:       {status.log_file}")
        typer.echo("  stop it with:   tallyhouse warehouse stop")


def step_simulate(ctx: DemoContext) -> None:
    """Write (or extend to yesterday) the simulated seller's landing files."""
    from datetime import date

    from tallyhouse.demo_business import ensure_business
    from tallyhouse.home import landing_dir

    landing = landing_dir()
    done, days = ensure_business(landing, date.today())
    typer.echo(f"  landing {landing}: {done} ({days} days)")


def step_materialize(ctx: DemoContext) -> None:
    """Run the main Dagster job for every landing date not yet materialized (what `tallyhouse run`
    does): each date's ingestion, then one dbt build over the dates the daily marts lack."""
    from orchestration.pipeline_run import run_pipeline
    from tallyhouse.demo_business import landing_dates
    from tallyhouse.home import landing_dir

    dates = landing_dates(landing_dir())
    if not dates:
        raise RuntimeError(f"no landing dates under {landing_dir()}")

    def progress(message: str) -> None:
        if message.endswith((": ok", ": FAILED", "skipped")):
            typer.echo(f"  {message}")

    report = run_pipeline(dates[0], dates[-1], only_missing=True, progress=progress, log_level="ERROR")
    failed = [step for step in report.steps if not step.ok]
    for step in failed:
        typer.echo(f"  FAILED {step.label}: {'; '.join(step.errors + step.failed_checks)}", err=True)
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(report.steps)} runs failed; see the Dagster UI runs")
    typer.echo(f"  {dates[0]} .. {dates[-1]}: {len(report.steps)} runs, all ok")


def step_summary(ctx: DemoContext) -> None:
    """Show yesterday's inventory accuracy: the first number finance asks for each morning."""
    rows = ctx.client.query(
        "SELECT snapshot_date, warehouse_id, lines, record_accuracy, value_accuracy, abs_variance_value "
        "FROM marts.rpt_inventory_accuracy_daily "
        "WHERE snapshot_date = (SELECT max(snapshot_date) FROM marts.rpt_inventory_accuracy_daily) "
        "ORDER BY warehouse_id"
    ).result_rows
    for day, warehouse, lines, record, value, variance in rows:
        typer.echo(f"  {day} {warehouse:<8} {lines:>6} lines  record accuracy {record:.2%}  "
                   f"value accuracy {value:.2%}  |variance| {variance:,.2f} CNY")


def step_start_dagster_ui(ctx: DemoContext) -> None:
    """Start the Dagster UI and daemon in the background (loopback) on the runs just made."""
    from orchestration import ui

    current = ui.start()
    typer.echo(f"  Dagster UI: {current.url}  (asset graph: {current.url}/asset-groups)")
    typer.echo("  stop it with:   tallyhouse ui stop")


def step_start_superset(ctx: DemoContext) -> None:
    """Start Superset on loopback with the dashboards imported; say where it is and where the password is."""
    from dashboards.state import admin_file
    from tallyhouse.commands.dashboards import start_and_import

    url, new_password = start_and_import()
    typer.echo(f"  Superset dashboards: {url}  (user admin)")
    if new_password:
        typer.echo(f"  admin password (shown once): {new_password}")
    typer.echo(f"  password file: {admin_file()} (0600)")
    typer.echo("  stop it with:   tallyhouse dashboards stop")


STEPS: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("start the warehouse", step_start_warehouse),
    ("create databases", step_create_databases),
    ("smoke query", step_smoke_query),
    ("simulate the business up to yesterday", step_simulate),
    ("materialize every partition (Dagster job: ingestion, then dbt)", step_materialize),
    ("T-1 inventory accuracy", step_summary),
    ("start the Dagster UI", step_start_dagster_ui),
    ("start Superset with the dashboards", step_start_superset),
    ("how to connect", step_print_connection),
]


# The long-running web services; a headless server (or a test of the data path) can leave them out.
UI_STEPS = (step_start_dagster_ui, step_start_superset)


def demo(
    no_ui: Annotated[bool, typer.Option("--no-ui", help="Materialize the data but start neither the Dagster UI "
                                        "nor Superset (e.g. on a headless server).")] = False,
) -> None:
    """Run the demo end to end on the embedded default (or the configured ClickHouse)."""
    ctx = DemoContext()
    steps = [(title, run) for title, run in STEPS if not (no_ui and run in UI_STEPS)]
    for number, (title, run) in enumerate(steps, start=1):
        typer.echo(f"[{number}/{len(steps)}] {title}")
        run(ctx)
    typer.echo("demo finished")

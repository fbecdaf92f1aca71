"""`tallyhouse demo`: bring up the platform on this machine and show how to reach it.

The demo is a plain sequence of steps, each a small function, so later issues add steps (simulate a
business, ingest, build marts, publish dashboards) by appending to `STEPS` without reshaping the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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


def step_ingest(ctx: DemoContext) -> None:
    """Load every business date not loaded yet into `raw` (the loader is idempotent either way)."""
    from ingestion.load import load_date
    from tallyhouse.demo_business import landing_dates, loaded_dates
    from tallyhouse.home import landing_dir

    landing = landing_dir()
    done = loaded_dates(ctx.client)
    todo = [d for d in landing_dates(landing) if d not in done]
    rows = quarantined = 0
    for number, day in enumerate(todo, start=1):
        reports = load_date(ctx.client, landing, day)
        rows += sum(r.rows_loaded for r in reports)
        quarantined += sum(r.rows_quarantined for r in reports)
        typer.echo(f"  [{number}/{len(todo)}] {day}: {sum(len(r.files) for r in reports)} files")
    typer.echo(f"  {len(todo)} dates loaded ({rows:,} rows, {quarantined:,} quarantined); "
               f"{len(done)} were already loaded")


def step_build_marts(ctx: DemoContext) -> None:
    """`dbt build` the marts against the same warehouse (models and their data tests)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tallyhouse.home import PROJECT_ROOT, state_path

    assert ctx.settings is not None
    project = PROJECT_ROOT / "dbt_project"
    work = state_path("dbt", "target").parent
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), "build", "--project-dir", str(project), "--profiles-dir", str(project),
               "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    result = subprocess.run(command, env={**os.environ, **ctx.settings.environment()}, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"dbt build failed (exit {result.returncode}); see {work / 'logs'}")


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


STEPS: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("start the warehouse", step_start_warehouse),
    ("create databases", step_create_databases),
    ("smoke query", step_smoke_query),
    ("simulate the business up to yesterday", step_simulate),
    ("ingest landing files", step_ingest),
    ("build the marts (dbt build)", step_build_marts),
    ("T-1 inventory accuracy", step_summary),
    ("how to connect", step_print_connection),
]


def demo() -> None:
    """Run the demo end to end on the embedded default (or the configured ClickHouse)."""
    ctx = DemoContext()
    for number, (title, run) in enumerate(STEPS, start=1):
        typer.echo(f"[{number}/{len(STEPS)}] {title}")
        run(ctx)
    typer.echo("demo finished")

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
    from warehouse.client import ensure_databases, get_client

    ctx.client = get_client(settings=ctx.settings)
    created = ensure_databases(ctx.client, DATABASES)
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


STEPS: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("start the warehouse", step_start_warehouse),
    ("create databases", step_create_databases),
    ("smoke query", step_smoke_query),
    ("how to connect", step_print_connection),
]


def demo() -> None:
    """Run the demo end to end on the embedded default (or the configured ClickHouse)."""
    ctx = DemoContext()
    for number, (title, run) in enumerate(STEPS, start=1):
        typer.echo(f"[{number}/{len(STEPS)}] {title}")
        run(ctx)
    typer.echo("demo finished")

"""`tallyhouse dashboards up|stop|status|import|export|validate`: Superset with the dashboards as code.

Thin on purpose: bootstrap and the server live in `dashboards.server`, the bundle in `dashboards.bundle`
and the checks in `dashboards.validate`, where tests reach them without the CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from dashboards.api import SupersetApi

app = typer.Typer(no_args_is_help=True, help="Superset dashboards: start the server, import/export/validate the bundle.")


def _api() -> SupersetApi:
    """A logged-in API session against the running server (exit 1 with a hint when it is down)."""
    from dashboards import server, state
    from dashboards.api import SupersetApi

    status = server.status()
    login = state.admin_login()
    if not status.running or login is None:
        typer.echo("Superset is not running: start it with `tallyhouse dashboards up`", err=True)
        raise typer.Exit(1)
    return SupersetApi(status.url, login.username, login.password)


def start_and_import(port: int | None = None) -> tuple[str, str | None]:
    """Bootstrap, start, register the warehouse and import the bundle; (url, password if new).

    Shared with `tallyhouse demo`, which prints the URL beside the Dagster UI's.
    """
    from dashboards import bundle, server
    from warehouse.settings import resolve

    login, created = server.bootstrap()
    status = server.start(port)
    from dashboards.api import SupersetApi

    api = SupersetApi(status.url, login.username, login.password)
    bundle.import_bundle(api, resolve(readonly=True))
    return status.url, login.password if created else None


@app.command()
def up(port: Annotated[int | None, typer.Option("--port", "-p", help="Port on 127.0.0.1 (default 8088).")] = None) -> None:
    """Bootstrap Superset (metadata DB, roles, admin), start it on loopback and import the dashboards."""
    from dashboards.state import admin_file

    url, new_password = start_and_import(port)
    typer.echo(f"Superset: {url}  (user admin)")
    if new_password:
        typer.echo(f"  admin password (shown once): {new_password}")
    typer.echo(f"  password file: {admin_file()} (0600)")
    typer.echo("  stop it with:  tallyhouse dashboards stop")


@app.command()
def stop() -> None:
    """Stop the Superset server."""
    from dashboards import server

    typer.echo("Superset stopped" if server.stop() else "Superset was not running")


@app.command()
def status() -> None:
    """Whether Superset runs, where, and where its log is."""
    from dashboards import server

    current = server.status()
    typer.echo(f"Superset: {'up at ' + current.url if current.running else 'down'}")
    typer.echo(f"  log file: {current.log_file}")


@app.command(name="import")
def import_() -> None:
    """Import the bundle (dashboards/assets) into the running Superset, overwriting by UUID."""
    from dashboards import bundle
    from warehouse.settings import resolve

    count = bundle.import_bundle(_api(), resolve(readonly=True))
    typer.echo(f"imported {count} files from {bundle.BUNDLE_DIR}")


@app.command()
def export(
    folder: Annotated[Path | None, typer.Option("--to", help="Write here instead of dashboards/assets.")] = None,
) -> None:
    """Export every dashboard (normalized) into the bundle folder; prints what changed."""
    from dashboards import bundle

    target = folder or bundle.BUNDLE_DIR
    changed = bundle.write_bundle(bundle.export_bundle(_api()), target)
    typer.echo(f"{len(changed)} files changed in {target}")
    for path in changed:
        typer.echo(f"  {path}")


@app.command()
def sync(
    manifest: Annotated[Path | None, typer.Option("--manifest", help="A dbt manifest.json (default: dbt parse now).")] = None,
) -> None:
    """Bring the bundle's datasets in line with their dbt models (columns, types, descriptions); prints changes."""
    from dashboards import bundle
    from dashboards.dataset_sync import sync_bundle
    from dashboards.validate import dbt_model_nodes

    files, changes = sync_bundle(bundle.read_bundle(), dbt_model_nodes(manifest))
    bundle.write_bundle(files)
    typer.echo(f"{len(changes)} datasets changed in {bundle.BUNDLE_DIR}")
    for path, notes in sorted(changes.items()):
        typer.echo(f"  {path}: {', '.join(notes)}")


@app.command()
def validate(
    manifest: Annotated[Path | None, typer.Option("--manifest", help="A dbt manifest.json (default: dbt parse now).")] = None,
) -> None:
    """Check every dashboard -> chart -> dataset -> dbt model link of the bundle; exit 1 on any break."""
    from dashboards.validate import validate as run

    report = run(manifest=manifest)
    typer.echo(f"{report.dashboards} dashboards, {report.charts} charts, {report.datasets} datasets")
    for problem in report.problems:
        typer.echo(f"  {problem}", err=True)
    if not report.ok:
        raise typer.Exit(1)
    typer.echo("all links hold")

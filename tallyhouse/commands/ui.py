"""`tallyhouse ui start|stop|status`: the Dagster UI and daemon in the background, on loopback."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="The Dagster UI (webserver + daemon) on 127.0.0.1.")


@app.command()
def start(port: Annotated[int | None, typer.Option(help="Port (default $TALLYHOUSE_UI_PORT, else 3000 "
                                                        "or a free one).")] = None) -> None:
    """Start the webserver and the daemon (no-op when both run) and print the URL."""
    from orchestration import ui

    current = ui.start(port)
    typer.echo(f"Dagster UI: {current.url} (webserver pid {current.webserver_pid}, daemon pid "
               f"{current.daemon_pid})")


@app.command()
def stop() -> None:
    """Stop the webserver and the daemon."""
    from orchestration import ui

    stopped = ui.stop()
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def status() -> None:
    """Say whether the UI runs and where."""
    from orchestration import ui

    current = ui.status()
    typer.echo(f"running at {current.url}" if current.running else "not running")
    raise typer.Exit(0 if current.running else 1)

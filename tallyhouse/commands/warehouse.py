"""`tallyhouse warehouse start|stop|status`: manage the embedded ClickHouse endpoint.

The endpoint is a background process owning the chDB data directory; these commands are thin so
that the behaviour (idempotent start, clean stop) lives in `warehouse.embedded` where tests reach it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from warehouse.embedded import EndpointStatus

app = typer.Typer(no_args_is_help=True, help="Manage the embedded ClickHouse endpoint (chDB over HTTP).")


def describe(status: EndpointStatus) -> str:
    """Human-readable status lines; shared by `status`, `start` and the demo."""
    state = "up" if status.running else "down"
    lines = [f"warehouse: {state}"]
    if status.running:
        lines.append(f"  url:      http://{status.host}:{status.port}")
        lines.append(f"  pid:      {status.pid}")
        lines.append(f"  version:  {status.version or 'unknown'}")
    elif status.port is not None:
        lines.append(f"  port:     {status.port} (last used)")
    lines.append(f"  data dir: {status.data_dir}")
    lines.append(f"  log file: {status.log_file}")
    lines.append(f"  passwords: {passwords_file()}")
    return "\n".join(lines)


def passwords_file() -> str:
    """Where the embedded endpoint keeps its generated passwords (0600), so users can find them."""
    from warehouse import embedded

    for name in ("users_file", "USERS_FILE"):
        found = getattr(embedded, name, None)
        if found is not None:
            return str(found() if callable(found) else found)
    from tallyhouse.home import state_dir

    return str(state_dir() / "secrets" / "clickhouse-users.json")


@app.command()
def start(
    port: int | None = typer.Option(
        None, "--port", "-p", help="Port to listen on (default: 8123 or the next free one)."
    ),
) -> None:
    """Start the endpoint in the background (does nothing if it is already running)."""
    from warehouse import embedded

    before = embedded.status()
    if before.running and port is not None and port != before.port:
        typer.echo(
            f"warehouse already running on port {before.port}; stop it first to move it to {port}",
            err=True,
        )
        raise typer.Exit(1)
    status = before if before.running else embedded.start(port=port)
    if before.running:
        typer.echo("already running")
    typer.echo(describe(status))


@app.command()
def stop(
    timeout: float = typer.Option(30.0, help="Seconds to wait for a clean shutdown."),
) -> None:
    """Stop the endpoint cleanly; committed data stays in the data directory."""
    from warehouse import embedded

    was_running = embedded.stop(timeout=timeout)
    typer.echo("warehouse stopped" if was_running else "warehouse was not running")


@app.command()
def status() -> None:
    """Print up/down, URL, data dir and version; exit code 0 when up, 1 when down (for scripts)."""
    from warehouse import embedded

    current = embedded.status()
    typer.echo(describe(current))
    if not current.running:
        raise typer.Exit(1)

"""`tallyhouse env`: the effective ClickHouse settings as shell exports.

`eval "$(tallyhouse env)"` gives dbt (profiles read `env_var('CLICKHOUSE_*')`), scripts and ad-hoc
clients the same warehouse the platform uses, without anyone copying passwords around.
"""

from __future__ import annotations

import typer


def env(
    readonly: bool = typer.Option(
        False, "--readonly", help="Print the read-only user's settings (what dashboards use)."
    ),
) -> None:
    """Print `export CLICKHOUSE_...=...` lines; starts the embedded endpoint if it is the target."""
    from warehouse.settings import SettingsError, as_env

    try:
        exports = as_env(readonly=readonly)
    except SettingsError as error:
        typer.echo(f"tallyhouse env: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(exports, nl=False)

"""The `tallyhouse` command: one entry point whose subcommands each live in `tallyhouse.commands`.

Subcommand modules import their heavy dependencies inside the command functions so that
`tallyhouse --help` and `tallyhouse env` stay fast. Each module registers itself here with one line.
"""

from __future__ import annotations

import typer

from tallyhouse.commands import dashboards, demo, env, ingest, run, simulate, ui, warehouse

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Tallyhouse: supply-chain analytics and reconciliation on ClickHouse.",
)


@app.callback()
def main() -> None:
    """Tallyhouse: supply-chain analytics and reconciliation on ClickHouse."""


app.add_typer(warehouse.app, name="warehouse")
app.add_typer(dashboards.app, name="dashboards")
app.command(name="env")(env.env)
app.command(name="demo")(demo.demo)
app.command(name="simulate")(simulate.simulate)
app.command(name="ingest")(ingest.ingest)
app.command(name="run")(run.run)
app.add_typer(ui.app, name="ui")

if __name__ == "__main__":
    app()

"""The `tallyhouse` command: one entry point whose subcommands each live in `tallyhouse.commands`.

Subcommand modules import their heavy dependencies inside the command functions so that
`tallyhouse --help` and `tallyhouse env` stay fast. Each module registers itself here with one line.
"""

from __future__ import annotations

import typer

from tallyhouse.commands import demo, env, ingest, simulate, warehouse

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Tallyhouse: supply-chain analytics and reconciliation on ClickHouse.",
)


@app.callback()
def main() -> None:
    """Tallyhouse: supply-chain analytics and reconciliation on ClickHouse."""


app.add_typer(warehouse.app, name="warehouse")
app.command(name="env")(env.env)
app.command(name="demo")(demo.demo)
app.command(name="simulate")(simulate.simulate)
app.command(name="ingest")(ingest.ingest)

if __name__ == "__main__":
    app()

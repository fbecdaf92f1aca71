"""The `tallyhouse` command: one entry point whose subcommands each live in `tallyhouse.commands`.

Subcommand modules import their heavy dependencies inside the command functions so that
`tallyhouse --help` and `tallyhouse env` stay fast. Each module registers itself here with one line.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Tallyhouse: supply-chain analytics and reconciliation on ClickHouse.",
)


@app.callback()
def main() -> None:
    """Tallyhouse: supply-chain analytics and reconciliation on ClickHouse."""


if __name__ == "__main__":
    app()

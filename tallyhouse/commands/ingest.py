"""`tallyhouse ingest`: load one business date's landing files into ClickHouse `raw`.

The same loader the Dagster assets call (`ingestion.load`), so what the command does by hand is
exactly what a scheduled run does. Exit status 1 when a file could not be read or mapped, when a
file's rows do not balance in ClickHouse, or when there was nothing to load.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer


def ingest(
    business_date: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"],
                                                    help="Business date (the landing date folder).")],
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this source folder (repeatable).")
                      ] = None,
    landing: Annotated[Path | None, typer.Option(
        "--landing", help="Landing root (default: $TALLYHOUSE_LANDING, else data/landing).")] = None,
) -> None:
    """Load a business date's landing files (all sources, or --source) into the raw tables."""
    from rich.console import Console
    from rich.table import Table

    from ingestion.load import landing_sources, load_date
    from tallyhouse.home import landing_dir
    from warehouse.client import get_client

    console = Console()
    day = business_date.date()
    root = (landing or landing_dir()).expanduser()
    if not root.is_dir():
        typer.echo(f"tallyhouse ingest: landing root {root} does not exist", err=True)
        raise typer.Exit(2)
    sources = source or landing_sources(root, day)
    client = get_client()
    with console.status(f"loading {day} from {root}") as status:
        reports = load_date(client, root, day, sources=sources,
                            progress=lambda event, subject: status.update(f"{event} {subject}"))

    table = Table(title=f"ingest {day} from {root}")
    for name, justify in (("source", "left"), ("file", "left"), ("table", "left"), ("read", "right"), ("loaded", "right"),
                          ("quarantined", "right"), ("status", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for report in reports:
        for f in report.files:
            status_text = f.status + (" (re-delivered)" if f.duplicate_of else "")
            table.add_row(report.source, Path(f.source_file).name, f.target_table or "-", f"{f.rows_read:,}", f"{f.rows_loaded:,}",
                          f"{f.rows_quarantined:,}", status_text)
    console.print(table)
    files = sum(len(r.files) for r in reports)
    console.print(
        f"{files} files, {sum(r.rows_read for r in reports):,} rows read, "
        f"{sum(r.rows_loaded for r in reports):,} loaded, {sum(r.rows_quarantined for r in reports):,} "
        f"quarantined in {sum(r.seconds for r in reports):.1f}s")
    for report in reports:
        for duplicate in report.duplicates:
            console.print(f"[yellow]re-delivered: {duplicate.source_file} has the same bytes as "
                          f"{duplicate.duplicate_of} (loaded with its own lineage)[/yellow]")
    errors = [e for r in reports for e in r.errors]
    for error in errors:
        console.print(f"[red]error: {error}[/red]")
    if files == 0:
        console.print(f"[red]no landing files for {day} under {root}"
                      + (f" (sources: {', '.join(sources)})" if sources else "") + "[/red]")
        raise typer.Exit(1)
    if errors:
        raise typer.Exit(1)

"""`tallyhouse run`: materialize the whole pipeline (landing files -> raw -> marts) for business dates,
in this process, for people without the Dagster UI.

It runs the same job as the nightly schedule (`orchestration.pipeline_run`), records the runs in the
same Dagster instance the UI reads, and reads landing files from `TALLYHOUSE_LANDING` like
`tallyhouse ingest`. Exit status 1 when any run failed or any ERROR-severity check failed (a failing
dbt test, unbalanced rows); WARN-severity checks are listed but do not fail it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

_DATE = ["%Y-%m-%d"]


def run(
    business_date: Annotated[datetime | None, typer.Option(
        "--date", formats=_DATE, help="One business date (YYYY-MM-DD).")] = None,
    first: Annotated[datetime | None, typer.Option(
        "--from", formats=_DATE, help="First business date of a range (inclusive).")] = None,
    last: Annotated[datetime | None, typer.Option(
        "--to", formats=_DATE, help="Last business date of a range (INCLUSIVE: --from 2026-10-01 --to "
                                    "2026-10-03 runs three dates).")] = None,
    full_refresh: Annotated[bool, typer.Option(
        "--full-refresh", help="Rebuild the daily marts from scratch (after an upgrade changed their columns); "
                               "give the whole history as --from/--to: a rebuilt mart holds only these dates.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show Dagster's and dbt's own logs.")] = False,
) -> None:
    """Ingest each date's landing files, then dbt-build the marts once for the whole range."""
    if business_date is not None and (first or last):
        raise typer.BadParameter("give either --date or --from/--to, not both")
    if business_date is not None:
        first = last = business_date
    if first is None or last is None:
        raise typer.BadParameter("give --date D, or --from A --to B")
    if last < first:
        raise typer.BadParameter(f"--to {last.date()} is before --from {first.date()}")
    report = _execute(first.date(), last.date(), verbose, full_refresh)
    raise typer.Exit(0 if report.ok else 1)


def _execute(first, last, verbose: bool, full_refresh: bool = False):
    from rich.console import Console
    from rich.table import Table

    from orchestration.pipeline_run import run_pipeline
    from tallyhouse.home import landing_dir

    console = Console()
    console.print(f"pipeline {first} .. {last} (inclusive), landing {landing_dir()}")
    with console.status("loading definitions") as status:
        def progress(message: str) -> None:
            status.update(message)
            if message.endswith((": ok", ": FAILED", "skipped")):
                console.print(f"  {message}")

        try:
            report = run_pipeline(first, last, progress=progress, full_refresh=full_refresh,
                                  log_level="DEBUG" if verbose else "ERROR")
        except ValueError as error:  # dates outside the partitions
            console.print(f"[red]tallyhouse run: {error}[/red]")
            raise typer.Exit(2) from None

    table = Table(title=f"tallyhouse run {first} .. {last}")
    for column in ("step", "result", "assets", "failed checks (error)", "warnings", "run id"):
        table.add_column(column)
    for step in report.steps:
        table.add_row(step.label, "ok" if step.ok else "[red]FAILED[/red]", str(step.materialized),
                      "\n".join(step.failed_checks) or "-", "\n".join(step.warned_checks) or "-", step.run_id[:8])
    console.print(table)
    for step in report.steps:
        for error in step.errors:
            console.print(f"[red]{step.label}: {error}[/red]")
    return report

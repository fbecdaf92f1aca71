"""`tallyhouse simulate`: write a simulated business's landing files (the demo data and test oracle).

Deterministic: the same options give byte-identical files. `--append --days N` extends the business
stored in `<out>/_manifest/params.json` by N days and writes only the new dates.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer


def simulate(
    start: Annotated[datetime | None, typer.Option("--start", formats=["%Y-%m-%d"],
                                                   help="First business day (new runs).")] = None,
    days: Annotated[int, typer.Option("--days", min=1, help="Days to simulate (with --append: days to add).")] = 30,
    orders_per_day: Annotated[int | None, typer.Option("--orders-per-day", min=1,
                                                       help="Mean orders per day (new runs).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (new runs).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Landing root (default: the configured landing dir).")
                   ] = None,
    append: Annotated[bool, typer.Option("--append", help="Continue the business stored in --out.")] = False,
    skus: Annotated[int | None, typer.Option("--skus", min=10, help="Number of SKUs (default 800).")] = None,
    cancel_rate: Annotated[float | None, typer.Option("--cancel-rate", help="Share of orders cancelled.")] = None,
    return_rate: Annotated[float | None, typer.Option("--return-rate", help="Base share of orders returned.")] = None,
    refund_rate: Annotated[float | None, typer.Option("--refund-rate", help="Share of orders partly refunded.")
                           ] = None,
    count_discrepancies_per_week: Annotated[float | None, typer.Option("--count-discrepancies-per-week")] = None,
    unrecorded_damage_per_week: Annotated[float | None, typer.Option("--unrecorded-damage-per-week")] = None,
    late_documents_per_week: Annotated[float | None, typer.Option("--late-documents-per-week")] = None,
    malformed_rows_per_week: Annotated[float | None, typer.Option("--malformed-rows-per-week")] = None,
) -> None:
    """Simulate a multi-channel, cross-border seller and write its landing files plus the manifest."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from simulator import simulate as run
    from tallyhouse.home import landing_dir

    target = out or landing_dir()
    rates = {k: v for k, v in {
        "cancel_rate": cancel_rate, "return_rate": return_rate, "refund_rate": refund_rate,
        "count_discrepancies_per_week": count_discrepancies_per_week,
        "unrecorded_damage_per_week": unrecorded_damage_per_week,
        "late_documents_per_week": late_documents_per_week, "malformed_rows_per_week": malformed_rows_per_week,
    }.items() if v is not None}
    if not append and (start is None or orders_per_day is None or seed is None):
        typer.echo("tallyhouse simulate: --start, --orders-per-day and --seed are required "
                   "(or --append to extend an existing run)", err=True)
        raise typer.Exit(2)
    first: date | None = start.date() if start else None
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as bar:
        task = bar.add_task("simulating", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"simulating: {stage}", completed=done, total=total)

        try:
            summary = run(target, start=first, days=days, orders_per_day=orders_per_day, seed=seed, skus=skus,
                          append=append, progress=progress, **rates)
        except (ValueError, FileNotFoundError) as error:
            typer.echo(f"tallyhouse simulate: {error}", err=True)
            raise typer.Exit(2) from None
    days_written = summary.end.toordinal() - summary.written_from.toordinal()
    typer.echo(f"wrote {summary.files} files to {summary.out}: {days_written} days from {summary.written_from} "
               f"({summary.orders:,} orders in the business, {summary.start} to {summary.end})")
    for source, rows in summary.rows.items():
        typer.echo(f"  {source:<34} {rows:>10,} rows")
    planted = sum(summary.anomalies.values())
    typer.echo(f"planted {planted} anomalies: " + ", ".join(f"{k} {v}" for k, v in summary.anomalies.items()))

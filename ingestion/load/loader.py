"""Load one (source, business date) of landing files into `raw`, replacing exactly that slice.

A load parses every file of the day's folder, stages the rows in fresh tables of `raw_staging`, and
then swaps each raw table's `(business_date, source)` partition with `ALTER TABLE ... REPLACE
PARTITION`, which is atomic per table. Nothing is written into `raw` before everything has been parsed
and staged, and the file registry (`raw._files`) is swapped last, so a load killed at any point leaves
each table holding either its previous rows or its new rows of that slice, never a mix or a
duplicate; re-running the load converges to the same state as one clean load.

A byte-identical file delivered again under another name is still loaded (with its own lineage: the
duplicated bill is evidence reconciliation must see) and is reported as a duplicate of the earlier
file, in the report and in `raw._files.duplicate_of`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ingestion import quarantine
from ingestion.contracts import QUARANTINE, Contract, get_contract
from ingestion.lineage import file_sha256, new_batch_id, stamp_batch
from ingestion.load.balance import FileBalance, check_balance
from ingestion.load.landing import landing_files, landing_sources
from ingestion.load.schema import (
    FILES,
    RAW_DATABASE,
    RAW_TABLES,
    STAGING_DATABASE,
    ensure_raw_schema,
    table_ddl,
)
from ingestion.mapping import Mapping, MappingError, mapping_for, shipped_mappings
from ingestion.parser import ParseResult, RepeatedFiles, parse_file
from warehouse.streaming_insert import insert_arrow

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

# Called with an event name ("parsed", "staged", "swapped", "dropped") and a subject (file or table);
# lets the CLI show progress and lets tests stop a load at a precise point.
Progress = Callable[[str, str], None]

UNMAPPED_TABLE = ""
PARTITION = "({business_date:Date}, {source:String})"


@dataclass(frozen=True)
class FileReport:
    """What one landing file contributed to a load."""

    source_file: str
    file_sha256: str
    bytes: int
    target_table: str
    mapping: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    status: str
    file_error: str | None = None
    duplicate_of: str | None = None


@dataclass
class LoadReport:
    """The outcome of loading one (source, business date), with the balance as read back from ClickHouse."""

    source: str
    business_date: date
    batch_id: str
    files: list[FileReport] = field(default_factory=list)
    balance: list[FileBalance] = field(default_factory=list)
    seconds: float = 0.0
    tables: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    @property
    def duplicates(self) -> list[FileReport]:
        return [f for f in self.files if f.duplicate_of]

    @property
    def balanced(self) -> bool:
        return all(b.ok for b in self.balance)

    @property
    def errors(self) -> list[str]:
        """Problems that make the load fail: unreadable or unmapped files, and any unbalanced file."""
        problems = [f"{f.source_file}: {f.status}: {f.file_error}" for f in self.files if f.file_error]
        problems += [b.describe() for b in self.balance if not b.ok]
        return problems


def _unmapped(path: Path, landing: Path, source: str, business_date: date, reason: str) -> ParseResult:
    """A file no layout claims: one file-level quarantine record, so it is never silently ignored."""
    data = path.read_bytes()
    rel = path.relative_to(landing).as_posix()
    digest = file_sha256(data)
    record = quarantine.file_record(
        target_table=UNMAPPED_TABLE, reason=reason, raw_text=data[:quarantine.RAW_TEXT_LIMIT].decode(
            "utf-8", errors="replace"), source=source, source_file=rel, file_sha256=digest,
        business_date=business_date)
    return ParseResult(UNMAPPED_TABLE, "", source, rel, digest, pl.DataFrame(), record, 0, reason)


def _parse(path: Path, landing: Path, source: str, business_date: date,
           mappings: list[Mapping], repeated: RepeatedFiles) -> ParseResult:
    try:
        mapping = mapping_for(source, path.name, mappings)
    except MappingError as exc:
        return _unmapped(path, landing, source, business_date, str(exc))
    if mapping is None:
        return _unmapped(path, landing, source, business_date,
                         f"no layout in ingestion/mappings reads {source}/{path.name}")
    return parse_file(path, mapping, source=source, business_date=business_date, landing_root=landing,
                      repeated=repeated)


def _status(result: ParseResult) -> str:
    if result.contract == UNMAPPED_TABLE:
        return "unmapped"
    if result.file_error:
        return "unreadable"
    return "quarantined_rows" if result.rows_quarantined else "loaded"


def _current_state(client: Client, hashes: list[str], source: str, business_date: date
                   ) -> tuple[dict[str, str], set[str]]:
    """In one round trip (queries have a latency floor): earlier deliveries of the same bytes outside
    the slice being replaced (hash -> first file), and the raw tables that now hold rows of the slice
    (they must be replaced or cleared)."""
    holding = [
        f"SELECT 'table', '{name}', '' FROM (SELECT 1 FROM `{RAW_DATABASE}`.`{name}` "
        "WHERE business_date = {business_date:Date} AND source = {source:String} LIMIT 1)"
        for name in RAW_TABLES
    ]
    known = (
        f"SELECT 'hash', file_sha256, min(source_file) FROM `{RAW_DATABASE}`.`{FILES.name}` "
        "WHERE file_sha256 IN {hashes:Array(String)} "
        "AND NOT (source = {source:String} AND business_date = {business_date:Date}) GROUP BY file_sha256"
    )
    rows = client.query(" UNION ALL ".join([known, *holding]),
                        parameters={"hashes": hashes, "source": source, "business_date": business_date}
                        ).result_rows
    return ({digest: first for kind, digest, first in rows if kind == "hash"},
            {name for kind, name, _ in rows if kind == "table"})


def _duplicates(results: list[tuple[ParseResult, int]], known: dict[str, str]) -> dict[str, str]:
    """source_file -> the earlier file with the same bytes (empty files are never duplicates)."""
    first_seen = dict(known)
    found = {}
    for result, size in results:
        if size == 0:
            continue
        original = first_seen.setdefault(result.file_sha256, result.source_file)
        if original != result.source_file:
            found[result.source_file] = original
    return found


def _columns(contract: Contract) -> list[str]:
    return [c.name for c in contract.all_columns]


def _typed(frame: pl.DataFrame, contract: Contract) -> pl.DataFrame:
    """Exactly the table's columns, in order, with the contract's dtypes (Arrow carries them to ClickHouse)."""
    schema = contract.polars_schema()
    return frame.select([pl.col(name).cast(schema[name]) for name in _columns(contract)])


def _registry(reports: list[FileReport], source: str, business_date: date) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "target_table": [r.target_table for r in reports],
            "mapping": [r.mapping for r in reports],
            "bytes": [r.bytes for r in reports],
            "rows_read": [r.rows_read for r in reports],
            "rows_loaded": [r.rows_loaded for r in reports],
            "rows_quarantined": [r.rows_quarantined for r in reports],
            "status": [r.status for r in reports],
            "file_error": [r.file_error for r in reports],
            "duplicate_of": [r.duplicate_of for r in reports],
            "source": [source] * len(reports),
            "source_file": [r.source_file for r in reports],
            "file_sha256": [r.file_sha256 for r in reports],
            "business_date": [business_date] * len(reports),
        },
        schema_overrides={"file_error": pl.Utf8, "duplicate_of": pl.Utf8},
    )


def _stage(client: Client, contract: Contract, frame: pl.DataFrame, batch_id: str) -> str:
    staging = f"{contract.name.lstrip('_')}__{batch_id}"
    client.command(table_ddl(contract, database=STAGING_DATABASE, table=staging))
    insert_arrow(client, staging, _typed(frame, contract).to_arrow(compat_level=pl.CompatLevel.oldest()),
                 database=STAGING_DATABASE)
    return staging


def _swap(client: Client, table: str, staging: str | None, source: str, business_date: date) -> None:
    params = {"business_date": business_date, "source": source}
    if staging is None:
        client.command(f"ALTER TABLE `{RAW_DATABASE}`.`{table}` DROP PARTITION {PARTITION}", parameters=params)
    else:
        client.command(f"ALTER TABLE `{RAW_DATABASE}`.`{table}` REPLACE PARTITION {PARTITION} "
                       f"FROM `{STAGING_DATABASE}`.`{staging}`", parameters=params)


def load_source_date(
    client: Client,
    landing: Path,
    source: str,
    business_date: date,
    *,
    mappings: list[Mapping] | None = None,
    progress: Progress | None = None,
    ensure_schema: bool = True,
) -> LoadReport:
    """Load every file of `<landing>/<source>/<business_date>/` and replace that slice of `raw`.

    A day with no files changes nothing (an emptied landing folder must not erase loaded history).
    """
    started = time.perf_counter()
    notify = progress or (lambda event, subject: None)
    landing = Path(landing).resolve()
    batch_id = new_batch_id()
    report = LoadReport(source, business_date, batch_id)
    files = landing_files(landing, source, business_date)
    if not files:
        report.seconds = time.perf_counter() - started
        return report
    if ensure_schema:
        ensure_raw_schema(client)
    mappings = mappings if mappings is not None else shipped_mappings()

    parsed: list[tuple[ParseResult, int]] = []
    repeated = RepeatedFiles()  # a re-sent file (same bytes, another name) is parsed once
    for path in files:
        parsed.append((_parse(path, landing, source, business_date, mappings, repeated), path.stat().st_size))
        notify("parsed", parsed[-1][0].source_file)
    known, holding = _current_state(client, sorted({r.file_sha256 for r, size in parsed if size}), source,
                                    business_date)
    duplicates = _duplicates(parsed, known)
    report.files = [
        FileReport(r.source_file, r.file_sha256, size, r.contract, r.mapping, r.rows_read, r.rows_ok,
                   r.rows_quarantined, _status(r), r.file_error, duplicates.get(r.source_file))
        for r, size in parsed
    ]

    loaded_at = datetime.now(UTC)
    frames: dict[str, list[pl.DataFrame]] = {}
    for result, _ in parsed:
        if result.contract != UNMAPPED_TABLE and result.frame.height:
            frames.setdefault(result.contract, []).append(result.frame)
        if result.quarantine.height:
            frames.setdefault(QUARANTINE.name, []).append(result.quarantine)
    frames[FILES.name] = [_registry(report.files, source, business_date)]

    staged: dict[str, str] = {}
    try:
        for table, parts in frames.items():
            contract = FILES if table == FILES.name else get_contract(table)
            frame = stamp_batch(pl.concat(parts, how="diagonal_relaxed"), batch_id=batch_id, loaded_at=loaded_at)
            staged[table] = _stage(client, contract, frame, batch_id)
            notify("staged", table)
        # The registry goes last: it records what the raw tables now hold.
        order = sorted((set(staged) | holding) - {FILES.name}) + [FILES.name]
        for table in order:
            _swap(client, table, staged.get(table), source, business_date)
            notify("swapped" if table in staged else "dropped", table)
        report.tables = order
    finally:
        for staging in staged.values():
            client.command(f"DROP TABLE IF EXISTS `{STAGING_DATABASE}`.`{staging}`")

    report.balance = check_balance(client, source, business_date)
    report.seconds = time.perf_counter() - started
    return report


def load_date(
    client: Client,
    landing: Path,
    business_date: date,
    *,
    sources: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> list[LoadReport]:
    """Load every source (or the given ones) that has a folder for `business_date`."""
    landing = Path(landing).resolve()
    wanted = list(sources) if sources is not None else landing_sources(landing, business_date)
    ensure_raw_schema(client)
    mappings = shipped_mappings()
    return [
        load_source_date(client, landing, source, business_date, mappings=mappings, progress=progress,
                         ensure_schema=False)
        for source in wanted
    ]

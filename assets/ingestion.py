"""One Dagster asset per raw table, daily partitioned by business date.

Each asset loads, for its partition's date, every landing source whose layouts fill its table (six
order channels fill `raw.order_lines`, every carrier `raw.carrier_bill_lines`), through the same
loader as `tallyhouse ingest`, then runs its checks against ClickHouse. Which sources feed which table
is read from the shipped layouts, so a new layout file appears here without code.
"""


import time
from collections import defaultdict
from datetime import date

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.checks import check_specs, files_readable, rows_balance
from assets.partitions import business_date_partitions
from assets.resources import ClickHouseResource, LandingResource
from ingestion.contracts import QUARANTINE
from ingestion.load import LoadReport, landing_sources, load_date
from ingestion.mapping import shipped_mappings

RAW_GROUP = "raw"


def sources_by_table() -> dict[str, list[str]]:
    """table -> landing sources whose layouts fill it. A source filling several tables belongs to the
    first of them by name (a load of a source always replaces all of its tables at once)."""
    tables_of: dict[str, set[str]] = defaultdict(set)
    for mapping in shipped_mappings():
        if mapping.source:
            tables_of[mapping.source].add(mapping.contract.name)
    grouped: dict[str, list[str]] = defaultdict(list)
    for source, tables in sorted(tables_of.items()):
        grouped[min(tables)].append(source)
    return dict(sorted(grouped.items()))


def raw_key(table: str) -> AssetKey:
    return AssetKey([RAW_GROUP, table])


def _metadata(reports: list[LoadReport], seconds: float) -> dict[str, object]:
    files = [f for r in reports for f in r.files]
    lines = ["| file | read | loaded | quarantined | status |", "|---|---:|---:|---:|---|"]
    lines += [f"| {f.source_file} | {f.rows_read} | {f.rows_loaded} | {f.rows_quarantined} | {f.status}"
              + (f", same bytes as {f.duplicate_of}" if f.duplicate_of else "") + " |" for f in files]
    return {
        "files": len(files),
        "rows_read": sum(f.rows_read for f in files),
        "rows_loaded": sum(f.rows_loaded for f in files),
        "rows_quarantined": sum(f.rows_quarantined for f in files),
        "bytes": sum(f.bytes for f in files),
        "duration_s": round(seconds, 3),
        "re_delivered_files": [f.source_file for f in files if f.duplicate_of],
        "file_errors": [f"{f.source_file}: {f.file_error}" for f in files if f.file_error],
        "per_file": MetadataValue.md("\n".join(lines)),
    }


def build_raw_asset(table: str, sources: list[str]) -> AssetsDefinition:
    key = raw_key(table)

    @asset(
        key=key,
        group_name=RAW_GROUP,
        partitions_def=business_date_partitions,
        check_specs=check_specs(key),
        description=f"raw.{table}, loaded from landing sources {', '.join(sources)} "
                    f"(rejected rows in raw.{QUARANTINE.name})",
        kinds={"clickhouse", "python"},
        metadata={"sources": sources},
    )
    def _load(context: AssetExecutionContext, clickhouse: ClickHouseResource,
              landing: LandingResource) -> MaterializeResult:
        day = date.fromisoformat(context.partition_key)
        root = landing.path()
        present = [s for s in landing_sources(root, day) if s in sources]
        client = clickhouse.get_client()
        try:
            started = time.perf_counter()
            reports = load_date(client, root, day, sources=present)
            seconds = time.perf_counter() - started
            for report in reports:
                for f in report.duplicates:
                    context.log.warning(f"re-delivered file {f.source_file}: same bytes as {f.duplicate_of}")
            return MaterializeResult(
                metadata=_metadata(reports, seconds),
                check_results=[rows_balance(client, key, sources, day),
                               files_readable(client, key, sources, day)],
            )
        finally:
            client.close()

    return _load


RAW_ASSETS: list[AssetsDefinition] = [build_raw_asset(t, s) for t, s in sources_by_table().items()]

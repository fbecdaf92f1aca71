"""A sensor that notices new or changed landing files and requests the matching asset partitions.

The cursor is the set of files already seen (path relative to the landing root, with size and
modification time), so a file re-written in place is noticed again, and a tick with nothing new
requests nothing.
"""


import json
import os
from collections import defaultdict
from hashlib import sha256
from pathlib import Path

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from assets.ingestion import RAW_ASSETS, raw_key, sources_by_table
from assets.partitions import business_date_partitions
from assets.resources import LandingResource
from ingestion.load.landing import is_delivery, parse_landing_path


def scan(landing: Path) -> dict[str, str]:
    """Every delivered file: relative path -> "size:mtime_ns"."""
    found: dict[str, str] = {}
    if not landing.is_dir():
        return found
    for source in os.scandir(landing):
        if not (source.is_dir() and is_delivery(source.name)):
            continue
        for day in os.scandir(source.path):
            if not (day.is_dir() and is_delivery(day.name)):
                continue
            for entry in os.scandir(day.path):
                if entry.is_file() and is_delivery(entry.name):
                    stat = entry.stat()
                    found[f"{source.name}/{day.name}/{entry.name}"] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return found


def table_of_source() -> dict[str, str]:
    return {source: table for table, sources in sources_by_table().items() for source in sources}


def requests_for(landing: Path, seen: dict[str, str], valid_dates: set[str]
                 ) -> tuple[list[RunRequest], dict[str, str], list[str]]:
    """Run requests for files not in `seen` (or changed), the new cursor, and files set aside."""
    current = scan(landing)
    tables = table_of_source()
    wanted: dict[str, set[AssetKey]] = defaultdict(set)
    signatures: dict[str, list[str]] = defaultdict(list)
    cursor = dict(seen)
    skipped = []
    for rel, signature in sorted(current.items()):
        if seen.get(rel) == signature:
            continue
        where = parse_landing_path(landing, landing / rel)
        if where is None or where[0] not in tables:
            skipped.append(f"{rel}: no layout names source folder {rel.split('/')[0]!r}")
            cursor[rel] = signature
            continue
        day = where[1].isoformat()
        if day not in valid_dates:
            skipped.append(f"{rel}: {day} is not a partition (yet)")  # retried on a later tick
            continue
        wanted[day].add(raw_key(tables[where[0]]))
        signatures[day].append(f"{rel}={signature}")
        cursor[rel] = signature
    requests = [
        RunRequest(
            partition_key=day,
            asset_selection=sorted(keys, key=lambda k: k.to_user_string()),
            run_key=f"landing:{day}:" + sha256("\n".join(signatures[day]).encode()).hexdigest()[:16],
            tags={"tallyhouse/trigger": "landing_sensor"},
        )
        for day, keys in sorted(wanted.items())
    ]
    return requests, cursor, skipped


@sensor(
    name="landing_files_sensor",
    asset_selection=[a.key for a in RAW_ASSETS],
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="requests the raw-table partitions of newly landed (or re-written) files",
)
def landing_files_sensor(context: SensorEvaluationContext, landing: LandingResource) -> SensorResult:
    seen = json.loads(context.cursor) if context.cursor else {}
    valid = set(business_date_partitions.get_partition_keys())
    requests, cursor, skipped = requests_for(landing.path(), seen, valid)
    for line in skipped:
        context.log.info(f"not requested: {line}")
    return SensorResult(run_requests=requests, cursor=json.dumps(cursor, sort_keys=True, separators=(",", ":")))

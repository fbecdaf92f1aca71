"""The quarantine record: what was rejected, where exactly (source, file, row, field) and why.

Rows land in `raw.quarantine` next to the good rows of the same file, so "rows read = rows loaded +
rows quarantined" can be checked per file, and a person can fix the source from the record alone.
A file-level record (row_number null) stands for a file that could not be read at all.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from ingestion.contracts import PARSER_LINEAGE, QUARANTINE
from ingestion.readers import BrokenRow

FILE_FIELD = "<file>"
RAW_TEXT_LIMIT = 2000

SCHEMA: dict[str, pl.DataType] = {
    name: dtype
    for name, dtype in QUARANTINE.polars_schema().items()
    if name in {c.name for c in QUARANTINE.columns} or name in PARSER_LINEAGE
}


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def records(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else empty()


def file_record(*, target_table: str, reason: str, raw_text: str, source: str, source_file: str,
                file_sha256: str, business_date: date) -> pl.DataFrame:
    return records([{
        "target_table": target_table, "field": FILE_FIELD, "source_field": None, "reason": reason,
        "raw_text": raw_text[:RAW_TEXT_LIMIT], "source": source, "source_file": source_file,
        "file_sha256": file_sha256, "row_number": None, "business_date": business_date,
    }])


def broken_records(broken: list[BrokenRow], *, target_table: str, source: str, source_file: str,
                   file_sha256: str, business_date: date) -> pl.DataFrame:
    return records([{
        "target_table": target_table, "field": b.field, "source_field": b.source_field, "reason": b.reason,
        "raw_text": b.raw_text[:RAW_TEXT_LIMIT], "source": source, "source_file": source_file,
        "file_sha256": file_sha256, "row_number": b.row_number, "business_date": business_date,
    } for b in broken])

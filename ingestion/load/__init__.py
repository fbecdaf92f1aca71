"""Loading: parsed landing files into the ClickHouse `raw` database, one (source, business date) at a time.

The CLI (`tallyhouse ingest`), the Dagster assets and the benchmark all call `load_source_date` /
`load_date`, so there is exactly one way rows reach `raw`. No Dagster here; ClickHouse is reached
through a clickhouse-connect client the caller passes in.
"""

from ingestion.load.balance import FileBalance, check_balance
from ingestion.load.landing import landing_files, landing_sources
from ingestion.load.loader import FileReport, LoadReport, load_date, load_source_date
from ingestion.load.schema import RAW_DATABASE, ensure_raw_schema

__all__ = [
    "RAW_DATABASE",
    "FileBalance",
    "FileReport",
    "LoadReport",
    "check_balance",
    "ensure_raw_schema",
    "landing_files",
    "landing_sources",
    "load_date",
    "load_source_date",
]

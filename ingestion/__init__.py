"""Ingestion: pure parsers from landing files to contract-conforming frames (no Dagster, no warehouse).

Entry points: `parse_file`/`parse_bytes` (the standard parser), `load_mapping`/`shipped_mapping` (layout
rules), `CONTRACTS` (raw tables, DDL via `create_table_sql`). See ingestion/README.md.
"""

from ingestion.contracts import CONTRACTS, create_database_sql, create_table_sql, get_contract
from ingestion.mapping import Mapping, MappingError, load_mapping, loads_mapping, shipped_mapping
from ingestion.parser import ParseResult, parse_bytes, parse_file

__all__ = [
    "CONTRACTS",
    "Mapping",
    "MappingError",
    "ParseResult",
    "create_database_sql",
    "create_table_sql",
    "get_contract",
    "load_mapping",
    "loads_mapping",
    "parse_bytes",
    "parse_file",
    "shipped_mapping",
]

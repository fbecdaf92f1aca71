"""Raw-table contracts: the single source of the ClickHouse DDL and of row validation."""

from ingestion.contracts.ddl import create_database_sql, create_table_sql
from ingestion.contracts.model import KINDS, LINEAGE, PARSER_LINEAGE, Column, Contract
from ingestion.contracts.tables import CONTRACTS, QUARANTINE, get_contract

__all__ = [
    "CONTRACTS",
    "KINDS",
    "LINEAGE",
    "PARSER_LINEAGE",
    "QUARANTINE",
    "Column",
    "Contract",
    "create_database_sql",
    "create_table_sql",
    "get_contract",
]

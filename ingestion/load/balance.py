"""The per-file balance, read back from ClickHouse: rows read = rows loaded + rows quarantined.

Counted in the warehouse rather than trusted from the parser's in-memory numbers, so a lost insert,
a swap that did not happen or rows left by another load show up as an imbalance naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ingestion.contracts import QUARANTINE
from ingestion.load.schema import FILES, RAW_DATABASE, RAW_TABLES

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

_SLICE = "business_date = {business_date:Date} AND source = {source:String}"


@dataclass(frozen=True)
class FileBalance:
    """One file's counts: as registered by the load, and as found in the raw tables."""

    source_file: str
    rows_read: int
    rows_registered_loaded: int
    rows_registered_quarantined: int
    rows_in_table: int
    rows_in_quarantine: int
    registered: bool = True

    @property
    def ok(self) -> bool:
        return (
            self.registered
            and self.rows_read == self.rows_in_table + self.rows_in_quarantine
            and self.rows_in_table == self.rows_registered_loaded
            and self.rows_in_quarantine == self.rows_registered_quarantined
        )

    def describe(self) -> str:
        if not self.registered:
            return f"{self.source_file}: {self.rows_in_table + self.rows_in_quarantine} rows in raw but no load registered"
        return (f"{self.source_file}: read {self.rows_read}, in table {self.rows_in_table}, "
                f"in quarantine {self.rows_in_quarantine} (registered {self.rows_registered_loaded} loaded, "
                f"{self.rows_registered_quarantined} quarantined)")


def check_balance(client: Client, source: str, business_date: date) -> list[FileBalance]:
    """The balance of every file of one (source, business date) slice, in file-name order."""
    params = {"business_date": business_date, "source": source}
    data_tables = [name for name in RAW_TABLES if name not in (FILES.name, QUARANTINE.name)]
    parts = [
        f"SELECT 'registered', source_file, rows_read, rows_loaded, rows_quarantined "
        f"FROM `{RAW_DATABASE}`.`{FILES.name}` WHERE {_SLICE}",
        f"SELECT 'quarantine', source_file, toInt64(countIf(row_number IS NOT NULL)), 0, 0 "
        f"FROM `{RAW_DATABASE}`.`{QUARANTINE.name}` WHERE {_SLICE} GROUP BY source_file",
        *(f"SELECT 'table', source_file, toInt64(count()), 0, 0 FROM `{RAW_DATABASE}`.`{name}` WHERE {_SLICE} "
          "GROUP BY source_file" for name in data_tables),
    ]
    # One round trip: every query to the warehouse has a latency floor, and loads are many and small.
    rows = client.query(" UNION ALL ".join(parts), parameters=params).result_rows
    registered = [(f, int(read), int(loaded), int(quarantined))
                  for kind, f, read, loaded, quarantined in rows if kind == "registered"]
    in_table: dict[str, int] = {}
    in_quarantine: dict[str, int] = {}
    for kind, source_file, n, _, _ in rows:
        if kind in ("table", "quarantine"):
            target = in_table if kind == "table" else in_quarantine
            target[source_file] = target.get(source_file, 0) + int(n)

    balances = []
    seen = set()
    for source_file, read, loaded, quarantined in registered:
        seen.add(source_file)
        balances.append(FileBalance(source_file, read, loaded, quarantined, in_table.get(source_file, 0),
                                    in_quarantine.get(source_file, 0)))
    for source_file in (set(in_table) | set(in_quarantine)) - seen:
        balances.append(FileBalance(source_file, 0, 0, 0, in_table.get(source_file, 0),
                                    in_quarantine.get(source_file, 0), registered=False))
    return sorted(balances, key=lambda b: b.source_file)

"""What a raw-table contract is: typed columns with value rules, plus the lineage every row carries.

A contract is the one place a raw table is described, so the ClickHouse DDL (`ddl.py`) and the row
validation of the standard parser (`ingestion.validate`) cannot drift apart. Column kinds are a small
closed vocabulary instead of free-form ClickHouse types so that each kind has exactly one polars dtype,
one parser and one DDL spelling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

# kind -> (ClickHouse type, polars dtype). Money is exact (Decimal) because reconciliation compares
# billed and expected amounts to the cent; weights and rates are measurements, so Float64.
KINDS: dict[str, tuple[str, pl.DataType]] = {
    "string": ("String", pl.Utf8()),
    "code": ("LowCardinality(String)", pl.Utf8()),
    "int32": ("Int32", pl.Int32()),
    "int64": ("Int64", pl.Int64()),
    "uint32": ("UInt32", pl.UInt32()),
    "float": ("Float64", pl.Float64()),
    "money": ("Decimal(18, 4)", pl.Decimal(18, 4)),
    "date": ("Date", pl.Date()),
    "timestamp": ("DateTime64(3, 'UTC')", pl.Datetime("ms", "UTC")),
}
NUMERIC_KINDS = frozenset({"int32", "int64", "uint32", "float", "money"})
INTEGER_KINDS = frozenset({"int32", "int64", "uint32"})
TEMPORAL_KINDS = frozenset({"date", "timestamp"})

# Dates outside this window are typos or epoch defaults (1970-01-01, 9999-12-31), never business events.
DEFAULT_MIN_DATE = date(2000, 1, 1)
DEFAULT_MAX_DATE = date(2100, 1, 1)


@dataclass(frozen=True)
class Column:
    """One contract column. `unit` is the canonical unit values are stored in (mappings convert to it)."""

    name: str
    kind: str
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    allowed: frozenset[str] | None = None
    min_date: date | None = None
    max_date: date | None = None
    unit: str | None = None
    doc: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r} (one of {sorted(KINDS)})")
        if self.kind in TEMPORAL_KINDS:
            object.__setattr__(self, "min_date", self.min_date or DEFAULT_MIN_DATE)
            object.__setattr__(self, "max_date", self.max_date or DEFAULT_MAX_DATE)

    @property
    def clickhouse_type(self) -> str:
        base = KINDS[self.kind][0]
        if not self.nullable:
            return base
        if base.startswith("LowCardinality("):
            return f"LowCardinality(Nullable({base[len('LowCardinality('):-1]}))"
        return f"Nullable({base})"

    @property
    def dtype(self) -> pl.DataType:
        return KINDS[self.kind][1]


# Lineage: makes every raw number traceable to the file and row it came from, and lets a re-load of
# (source, business date) replace exactly its own rows. The parser fills the first five; the loader
# stamps load_batch_id and loaded_at (`ingestion.lineage.stamp_batch`).
LINEAGE: tuple[Column, ...] = (
    Column("source", "code", doc="landing source folder, e.g. carrier_bills"),
    Column("source_file", "string", doc="file path relative to the landing root"),
    Column("file_sha256", "string", doc="hex SHA-256 of the file bytes: re-deliveries share it"),
    Column("row_number", "uint32", doc="1-based data row (header excluded); EDI: segment position"),
    Column("business_date", "date", doc="the landing date folder the file was delivered under"),
    Column("load_batch_id", "string", doc="one id per load run of (source, business date)"),
    Column("loaded_at", "timestamp"),
)
PARSER_LINEAGE = ("source", "source_file", "file_sha256", "row_number", "business_date")


@dataclass(frozen=True)
class Contract:
    """A raw table: its business columns, sort key and lineage columns."""

    name: str
    columns: tuple[Column, ...]
    order_by: tuple[str, ...]
    doc: str = ""
    lineage: tuple[Column, ...] = LINEAGE
    partition_by: str = "business_date"
    _index: dict[str, Column] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [c.name for c in self.all_columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"contract {self.name!r}: duplicate columns {duplicates}")
        unknown = [k for k in self.order_by if k not in names]
        if unknown:
            raise ValueError(f"contract {self.name!r}: ORDER BY names unknown columns {unknown}")
        self._index.update({c.name: c for c in self.all_columns})

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return self.columns + self.lineage

    def column(self, name: str) -> Column:
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"contract {self.name!r} has no column {name!r}") from None

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def polars_schema(self, *, with_lineage: bool = True) -> dict[str, pl.DataType]:
        cols = self.all_columns if with_lineage else self.columns
        return {c.name: c.dtype for c in cols}

"""Declarative layout rules: one TOML file per channel or carrier layout, read by the standard parser.

A new CSV/XLSX/JSON/XML/PDF layout is a new file in `ingestion/mappings/`, never new code. A mapping
names the contract it fills, how to read the file (format, encoding, delimiter, sheet, header row,
JSON records path and exploded list, XML record path, summary rows to skip such as "合计") and, per
contract column, where the value comes from (header aliases in any language, or a constant) and how to
read it (date formats, time zone, unit, scale such as cents, sign rules, value vocabulary). Values
can also be combined: the first non-empty of several columns (`from` lists every alias present in
the file, in order), two columns joined (`join`: a date column and a time column), a difference
(`minus`: income and expense columns) or a quotient (`divide_by`: a line total over its quantity),
repeated from the rows above (`fill_down`: merged cells, a report's currency given once), taken
from the load (`context`: the business date of the landing folder), or read from a JSON list kept as
text (see `ingestion.list_paths`): one item's field wherever a header goes (`from =
"refunds[-1].restock"`, the latest refund's) or the sum over every item (`sum_of =
"refunds[*].transactions[*].amount"`: every refund's every transaction). Mistakes in a mapping are the developer's and
raise MappingError when the file is loaded, naming the mapping and the key; mistakes in data never raise.

Example (a carrier bill in GBK CSV with Chinese headers):

    contract = "carrier_bill_lines"
    format = "csv"
    timezone = "Asia/Shanghai"
    date_formats = ["%Y/%m/%d", "%Y-%m-%d"]

    [columns.carrier]
    value = "SF"
    [columns.waybill_no]
    from = ["运单号", "Waybill No."]
    [columns.billed_weight_kg]
    from = ["计费重量(kg)", "Chargeable weight"]
    [columns.amount]
    from = ["金额", "Amount"]
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ingestion.contracts import Contract, get_contract
from ingestion.contracts.model import NUMERIC_KINDS, TEMPORAL_KINDS
from ingestion.list_paths import ListPath, ListPathError, looks_like_list_path, parse_list_path

FORMATS = ("auto", "csv", "xlsx", "json", "xml", "pdf", "edi210")
EXTENSION_FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json",
    ".ndjson": "json", ".jsonl": "json", ".xml": "xml", ".pdf": "pdf", ".edi": "edi210", ".x12": "edi210",
    ".210": "edi210",
}
# Source unit -> (canonical unit, factor). Money columns take "cents"/"fen" (1/100 of the currency).
UNITS: dict[str, tuple[str, Decimal]] = {
    "kg": ("kg", Decimal(1)),
    "g": ("kg", Decimal("0.001")),
    "lb": ("kg", Decimal("0.45359237")),
    "oz": ("kg", Decimal("0.028349523125")),
    "cm": ("cm", Decimal(1)),
    "mm": ("cm", Decimal("0.1")),
    "m": ("cm", Decimal(100)),
    "in": ("cm", Decimal("2.54")),
    "cents": ("money", Decimal("0.01")),
    "fen": ("money", Decimal("0.01")),
}
ROOT_KEYS = {
    "name", "contract", "format", "encoding", "delimiter", "sheet", "header_row", "records", "explode",
    "record_path", "timezone", "date_formats", "datetime_formats", "decimal_comma", "columns", "unpivot",
    "description", "skip_rows_matching", "source", "files", "document_fields",
}
COLUMN_KEYS = {
    "from", "value", "default", "optional", "formats", "timezone", "date_of", "unit", "unit_from", "units",
    "scale", "negate", "negate_if", "values", "case", "decimal_comma", "context", "join", "separator", "minus", "divide_by", "fill_down",
    "sum_of",
}
# What a `context` rule may take from the load itself rather than the file.
CONTEXT_FIELDS = ("business_date", "source", "source_file")


class MappingError(ValueError):
    """A mapping file is wrong (a developer error): raised at load time, naming file and key."""


@dataclass(frozen=True)
class Condition:
    """A test on another raw field, e.g. the sign column of a bill ("借贷方向" = "贷" means credit)."""

    sources: tuple[str, ...]
    values: frozenset[str]


@dataclass(frozen=True)
class ColumnRule:
    target: str
    sources: tuple[str, ...] = ()
    value: str | None = None
    default: str | None = None
    optional: bool = False
    formats: tuple[str, ...] = ()
    timezone: str | None = None
    date_of: str | None = None
    unit: str | None = None
    unit_from: tuple[str, ...] = ()
    units: dict[str, str] = field(default_factory=dict)
    scale: Decimal | None = None
    negate: bool = False
    negate_if: Condition | None = None
    values: dict[str, str] = field(default_factory=dict)
    case: str | None = None
    decimal_comma: bool | None = None
    context: str | None = None
    join: tuple[tuple[str, ...], ...] = ()
    separator: str = " "
    minus: tuple[str, ...] = ()
    divide_by: tuple[str, ...] = ()
    fill_down: bool = False  # empty cells repeat the last value above (merged cells, summary-row fields)
    sum_of: ListPath | None = None  # the sum over a JSON list's items ("refunds[*].transactions[*].amount")


@dataclass(frozen=True)
class Unpivot:
    """Several amount columns of one row ("运费", "燃油附加费") become one charge row each."""

    columns: dict[str, str]  # header alias -> code
    code_column: str = "charge_code"
    value_column: str = "amount"
    # charge header -> the header describing it (a bill's "Other Charge Description" explains only the
    # "Other Charge Amount"); the text lands in the raw column "<unpivot:description>".
    descriptions: dict[str, str] = field(default_factory=dict)
    drop_zero: bool = True  # a 0.00 charge cell is "no such charge", not a charge line
    # JSON list column -> (code key, amount key, description key or "") of its items: charges that come
    # as a list ("extraFees": [{"feeCode": "REMOTE", "amount": 6.00}]) join the fixed ones.
    lists: dict[str, tuple[str, str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    name: str
    contract: Contract
    columns: tuple[ColumnRule, ...]
    format: str = "auto"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None
    header_row: int | None = None
    records: str | None = None
    explode: str | None = None
    record_path: str | None = None
    timezone: str = "UTC"
    date_formats: tuple[str, ...] = ()
    datetime_formats: tuple[str, ...] = ()
    decimal_comma: bool = False
    unpivot: Unpivot | None = None
    description: str = ""
    skip_pattern: re.Pattern[str] | None = None
    source: str | None = None
    files: tuple[str, ...] = ()
    # name -> regex with one group, searched in the document's text outside the table (a PDF's title,
    # a CSV's preamble lines): the invoice number a PDF statement prints only in its heading.
    document_fields: dict[str, re.Pattern[str]] = field(default_factory=dict)

    def rule(self, target: str) -> ColumnRule | None:
        return next((r for r in self.columns if r.target == target), None)

    def expected_headers(self) -> list[str]:
        """Every header alias the layout knows: used to find the header row."""
        names: list[str] = []
        for r in self.columns:
            names.extend(r.sources)
            names.extend(r.unit_from)
            names.extend(r.minus)
            names.extend(r.divide_by)
            for part in r.join:
                names.extend(part)
            if r.negate_if:
                names.extend(r.negate_if.sources)
        names = [n for n in names if n not in self.document_fields]
        if self.unpivot:
            names.extend(self.unpivot.columns)
            names.extend(self.unpivot.descriptions.values())
            names.extend(self.unpivot.lists)
        return names

    def matches(self, source: str, filename: str) -> bool:
        """Whether this layout reads `filename` delivered under landing folder `source`."""
        name = Path(filename).name
        return self.source == source and any(fnmatch.fnmatch(name, pattern) for pattern in self.files or ("*",))

    def format_for(self, filename: str) -> str:
        if self.format != "auto":
            return self.format
        suffix = Path(filename).suffix.lower()
        return EXTENSION_FORMATS.get(suffix, "csv")


def _err(where: str, message: str) -> MappingError:
    return MappingError(f"{where}: {message}")


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _err(where, "must be a string or a list of strings")


def _check_tz(name: str | None, where: str) -> None:
    if name is None:
        return
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _err(where, f"unknown time zone {name!r}") from None


def _decimal(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _err(where, f"not a number: {value!r}") from None


def _column_rule(contract: Contract, target: str, spec: Any, where: str) -> ColumnRule:
    if not isinstance(spec, dict):
        raise _err(where, "must be a table")
    unknown = set(spec) - COLUMN_KEYS
    if unknown:
        raise _err(where, f"unknown keys {sorted(unknown)} (known: {sorted(COLUMN_KEYS)})")
    try:
        column = contract.column(target)
    except KeyError:
        raise _err(where, f"contract {contract.name!r} has no column {target!r}") from None
    sources = _strings(spec.get("from"), f"{where}.from")
    value = spec.get("value")
    join_spec = spec.get("join")
    if join_spec is not None and (not isinstance(join_spec, list) or len(join_spec) < 2):
        raise _err(where, "`join` is a list of two or more columns (each a header or a list of aliases)")
    join = tuple(_strings(part, f"{where}.join") for part in (join_spec or []))
    origins = [k for k in ("from", "value", "date_of", "context", "join", "sum_of") if spec.get(k) is not None]
    if len(origins) != 1:
        raise _err(where, "needs exactly one of `from` (header aliases), `value` (a constant), `join`, "
                          f"`sum_of`, `context` or `date_of`; has {origins or 'none'}")
    sum_of = _sum_path(spec.get("sum_of"), column.kind, where)
    for alias in sources + tuple(a for part in join for a in part):
        if looks_like_list_path(alias) and parse_list_path(alias).many:
            raise _err(where, f"{alias!r} reads every item of a list: one value per row needs an index "
                              "('[0]', '[-1]'), or `sum_of` to add the items up")
    if spec.get("date_of") and column.kind != "date":
        raise _err(where, "`date_of` is for a date column")
    if spec.get("context") is not None and spec["context"] not in CONTEXT_FIELDS:
        raise _err(where, f"`context` is one of {CONTEXT_FIELDS}")
    unit = spec.get("unit")
    if unit is not None:
        if unit not in UNITS:
            raise _err(where, f"unknown unit {unit!r} (known: {sorted(UNITS)})")
        canonical = "money" if column.kind == "money" else column.unit
        if UNITS[unit][0] != canonical:
            raise _err(where, f"unit {unit!r} does not convert to {target!r} ({canonical or 'no unit'})")
    units = spec.get("units", {})
    if not isinstance(units, dict) or any(u not in UNITS for u in units.values()):
        raise _err(where, f"`units` maps raw unit labels to one of {sorted(UNITS)}")
    if units and not spec.get("unit_from"):
        raise _err(where, "`units` needs `unit_from` (the header of the unit column)")
    negate_if = spec.get("negate_if")
    condition = None
    if negate_if is not None:
        if not isinstance(negate_if, dict) or set(negate_if) != {"from", "values"}:
            raise _err(where, "`negate_if` is a table with `from` and `values`")
        condition = Condition(_strings(negate_if["from"], f"{where}.negate_if.from"),
                              frozenset(_strings(negate_if["values"], f"{where}.negate_if.values")))
    numeric_only = ("unit", "scale", "negate", "negate_if", "unit_from", "decimal_comma", "minus", "divide_by")
    if column.kind not in NUMERIC_KINDS and any(k in spec for k in numeric_only):
        raise _err(where, f"{[k for k in numeric_only if k in spec]} apply to numeric columns only")
    if column.kind not in TEMPORAL_KINDS and any(k in spec for k in ("formats", "timezone")):
        raise _err(where, "`formats`/`timezone` apply to date and timestamp columns only")
    _check_tz(spec.get("timezone"), f"{where}.timezone")
    values = spec.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise _err(where, "`values` maps raw text to contract text")
    case = spec.get("case")
    if case not in (None, "upper", "lower"):
        raise _err(where, "`case` is 'upper' or 'lower'")
    return ColumnRule(
        target=target,
        sources=sources,
        value=None if value is None else str(value),
        default=None if spec.get("default") is None else str(spec["default"]),
        optional=bool(spec.get("optional", False)),
        formats=_strings(spec.get("formats"), f"{where}.formats"),
        timezone=spec.get("timezone"),
        date_of=spec.get("date_of"),
        unit=unit,
        unit_from=_strings(spec.get("unit_from"), f"{where}.unit_from"),
        units={str(k): v for k, v in units.items()},
        scale=None if spec.get("scale") is None else _decimal(spec["scale"], f"{where}.scale"),
        negate=bool(spec.get("negate", False)),
        negate_if=condition,
        values={str(k): v for k, v in values.items()},
        case=case,
        decimal_comma=spec.get("decimal_comma"),
        context=spec.get("context"),
        join=join,
        separator=str(spec.get("separator", " ")),
        minus=_strings(spec.get("minus"), f"{where}.minus"),
        divide_by=_strings(spec.get("divide_by"), f"{where}.divide_by"),
        fill_down=bool(spec.get("fill_down", False)),
        sum_of=sum_of,
    )


def _sum_path(text: Any, kind: str, where: str) -> ListPath | None:
    if text is None:
        return None
    if kind not in NUMERIC_KINDS:
        raise _err(where, "`sum_of` applies to numeric columns only")
    if not isinstance(text, str):
        raise _err(where, "`sum_of` is a list path such as 'refunds[*].transactions[*].amount'")
    try:
        path = parse_list_path(text)
    except ListPathError as exc:
        raise _err(f"{where}.sum_of", str(exc)) from None
    if not path.many:
        raise _err(f"{where}.sum_of", f"{text!r} reads one item; `sum_of` needs '[*]' somewhere in the path")
    return path


def mapping_from_dict(doc: dict[str, Any], *, name: str) -> Mapping:
    """Validate a parsed mapping document; every rule is checked against the contract up front."""
    unknown = set(doc) - ROOT_KEYS
    if unknown:
        raise _err(name, f"unknown keys {sorted(unknown)} (known: {sorted(ROOT_KEYS)})")
    try:
        contract = get_contract(str(doc.get("contract")))
    except KeyError as exc:
        raise _err(name, str(exc)) from None
    fmt = doc.get("format", "auto")
    if fmt not in FORMATS:
        raise _err(name, f"format {fmt!r} is not one of {FORMATS}")
    if fmt == "xml" and not doc.get("record_path"):
        raise _err(name, "XML layouts need `record_path` (the repeating element)")
    _check_tz(doc.get("timezone", "UTC"), f"{name}.timezone")
    specs = doc.get("columns", {})
    if not isinstance(specs, dict):
        raise _err(name, "`columns` must be a table of contract columns")
    unpivot = None
    if "unpivot" in doc:
        spec = doc["unpivot"]
        if not isinstance(spec, dict) or not isinstance(spec.get("columns"), dict):
            raise _err(f"{name}.unpivot", "needs `columns` = { header = code, ... }")
        unknown_keys = set(spec) - {"columns", "code_column", "value_column", "descriptions", "drop_zero", "lists"}
        if unknown_keys:
            raise _err(f"{name}.unpivot", f"unknown keys {sorted(unknown_keys)}")
        lists: dict[str, tuple[str, str, str]] = {}
        for list_column, keys in dict(spec.get("lists", {})).items():
            if not isinstance(keys, dict) or not {"code", "amount"} <= set(keys):
                raise _err(f"{name}.unpivot.lists", "each list is { code = key, amount = key, description = key }")
            lists[str(list_column)] = (str(keys["code"]), str(keys["amount"]), str(keys.get("description", "")))
        unpivot = Unpivot(
            columns={str(k): str(v) for k, v in spec["columns"].items()},
            code_column=str(spec.get("code_column", "charge_code")),
            value_column=str(spec.get("value_column", "amount")),
            descriptions={str(k): str(v) for k, v in dict(spec.get("descriptions", {})).items()},
            drop_zero=bool(spec.get("drop_zero", True)),
            lists=lists,
        )
        specs = dict(specs)
        for target in (unpivot.code_column, unpivot.value_column):
            specs.setdefault(target, {"from": f"<unpivot:{target}>"})
    rules = tuple(_column_rule(contract, t, s, f"{name}.columns.{t}") for t, s in specs.items())
    mapped = {r.target for r in rules}
    missing = [c.name for c in contract.columns if not c.nullable and c.name not in mapped]
    if missing:
        raise _err(name, f"required contract columns have no rule: {missing}")
    for r in rules:
        if r.date_of and r.date_of not in mapped:
            raise _err(f"{name}.columns.{r.target}", f"`date_of` names an unmapped column {r.date_of!r}")
        if r.date_of and contract.column(r.date_of).kind != "timestamp":
            raise _err(f"{name}.columns.{r.target}", "`date_of` must name a timestamp column")
    skip = _strings(doc.get("skip_rows_matching"), f"{name}.skip_rows_matching")
    try:
        skip_pattern = re.compile("|".join(f"(?:{p})" for p in skip)) if skip else None
    except re.error as exc:
        raise _err(f"{name}.skip_rows_matching", f"invalid regular expression: {exc}") from None
    document_fields: dict[str, re.Pattern[str]] = {}
    for field_name, pattern in dict(doc.get("document_fields", {})).items():
        try:
            compiled = re.compile(str(pattern))
        except re.error as exc:
            raise _err(f"{name}.document_fields.{field_name}", f"invalid regular expression: {exc}") from None
        if compiled.groups != 1:
            raise _err(f"{name}.document_fields.{field_name}", "the pattern needs exactly one (group)")
        document_fields[str(field_name)] = compiled
    sheet = doc.get("sheet")
    if sheet is not None and not isinstance(sheet, str | int):
        raise _err(name, "`sheet` is a name or a 0-based index")
    header_row = doc.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
        raise _err(name, "`header_row` is a 1-based row number")
    return Mapping(
        name=str(doc.get("name", name)),
        contract=contract,
        columns=rules,
        format=fmt,
        encoding=doc.get("encoding"),
        delimiter=doc.get("delimiter"),
        sheet=sheet,
        header_row=header_row,
        records=doc.get("records"),
        explode=doc.get("explode"),
        record_path=doc.get("record_path"),
        timezone=doc.get("timezone", "UTC"),
        date_formats=_strings(doc.get("date_formats"), f"{name}.date_formats"),
        datetime_formats=_strings(doc.get("datetime_formats"), f"{name}.datetime_formats"),
        decimal_comma=bool(doc.get("decimal_comma", False)),
        unpivot=unpivot,
        description=str(doc.get("description", "")),
        skip_pattern=skip_pattern,
        source=None if doc.get("source") is None else str(doc["source"]),
        files=_strings(doc.get("files"), f"{name}.files"),
        document_fields=document_fields,
    )


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate one mapping file."""
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise _err(str(path), f"invalid TOML: {exc}") from None
    return mapping_from_dict(doc, name=path.stem)


def loads_mapping(text: str, *, name: str = "mapping") -> Mapping:
    """A mapping from TOML text (tests and ad-hoc layouts)."""
    try:
        return mapping_from_dict(tomllib.loads(text), name=name)
    except tomllib.TOMLDecodeError as exc:
        raise _err(name, f"invalid TOML: {exc}") from None


MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"


def shipped_mappings() -> list[Mapping]:
    """Every layout shipped in ingestion/mappings/, in file-name order."""
    return [load_mapping(p) for p in sorted(MAPPINGS_DIR.glob("*.toml"))]


def mapping_for(source: str, filename: str, mappings: list[Mapping] | None = None) -> Mapping | None:
    """The layout that reads a landing file: its `source` folder and a `files` pattern must match.

    More than one match is a configuration error (two layouts claiming a file), so it raises.
    """
    hits = [m for m in (mappings if mappings is not None else shipped_mappings()) if m.matches(source, filename)]
    if len(hits) > 1:
        raise MappingError(f"{source}/{filename} matches several layouts: {[m.name for m in hits]}")
    return hits[0] if hits else None


def shipped_mapping(name: str) -> Mapping:
    """A mapping shipped with Tallyhouse, by file stem (e.g. "ups_edi210")."""
    path = MAPPINGS_DIR / f"{name}.toml"
    if not path.exists():
        known = sorted(p.stem for p in MAPPINGS_DIR.glob("*.toml"))
        raise MappingError(f"no shipped mapping {name!r}; known: {known}")
    return load_mapping(path)

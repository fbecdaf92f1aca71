"""The standard parser: one file's bytes + a declarative mapping -> typed rows and quarantined rows.

Nothing read is lost and nothing escapes: every data row ends up either in `frame` (conforming to the
contract, with lineage) or in `quarantine` (naming file, row, field and reason, with the raw text), so
`rows_read == rows_ok + rows_quarantined` holds by construction; a file that cannot be read at all
becomes one file-level quarantine record instead of an exception.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import polars as pl

from ingestion import quarantine
from ingestion.contracts import Contract
from ingestion.contracts.model import NUMERIC_KINDS
from ingestion.convert import (
    NumberInputs,
    Plan,
    local_date,
    plan_date,
    plan_number,
    plan_text,
    plan_timestamp,
)
from ingestion.lineage import file_sha256
from ingestion.list_paths import ListPath, looks_like_list_path, parse_list_path, sum_text
from ingestion.mapping import ColumnRule, Mapping, Unpivot
from ingestion.readers import ROW, RawTable, UnreadableFile
from ingestion.readers.tabular import normalize_header
from ingestion.validate import RuleError, rule_errors

_NONE = pl.lit(None, pl.Utf8)


@dataclass
class ParseResult:
    """The outcome for one file and one target table."""

    contract: str
    mapping: str
    source: str
    source_file: str
    file_sha256: str
    frame: pl.DataFrame
    quarantine: pl.DataFrame
    rows_read: int
    file_error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows_ok(self) -> int:
        return self.frame.height

    @property
    def rows_quarantined(self) -> int:
        """Row-level records only; a file-level record is not a row."""
        return int(self.quarantine["row_number"].is_not_null().sum())

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_ok + self.rows_quarantined


def read_raw(data: bytes, mapping: Mapping, source_file: str) -> RawTable:
    """The file as text rows, with any document-level fields (a PDF's invoice number) added as columns."""
    table = _read_format(data, mapping, source_file)
    if mapping.document_fields:
        text = _document_text(data, mapping.format_for(source_file))
        found = {}
        for name, pattern in mapping.document_fields.items():
            match = pattern.search(text)
            found[name] = match.group(1).strip() if match else None
        table.frame = table.frame.with_columns(pl.lit(v, pl.Utf8).alias(k) for k, v in found.items())
    return table


def _document_text(data: bytes, fmt: str) -> str:
    if fmt == "pdf":
        from ingestion.pdf_tables import pdf_text

        return pdf_text(data)
    from ingestion.readers.encoding import decode

    try:
        return decode(data[:20000])[0]  # headings live at the top
    except UnreadableFile:
        return ""


def _read_format(data: bytes, mapping: Mapping, source_file: str) -> RawTable:
    """Dispatch on the layout's format; each reader raises UnreadableFile for an unreadable file."""
    fmt = mapping.format_for(source_file)
    if fmt == "csv":
        from ingestion.readers.delimited import read_delimited

        delimiter = mapping.delimiter or ("\t" if source_file.lower().endswith(".tsv") else None)
        return read_delimited(data, expected_headers=mapping.expected_headers(), encoding=mapping.encoding,
                              delimiter=delimiter, header_row=mapping.header_row, skip_rows=mapping.skip_pattern)
    if fmt == "xlsx":
        from ingestion.readers.excel import read_xlsx

        return read_xlsx(data, expected_headers=mapping.expected_headers(), sheet=mapping.sheet,
                         header_row=mapping.header_row, skip_rows=mapping.skip_pattern)
    if fmt == "json":
        from ingestion.readers.jsonfile import read_json

        return read_json(data, records=mapping.records, explode=mapping.explode, encoding=mapping.encoding)
    if fmt == "xml":
        from ingestion.readers.xmlfile import read_xml

        return read_xml(data, record_path=mapping.record_path or "")
    if fmt == "pdf":
        from ingestion.pdf_tables import read_pdf

        return read_pdf(data, expected_headers=mapping.expected_headers(), header_row=mapping.header_row,
                        skip_rows=mapping.skip_pattern)
    if fmt == "edi210":
        from ingestion.edi210_fast import edi210_table

        return edi210_table(data)
    raise UnreadableFile(f"unsupported format {fmt!r}")


UNPIVOT_DESCRIPTION = "<unpivot:description>"


def apply_unpivot(raw: RawTable, spec: Unpivot) -> RawTable:
    """One row per non-empty (and, unless told otherwise, non-zero) charge cell; rows keep their file row.

    A file row whose charge cells are all empty or zero yields no charge rows: it billed nothing.
    """
    by_key = {normalize_header(c): c for c in raw.columns}
    present = {by_key[normalize_header(h)]: code for h, code in spec.columns.items() if normalize_header(h) in by_key}
    lists = {by_key[normalize_header(h)]: keys for h, keys in spec.lists.items() if normalize_header(h) in by_key}
    if not present and not lists:
        raise UnreadableFile(f"none of the charge columns {sorted(spec.columns)} are in the file")
    keep = [c for c in raw.frame.columns if c not in present and c not in lists]
    code_col, value_col = f"<unpivot:{spec.code_column}>", f"<unpivot:{spec.value_column}>"
    long = raw.frame.unpivot(on=list(present), index=keep, variable_name=code_col, value_name=value_col)
    value = pl.col(value_col).str.strip_chars()
    keep_row = value.str.len_chars() > 0
    if spec.drop_zero:
        keep_row = keep_row & value.str.contains(r"[1-9]|[^\d\s.,()+\-¥￥$€£元A-Z]")
    described = [pl.when(pl.col(code_col) == charge).then(_cell_text(pl.col(by_key[normalize_header(header)])))
                 for charge, header in spec.descriptions.items()
                 if normalize_header(charge) in by_key and normalize_header(header) in by_key]
    description = pl.coalesce(described) if described else pl.lit(None, pl.Utf8)
    long = (long.filter(keep_row)
            .with_columns(description.alias(UNPIVOT_DESCRIPTION))
            .with_columns(pl.col(code_col).replace_strict(present, return_dtype=pl.Utf8)))
    parts = [long] if present else []
    for list_col, (code_key, amount_key, description_key) in lists.items():
        parts.append(_list_charges(raw.frame, keep, list_col, code_key, amount_key, description_key,
                                   code_col, value_col))
    long = pl.concat(parts, how="diagonal").sort(ROW, maintain_order=True)
    raw.notes.append(f"unpivoted {len(present)} charge columns into {long.height} charge rows")
    return RawTable(long, broken=raw.broken, encoding=raw.encoding, notes=raw.notes)


def _list_charges(frame: pl.DataFrame, keep: list[str], list_col: str, code_key: str, amount_key: str,
                  description_key: str, code_col: str, value_col: str) -> pl.DataFrame:
    """Rows for the items of a JSON list column (the JSON reader keeps lists as JSON text)."""
    fields = {code_key: pl.Utf8, amount_key: pl.Utf8, **({description_key: pl.Utf8} if description_key else {})}
    items = frame.select(*keep, pl.col(list_col).str.json_decode(pl.List(pl.Struct(fields))).alias("__items"))
    items = items.explode("__items").filter(pl.col("__items").is_not_null())
    return items.select(
        *keep,
        pl.col("__items").struct.field(code_key).alias(code_col),
        pl.col("__items").struct.field(amount_key).alias(value_col),
        (pl.col("__items").struct.field(description_key) if description_key else pl.lit(None, pl.Utf8))
        .alias(UNPIVOT_DESCRIPTION),
    )


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    # a search for one non-space character allocates nothing, unlike strip-then-measure
    return pl.when(expr.str.contains(r"\S")).then(expr).otherwise(_NONE)


def _cell_text(expr: pl.Expr, *, wrapped: bool = True) -> pl.Expr:
    """A cell's text: Chinese marketplace exports write ids as ="2026010512345" so Excel keeps the digits.

    wrapped=False: the column is known to hold no '="', so the unwrapping regex is not evaluated at all
    (polars evaluates both branches of a when/then on every row).
    """
    if not wrapped:
        return _blank_to_null(expr)
    unwrapped = expr.str.replace(r'^\s*="(.*)"\s*$', "$1")
    return _blank_to_null(pl.when(expr.str.contains('="', literal=True)).then(unwrapped).otherwise(expr))


# Each file column a rule reads is cleaned (`_cell_text`) once into a column of this prefix, however
# many rules read it.
_CLEAN = "__t_"


def _clean_columns(frame: pl.DataFrame, exprs: list[pl.Expr]) -> pl.DataFrame:
    """The cleaned text of every file column the expressions read, computed once each."""
    needed = sorted({name[len(_CLEAN):] for e in exprs for name in e.meta.root_names() if name.startswith(_CLEAN)})
    if not needed:
        return frame
    wrapped = frame.select(pl.col(c).str.contains('="', literal=True).any() for c in needed).row(0)
    return frame.with_columns(_cell_text(pl.col(c), wrapped=bool(w)).alias(_CLEAN + c)
                              for c, w in zip(needed, wrapped, strict=True))


def _resolve_all(columns: list[str], aliases: tuple[str, ...]) -> list[str]:
    """Every file column matching an alias, in alias order (a layout's aliases are its fallbacks)."""
    by_key: dict[str, str] = {}
    for c in columns:
        by_key.setdefault(normalize_header(c), c)
    hits = [by_key.get(normalize_header(alias)) for alias in aliases]
    return list(dict.fromkeys(h for h in hits if h is not None))


def _resolve(columns: list[str], aliases: tuple[str, ...]) -> str | None:
    hits = _resolve_all(columns, aliases)
    return hits[0] if hits else None


def _list_base(columns: list[str], path: ListPath) -> str | None:
    """The file column holding the JSON text of the list a path reads, if the file has it."""
    return _resolve(columns, (path.base,))


def _text_of(columns: list[str], aliases: tuple[str, ...]) -> pl.Expr | None:
    """The first non-empty value among the alias columns present, per row; None when none is present.

    An alias that is no header of the file but a list path whose list column is ("refunds[-1].restock")
    reads that item's field from the list's JSON text.
    """
    texts: dict[str, pl.Expr] = {}
    for alias in aliases:
        hit = _resolve(columns, (alias,))
        if hit is not None:
            texts.setdefault(hit, pl.col(_CLEAN + hit))  # materialised by _clean_columns
        elif looks_like_list_path(alias):
            path = parse_list_path(alias)
            base = _list_base(columns, path)
            if base is not None:
                texts.setdefault(alias, path.values(pl.col(_CLEAN + base)))
    found = list(texts.values())
    if not found:
        return None
    return found[0] if len(found) == 1 else pl.coalesce(found)


def _present(columns: list[str], alias: str) -> str | None:
    """The file column an alias names, or the alias itself when it is a list path into a present list."""
    hit = _resolve(columns, (alias,))
    if hit is None and looks_like_list_path(alias) and _list_base(columns, parse_list_path(alias)):
        return alias
    return hit


def _source_field(rule: ColumnRule, columns: list[str], mapping: Mapping) -> str | None:
    """The file's own column name(s) a rule reads: what a person fixing the source looks for."""
    if rule.date_of:
        base = mapping.rule(rule.date_of)
        return _source_field(base, columns, mapping) if base else None
    if rule.sum_of:
        return rule.sum_of.text if _list_base(columns, rule.sum_of) else None
    if rule.join:
        names = [name for aliases in rule.join if (name := _first_present(columns, aliases))]
        return " + ".join(names) or None
    return _first_present(columns, rule.sources)


def _first_present(columns: list[str], aliases: tuple[str, ...]) -> str | None:
    return next((hit for alias in aliases if (hit := _present(columns, alias))), None)


def _raw_expr(rule: ColumnRule, columns: list[str], contract: Contract, missing: list[str] | None,
              context: dict[str, object]) -> pl.Expr | None:
    """The rule's raw text column (None: the column is derived), or record the header as missing.

    missing is None for record formats, where an absent key is an empty value of each row.
    """
    if rule.date_of:
        return None
    required = not (rule.optional or rule.default is not None or contract.column(rule.target).nullable)
    if rule.value is not None:
        expr = pl.lit(rule.value, pl.Utf8)
    elif rule.context is not None:
        expr = pl.lit(str(context[rule.context]), pl.Utf8)
    elif rule.sum_of is not None:
        base = _list_base(columns, rule.sum_of)
        if base is None and required and missing is not None:
            missing.append(f"{rule.target} (the list {rule.sum_of.base!r} of {rule.sum_of.text!r})")
        expr = _NONE if base is None else sum_text(rule.sum_of.values(pl.col(_CLEAN + base)))
    elif rule.join:
        parts = [_text_of(columns, aliases) for aliases in rule.join]
        absent = [aliases for aliases, part in zip(rule.join, parts, strict=True) if part is None]
        if absent and required and missing is not None:
            missing.append(f"{rule.target} (join of {[list(a) for a in rule.join]}; absent: {absent})")
        present = [part for part in parts if part is not None]
        expr = _blank_to_null(pl.concat_str(present, separator=rule.separator, ignore_nulls=True)) if present else _NONE
    else:
        found = _text_of(columns, rule.sources)
        if found is None and required and missing is not None:
            missing.append(f"{rule.target} (looked for {', '.join(repr(s) for s in rule.sources)})")
        expr = _NONE if found is None else found
    if rule.fill_down:
        expr = expr.fill_null(strategy="forward")  # the frame is in file order
    if rule.default is not None:
        expr = expr.fill_null(pl.lit(rule.default, pl.Utf8))
    return expr


def _plan(rule: ColumnRule, raw: str, mapping: Mapping, columns: list[str], prefix: str) -> Plan:
    column = mapping.contract.column(rule.target)
    if column.kind in NUMERIC_KINDS:
        negate_when = None
        if rule.negate_if:
            sign = _text_of(columns, rule.negate_if.sources)
            if sign is not None:
                negate_when = sign.str.strip_chars().is_in(sorted(rule.negate_if.values)).fill_null(False)
        inputs = NumberInputs(
            unit=_text_of(columns, rule.unit_from) if rule.unit_from else None,
            negate_when=negate_when,
            minus=_text_of(columns, rule.minus) if rule.minus else None,
            divisor=_text_of(columns, rule.divide_by) if rule.divide_by else None,
        )
        return plan_number(column, rule, raw, mapping, prefix, inputs)
    if column.kind == "timestamp":
        return plan_timestamp(column, rule, raw, mapping, prefix)
    if column.kind == "date":
        return plan_date(column, rule, raw, mapping, prefix)
    return plan_text(column, rule, raw, prefix)


def _typed(raw: RawTable, mapping: Mapping, context: dict[str, object]) -> tuple[pl.DataFrame, Checks]:
    """The raw frame plus __v_<col> typed values, __ce_<col> conversion errors and __k_<n> rule flags.

    Computed in stages of materialised columns (raw text, cleaned text, parsed values, values, errors)
    so that no expression is evaluated twice.
    """
    contract, columns = mapping.contract, raw.columns
    missing: list[str] = []
    raws = {r.target: _raw_expr(r, columns, contract, None if raw.keyed else missing, context)
            for r in mapping.columns}
    if missing:
        raise UnreadableFile(f"missing required column(s): {'; '.join(missing)}; the file has {columns[:40]}")
    plans = {
        r.target: _plan(r, f"__r_{r.target}", mapping, columns, f"__{i}_")
        for i, r in enumerate(mapping.columns) if raws[r.target] is not None
    }
    reads = [e for e in raws.values() if e is not None]
    reads += [e for p in plans.values() for stage in p.stages for e in stage.values()]
    reads += [e for p in plans.values() for e in (p.value, p.error)]
    frame = _clean_columns(raw.frame, reads)
    frame = frame.with_columns(*(e.alias(f"__r_{t}") for t, e in raws.items() if e is not None))
    depth = max((len(p.stages) for p in plans.values()), default=0)
    for level in range(depth):
        stage = {name: e for p in plans.values() if level < len(p.stages) for name, e in p.stages[level].items()}
        frame = frame.with_columns(*(e.alias(n) for n, e in stage.items()))
    frame = frame.with_columns(
        *(p.value.alias(f"__v_{t}") for t, p in plans.items()),
        *(p.error.alias(f"__ce_{t}") for t, p in plans.items()),
    )
    derived = {}
    for rule in mapping.columns:
        if rule.date_of:
            source_rule = mapping.rule(rule.date_of)
            tz = (source_rule.timezone if source_rule else None) or rule.timezone or mapping.timezone
            derived[f"__v_{rule.target}"] = local_date(pl.col(f"__v_{rule.date_of}"), tz)
    for column in contract.columns:
        if column.name not in plans and f"__v_{column.name}" not in derived:
            derived[f"__v_{column.name}"] = pl.lit(None, column.dtype)
    frame = frame.with_columns(*(e.alias(n) for n, e in derived.items()))
    rules: list[RuleError] = []
    for column in contract.columns:
        rule = mapping.rule(column.name)
        # A derived local date is "missing" only when its timestamp's text is: a timestamp that failed
        # to parse already carries the message.
        raw_name = rule.date_of if rule is not None and rule.date_of else column.name
        raw_col = pl.col(f"__r_{raw_name}") if raws.get(raw_name) is not None else None
        rules.extend(rule_errors(column, pl.col(f"__v_{column.name}"), raw_col))
    # Conversion messages exist for every row already; contract rules are conditions here and become
    # messages only on the rejected rows (see _messages).
    frame = frame.with_columns(*(r.condition.alias(f"__k_{i}") for i, r in enumerate(rules)))
    return frame, Checks([f"__ce_{t}" for t in plans], rules)


@dataclass(frozen=True)
class Checks:
    """Where a typed frame keeps its errors: conversion message columns, then the contract's rules."""

    conversions: list[str]
    rules: list[RuleError]

    def bad(self) -> pl.Expr:
        flags = [pl.col(c).is_not_null() for c in self.conversions]
        flags += [pl.col(f"__k_{i}") for i in range(len(self.rules))]
        return pl.any_horizontal(flags) if flags else pl.lit(False)

    def messages(self) -> list[pl.Expr]:
        """Per check, its message or null, in the order reasons are listed (for rejected rows only)."""
        return [pl.col(c) for c in self.conversions] + [
            pl.when(pl.col(f"__k_{i}")).then(r.message).otherwise(_NONE) for i, r in enumerate(self.rules)]


def _split(raw: RawTable, mapping: Mapping, lineage: dict[str, object]) -> tuple[pl.DataFrame, pl.DataFrame]:
    contract = mapping.contract
    typed, checks = _typed(raw, mapping, lineage)
    headers = {r.target: _source_field(r, raw.columns, mapping) for r in mapping.columns}
    headers = {k: v for k, v in headers.items() if v is not None}
    messages = checks.messages()
    error_cols = [f"__e_{i}" for i in range(len(messages))]
    reason = pl.concat_str([pl.col(c) for c in error_cols], separator="; ", ignore_nulls=True)
    first_field = pl.coalesce([pl.col(c).str.extract(r"^([^:]+):", 1) for c in error_cols])
    typed = typed.with_columns(checks.bad().alias("__bad"))
    raw_cols = [c for c in raw.frame.columns if c != ROW]
    lineage_exprs = [
        pl.lit(lineage["source"], pl.Utf8).alias("source"),
        pl.lit(lineage["source_file"], pl.Utf8).alias("source_file"),
        pl.lit(lineage["file_sha256"], pl.Utf8).alias("file_sha256"),
        pl.col(ROW).cast(pl.UInt32).alias("row_number"),
        pl.lit(lineage["business_date"], pl.Date).alias("business_date"),
    ]
    good = typed.filter(~pl.col("__bad")).select(
        *(pl.col(f"__v_{c.name}").cast(c.dtype).alias(c.name) for c in contract.columns), *lineage_exprs
    )
    raw_text = pl.struct(raw_cols).struct.json_encode() if raw_cols else pl.lit("{}")
    rejected = typed.filter(pl.col("__bad")).with_columns(
        *(m.alias(c) for m, c in zip(messages, error_cols, strict=True))).select(
        pl.lit(contract.name, pl.Utf8).alias("target_table"),
        first_field.fill_null("<row>").alias("field"),
        first_field.replace_strict(list(headers), list(headers.values()), default=None,
                                   return_dtype=pl.Utf8).alias("source_field"),
        reason.alias("reason"),
        raw_text.str.slice(0, quarantine.RAW_TEXT_LIMIT).alias("raw_text"),
        *lineage_exprs,
    )
    broken = quarantine.broken_records(raw.broken, target_table=contract.name, **lineage)  # type: ignore[arg-type]
    return good, pl.concat([rejected.select(list(quarantine.SCHEMA)).cast(quarantine.SCHEMA), broken])


def _opening(data: bytes) -> str:
    """The file's first characters for a person to recognise it, in its own encoding where it has one."""
    head = data[: quarantine.RAW_TEXT_LIMIT]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError:
            continue
    return head.decode("utf-8", errors="replace")


def parse_bytes(data: bytes, mapping: Mapping, *, source: str, source_file: str, business_date: date) -> ParseResult:
    """Parse one file. Never raises for bad data: unreadable files become a file-level quarantine record.

    The file's hash is computed on a second thread while the file is parsed (hashlib releases the GIL,
    and so do polars and the readers' bulk work); it is only needed for the lineage column at the end.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = pool.submit(file_sha256, data)
        lineage: dict[str, object] = {"source": source, "source_file": source_file, "file_sha256": "",
                                      "business_date": business_date}
        result = _parse_bytes(data, mapping, lineage)
        digest = hashing.result()
    return _with_lineage(result, file_sha256=digest)


def _parse_bytes(data: bytes, mapping: Mapping, lineage: dict[str, object]) -> ParseResult:
    """The parse proper, with an empty file hash (filled in by `parse_bytes`)."""
    contract = mapping.contract
    source, source_file = str(lineage["source"]), str(lineage["source_file"])

    def unreadable(reason: str) -> ParseResult:
        q = quarantine.file_record(target_table=contract.name, reason=reason, raw_text=_opening(data),
                                   **lineage)  # type: ignore[arg-type]
        empty = pl.DataFrame(schema=contract.polars_schema()).select(
            [c.name for c in contract.columns] + ["source", "source_file", "file_sha256", "row_number", "business_date"])
        return ParseResult(contract.name, mapping.name, source, source_file, "", empty, q, 0, reason)

    try:
        raw = read_raw(data, mapping, source_file)
        if mapping.unpivot:
            raw = apply_unpivot(raw, mapping.unpivot)
        good, bad = _split(raw, mapping, lineage)
    except UnreadableFile as exc:
        return unreadable(str(exc))
    except RecursionError:
        return unreadable("the file nests too deeply to read")
    except Exception as exc:  # a reader library's own failure on hostile input is still the file's fault
        return unreadable(f"unexpected read failure ({type(exc).__name__}): {exc}")
    return ParseResult(contract.name, mapping.name, source, source_file, "", good, bad, raw.rows_read,
                       notes=list(raw.notes))


def _with_lineage(result: ParseResult, **values: str) -> ParseResult:
    """The same result with some lineage columns (file_sha256, source_file) set to other constants."""
    frame = result.frame.with_columns(pl.lit(v, pl.Utf8).alias(k) for k, v in values.items())
    bad = result.quarantine.with_columns(pl.lit(v, pl.Utf8).alias(k) for k, v in values.items())
    return replace(result, frame=frame, quarantine=bad, notes=list(result.notes), **values)


class RepeatedFiles:
    """Parses remembered within one load, so a byte-identical file is parsed once.

    Carriers re-send a bill under another name (`UPS_..._resend.edi`); both deliveries are loaded with
    their own lineage (reconciliation must see the duplicate), but the same bytes read by the same
    layout give the same rows: the second file takes the first one's rows under its own name. Files
    are compared by their bytes (length first), not by their hash, so hashing stays off the critical path;
    the name's extension is part of the key, as it can choose the format (and a .tsv's delimiter).
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[int, str, str, str, date], list[tuple[bytes, ParseResult]]] = {}

    def parse(self, data: bytes, mapping: Mapping, *, source: str, source_file: str,
              business_date: date) -> ParseResult:
        key = (len(data), mapping.name, Path(source_file).suffix.lower(), source, business_date)
        for earlier_data, earlier in self._seen.get(key, []):
            if earlier_data == data:
                return _with_lineage(earlier, source_file=source_file)
        result = parse_bytes(data, mapping, source=source, source_file=source_file, business_date=business_date)
        self._seen.setdefault(key, []).append((data, result))
        return result


def parse_file(path: str | Path, mapping: Mapping, *, source: str, business_date: date,
               landing_root: str | Path | None = None, repeated: RepeatedFiles | None = None) -> ParseResult:
    """Parse a file on disk; lineage records its path relative to the landing root when given.

    repeated: the files parsed so far in the same load; a file with the same bytes reuses their parse.
    """
    path = Path(path)
    name = str(path)
    if landing_root is not None:
        try:
            name = path.relative_to(landing_root).as_posix()
        except ValueError:
            name = str(path)  # outside the landing root: keep the full path rather than fail
    try:
        data = path.read_bytes()
    except OSError as exc:
        data = b""
        result = parse_bytes(data, mapping, source=source, source_file=name, business_date=business_date)
        reason = f"cannot open the file: {exc}"
        result.quarantine = result.quarantine.with_columns(pl.lit(reason).alias("reason"))
        result.file_error = reason
        return result
    if repeated is not None:
        return repeated.parse(data, mapping, source=source, source_file=name, business_date=business_date)
    return parse_bytes(data, mapping, source=source, source_file=name, business_date=business_date)

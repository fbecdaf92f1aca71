"""The columnar fast path for JSON exports: polars parses and flattens, Python only renders nested lists.

The row path (`jsonfile.read_json`) flattens every record into a dict in Python, then merges each
exploded line item with its parent's dict: a few microseconds per cell, ten times the bare insert of
a Shopify orders page. Here polars reads the document once, the records' structs become dotted columns
("shipping_address.country_code"), the exploded list becomes one row per item carrying its parent's
columns by a gather, and short lists' items are reachable by index ("fulfillments[0].shipment_status")
exactly as the row path names them. Lists are still kept as JSON text too, rendered by polars'
own JSON encoder (the row path's compact `json.dumps` writes the same text), with integers as their
literal text. Every flattened column of a frame is computed in one `select`, so polars runs them in
parallel and no value passes through Python.

The fast path declines (None: the caller reads the row path) for anything whose text it cannot
reproduce: JSON floats (polars would read them as binary floats; the row path keeps their literal
text), objects lacking some of their siblings' keys (polars fills them with nulls), ndjson, a records
path that is not a list of objects, an empty list, and any polars failure.
"""

from __future__ import annotations

import io

import polars as pl

from ingestion.readers.base import ROW, RawTable, unique_names
from ingestion.readers.jsonfile import MAX_INDEXED_ITEMS

_SCALARS = (pl.String, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64,
            pl.Boolean, pl.Null)


class _Decline(Exception):
    """The document holds something only the row path reproduces exactly."""


def _text_dtype(dtype: pl.DataType) -> pl.DataType:
    """The type a nested value is cast to before encoding: integers become their text, as in the row path."""
    if isinstance(dtype, pl.List):
        return pl.List(_text_dtype(dtype.inner))
    if isinstance(dtype, pl.Struct):
        return pl.Struct({f.name: _text_dtype(f.dtype) for f in dtype.fields})
    if dtype not in _SCALARS:
        raise _Decline(f"nested {dtype}")
    return pl.Utf8 if dtype.is_integer() else dtype


def _list_json(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A list column as JSON text: polars encodes it wrapped in a one-field object, which is stripped."""
    encoded = (pl.struct(expr.cast(_text_dtype(dtype)).alias("v")).struct.json_encode()
               .str.strip_prefix('{"v":').str.strip_suffix("}"))
    return pl.when(expr.is_null()).then(pl.lit(None, pl.Utf8)).otherwise(encoded)


def _literal(value: object) -> object:
    """Integers as the text the row path keeps (it parses them with parse_int=str); booleans stay."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return [_literal(v) for v in value]
    if isinstance(value, dict):
        return {k: _literal(v) for k, v in value.items()}
    raise _Decline(f"unexpected value {type(value).__name__}")


class _Flattener:
    """Dotted columns of one frame of records, in the order the row path's flatten emits them."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self.exprs: list[tuple[str, pl.Expr, pl.Expr | None]] = []  # name, text, present

    @property
    def columns(self) -> list[tuple[str, pl.Series, pl.Series | None]]:
        """(name, values, present mask or None) of every flattened column, evaluated in one select."""
        out = self.frame.select(
            *(e.alias(f"v{i}") for i, (_, e, _) in enumerate(self.exprs)),
            *(p.fill_null(False).alias(f"p{i}") for i, (_, _, p) in enumerate(self.exprs) if p is not None),
        )
        return [(name, out[f"v{i}"].alias(name), None if p is None else out[f"p{i}"])
                for i, (name, _, p) in enumerate(self.exprs)]

    def add(self, expr: pl.Expr, dtype: pl.DataType, name: str, present: pl.Expr | None) -> None:
        if isinstance(dtype, pl.Struct):
            for f in dtype.fields:
                self.add(expr.struct.field(f.name), f.dtype, f"{name}.{f.name}" if name else f.name, present)
            return
        if isinstance(dtype, pl.List):
            inner = dtype.inner
            if not isinstance(inner, pl.Struct | pl.List) and inner not in _SCALARS:
                raise _Decline(f"list of {inner}")
            self.exprs.append((name, _list_json(expr, dtype), present))
            if isinstance(inner, pl.Struct):
                length = expr.list.len()
                longest = self.frame.select(length.max()).item() or 0
                for i in range(min(longest, MAX_INDEXED_ITEMS)):
                    shown = (length <= MAX_INDEXED_ITEMS) & (length > i)
                    if present is not None:
                        shown = present & shown
                    item = pl.when(shown).then(expr.list.get(i, null_on_oob=True))
                    self.add(item, inner, f"{name}[{i}]", shown)
            return
        if dtype not in _SCALARS:
            raise _Decline(f"{name}: {dtype}")
        self.exprs.append((name, expr.cast(pl.Utf8), present))


def _object_keys(values: pl.Series) -> int:
    """How many keys the objects in `values` would have if every object had every field of its type."""
    dtype = values.dtype
    if isinstance(dtype, pl.Struct):
        present = values.filter(values.is_not_null())
        return present.len() * len(dtype.fields) + sum(
            _object_keys(present.struct.field(f.name)) for f in dtype.fields)
    if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct | pl.List):
        items = values.explode()
        return _object_keys(items.filter(items.is_not_null()))
    return 0


def _homogeneous(utf8: bytes, top: pl.DataFrame) -> bool:
    """Whether every object has every field of its inferred type: polars fills a missing key with null,
    where the row path leaves it out (of a list's JSON text, of the column set). The document's key count
    (a string directly followed by a colon) must equal the count a fully homogeneous document would have."""
    written = utf8.count(b'":')  # `"key" :` undercounts: declines, safely
    return written == _object_keys(top.to_struct("doc"))


def _records(utf8: bytes, records: str | None) -> tuple[pl.DataFrame, dict[str, str | None]] | None:
    """The records as a frame of struct rows, and the flattened fields beside the records path."""
    from ingestion.readers.jsonfile import flatten

    if utf8.lstrip()[:1] not in (b"{", b"["):
        return None
    # A JSON float is a number token after ':', '[' or ',' with a '.' or exponent; polars would read it
    # as a binary float (or coerce it to shorter text), so any such token sends the file to the row path.
    # (The same characters inside a string only cost the fast path, never correctness.) JSON's own
    # whitespace and digits are ASCII: the ASCII classes are exact and scan three times faster than
    # Unicode's \s and \d.
    text = pl.Series([utf8], dtype=pl.Binary).cast(pl.Utf8)
    if text.str.contains(r"[:\[,][ \t\r\n]*-?[0-9]+[.eE]").item():
        return None
    top = pl.read_json(io.BytesIO(utf8), infer_schema_length=None)
    if not _homogeneous(utf8, top):
        return None
    context: dict[str, str | None] = {}
    frame, prefix = top, ""
    for part in records.split(".") if records else []:
        if frame.height != 1 or part not in frame.columns:
            return None
        siblings = frame.drop(part)
        if siblings.width:
            context.update(flatten(_literal(siblings.row(0, named=True)), prefix))  # type: ignore[arg-type]
        column = frame[part]
        if isinstance(column.dtype, pl.Struct):
            frame, prefix = frame.select(pl.col(part)).unnest(part), f"{prefix}{part}."
        elif isinstance(column.dtype, pl.List) and isinstance(column.dtype.inner, pl.Struct):
            frame = frame.select(pl.col(part).explode()).unnest(part)
            if column.list.len().item() == 0:
                return None
        else:
            return None
    if not records and (utf8.lstrip()[:1] != b"[" or top.height == 0):
        return None
    return frame, context


def fast_json_table(utf8: bytes, *, records: str | None, explode: str | None,
                    encoding: str | None) -> RawTable | None:
    """What `read_json` returns for the same document, or None when only the row path can be exact."""
    try:
        found = _records(utf8, records)
        if found is None:
            return None
        frame, context = found
        if explode and explode in frame.columns:
            kind = frame.schema[explode]
            if not (isinstance(kind, pl.List) and isinstance(kind.inner, pl.Struct)):
                return None
            # parents are flattened once per record, then repeated for their items by a gather
            parents = _Flattener(frame.drop(explode))
            for name, dtype in parents.frame.schema.items():
                parents.add(pl.col(name), dtype, name, None)
            items = frame.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("__parent"), pl.col(explode))
            items = items.explode(explode, empty_as_null=True, keep_nulls=True)  # an order without lines is a row
            children = _Flattener(items)
            children.add(pl.col(explode), kind.inner, explode, pl.col(explode).is_not_null())
            index = items["__parent"]
            columns = [(n, v.gather(index), None if m is None else m.gather(index)) for n, v, m in parents.columns]
            columns += children.columns
            height = items.height
        else:
            flat = _Flattener(frame)
            for name, dtype in frame.schema.items():
                flat.add(pl.col(name), dtype, name, None)
            columns, height = flat.columns, frame.height
    except (_Decline, pl.exceptions.PolarsError, ValueError, OverflowError):
        return None
    if set(context) & {name for name, _, _ in columns}:
        return None  # a record field shadowing an envelope field: the row path's merge decides
    return _table(height, context, columns, encoding)


def _table(height: int, context: dict[str, str | None],
           columns: list[tuple[str, pl.Series, pl.Series | None]], encoding: str | None) -> RawTable:
    """Columns ordered as the row path's union of keys: by the first row having them, then row order."""
    first_row: list[int] = []
    for _, _, mask in columns:
        if mask is None:
            first_row.append(0)
        else:
            hits = mask.arg_true()
            first_row.append(int(hits[0]) if hits.len() else height)
    ranked = sorted(range(len(columns)), key=lambda k: (first_row[k], k))
    ordered = [columns[k] for k in ranked if first_row[k] < height]
    names = [*context, *(name for name, _, _ in ordered)]
    safe = unique_names(names)
    series = [pl.Series(n, [v] * height, dtype=pl.Utf8) for n, v in zip(safe, context.values(), strict=False)]
    series += [values.alias(n) for n, (_, values, _) in zip(safe[len(context):], ordered, strict=True)]
    series.append(pl.Series(ROW, range(1, height + 1), dtype=pl.UInt32))
    return RawTable(pl.DataFrame(series), encoding=encoding, keyed=True)

"""Paths into JSON lists kept as text: `refunds[-1].restock`, `refunds[*].transactions[*].amount`.

A JSON export keeps each nested list as JSON text in one column ("refunds"), and flattens only the first
few items by position ("refunds[0].restock"). That is enough for lists of one, not for an order refunded
twice, each refund paid back in several transactions: its refunded amount is the sum over every item,
and its state is the latest refund's. A mapping says so with a path, evaluated by polars over the
whole column (no per-row Python):

- `name[N]` takes the N-th item (0-based; negative counts from the end, `[-1]` is the last);
- `name[*]` takes every item; the items of nested `[*]` lists are flattened into one list;
- `.field` reads an object's field; the path ends at a scalar field.

A path with an index only (`refunds[-1].restock`) is one value per row and may stand wherever a header
does (`from`, `join`); a path with `[*]` is a list of values and is reduced by `sum_of`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

_SEGMENT = re.compile(r"^([^\[\]]+?)(?:\[(\*|-?\d+)\])?$")


class ListPathError(ValueError):
    """The text is not a list path (a mapping mistake when the rule said it is one)."""


@dataclass(frozen=True)
class ListPath:
    """`base` is the column holding the list's JSON text; `steps` are (field, index) after it."""

    text: str
    base: str
    base_index: str
    steps: tuple[tuple[str, str | None], ...]

    @property
    def many(self) -> bool:
        """Whether the path reads every item of some list (a list of values per row)."""
        return self.base_index == "*" or any(index == "*" for _, index in self.steps)

    def dtype(self) -> pl.DataType:
        """The polars type to decode the base column's JSON text into: only the fields on the path."""
        inner: pl.DataType = pl.Utf8
        for name, index in reversed(self.steps):
            inner = pl.Struct({name: pl.List(inner) if index is not None else inner})
        return pl.List(inner)

    def values(self, text: pl.Expr) -> pl.Expr:
        """The path's value per row (Utf8), or, for a `[*]` path, its list of values (List(Utf8))."""
        expr, many = _index(text.str.json_decode(self.dtype()), self.base_index, many=False)
        for name, index in self.steps:
            expr = expr.list.eval(pl.element().struct.field(name)) if many else expr.struct.field(name)
            if index is not None:
                expr, many = _index(expr, index, many=many)
        return expr


def _index(expr: pl.Expr, index: str, *, many: bool) -> tuple[pl.Expr, bool]:
    if index == "*":
        # a list of lists flattens into one list of their items
        return (expr.list.eval(pl.element().explode()) if many else expr), True
    position = int(index)
    if many:
        return expr.list.eval(pl.element().list.get(position, null_on_oob=True)), True
    return expr.list.get(position, null_on_oob=True), False


def parse_list_path(text: str) -> ListPath:
    """Parse `base[i].field[j]...field`; raises ListPathError for anything else."""
    parts = text.split(".")
    segments = [_SEGMENT.match(part.strip()) for part in parts]
    if len(parts) < 2 or any(m is None for m in segments):
        raise ListPathError(f"{text!r} is not a list path like 'refunds[-1].restock' or "
                            "'refunds[*].transactions[*].amount'")
    base, base_index = segments[0].group(1), segments[0].group(2)  # type: ignore[union-attr]
    if base_index is None:
        raise ListPathError(f"{text!r}: the first name must index its list ('{base}[*]' or '{base}[0]')")
    steps = tuple((m.group(1), m.group(2)) for m in segments[1:])  # type: ignore[union-attr]
    if steps[-1][1] is not None:
        raise ListPathError(f"{text!r} must end at a field, not at a list")
    return ListPath(text, base, base_index, steps)


def looks_like_list_path(text: str) -> bool:
    """Whether a header alias is meant as a list path (it indexes a list and goes on to a field)."""
    try:
        parse_list_path(text)
    except ListPathError:
        return False
    return True


def sum_text(items: pl.Expr) -> pl.Expr:
    """The exact decimal sum of a list of number texts, as text; null for no values.

    Items that are not plain decimal numbers are not guessed at: the row's value becomes the items
    joined with " + ", which the number conversion rejects with that text in its message, so the row is
    quarantined naming the field rather than summed wrongly.
    """
    present = items.list.eval(pl.element().str.strip_chars().drop_nulls())
    plain = present.list.eval(pl.element().str.contains(r"^[+-]?\d+(?:\.\d+)?$").all()).list.first()
    total = present.list.eval(pl.element().cast(pl.Decimal(38, 9), strict=False)).list.sum()
    # trailing zeros of the fixed scale are dropped so "12.500000000" reads as the "12.5" it is
    text = total.cast(pl.Utf8).str.replace(r"\.?0+$", "")
    return (pl.when(present.list.len().fill_null(0) == 0).then(pl.lit(None, pl.Utf8))
            .when(plain).then(text)
            .otherwise(present.list.join(" + ")))

"""Contract value rules as per-row error expressions: the same rules for every source of a table.

Conversion errors (text that is not a number or a date) come from `convert`; these are the rules a
well-formed value can still break: missing where required, negative where it must not be, not in the
allowed vocabulary (ISO currencies, order statuses), a date outside the plausible window.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ingestion.contracts import Column
from ingestion.contracts.model import NUMERIC_KINDS, TEMPORAL_KINDS

_NONE = pl.lit(None, pl.Utf8)


@dataclass(frozen=True)
class RuleError:
    """A rule as its condition (true = broken) and its message, kept apart so that the message, which
    renders values as text, is built only for the rows that break the rule (a cast of every timestamp
    to text, per rule, cost more than all the parsing)."""

    condition: pl.Expr
    message: pl.Expr

    def expr(self) -> pl.Expr:
        """The message where the rule is broken, else null."""
        return pl.when(self.condition).then(self.message).otherwise(_NONE)


def _when(condition: pl.Expr, *parts: str | pl.Expr) -> RuleError:
    message = pl.concat_str([p if isinstance(p, pl.Expr) else pl.lit(p) for p in parts])
    return RuleError(condition.fill_null(False), message)


def rule_errors(column: Column, value: pl.Expr, raw: pl.Expr | None) -> list[RuleError]:
    """The contract's rules for one typed column; raw text is quoted where there is some."""
    errors: list[RuleError] = []
    shown = value.cast(pl.Utf8)
    if not column.nullable:
        # Text that failed conversion already has its own message; this is for truly empty cells.
        empty = value.is_null() if raw is None else value.is_null() & raw.is_null()
        errors.append(_when(empty, f"{column.name}: required value is missing"))
    if column.kind in NUMERIC_KINDS:
        if column.minimum is not None:
            errors.append(_when(value < column.minimum, f"{column.name}: ", shown,
                                f" is below the minimum {column.minimum:g}"))
        if column.maximum is not None:
            errors.append(_when(value > column.maximum, f"{column.name}: ", shown,
                                f" is above the maximum {column.maximum:g}"))
    if column.allowed is not None:
        sample = ", ".join(sorted(column.allowed)[:8]) + (", ..." if len(column.allowed) > 8 else "")
        errors.append(_when(value.is_not_null() & ~value.is_in(sorted(column.allowed)),
                            f"{column.name}: '", shown, f"' is not an allowed value ({sample})"))
    if column.kind in TEMPORAL_KINDS and column.min_date and column.max_date:
        day = value if column.kind == "date" else value.dt.date()
        outside = (day < pl.lit(column.min_date)) | (day >= pl.lit(column.max_date))
        errors.append(_when(outside, f"{column.name}: ", shown,
                            f" is outside the plausible range {column.min_date}..{column.max_date}"))
    return errors

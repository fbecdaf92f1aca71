"""The column names inside a chart's free SQL (adhoc metrics, SQL filters, adhoc columns).

Superset sends a chart's `sqlExpression` to ClickHouse verbatim, so a column renamed or dropped in a
dbt model breaks `sum(net_revenue_base)` only when someone opens the dashboard. The bundle's link
check (validate.py) sees structured column references; this module reads the free SQL too. It is a
tokenizer, not a SQL parser: string literals and comments are dropped, a name followed by "(" is a
function, a name before "->" is a lambda parameter, SQL keywords are words of the language; every
other name must be a column of the chart's dataset. That is enough for the one-line expressions
charts hold and never needs a running ClickHouse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Words of ClickHouse SQL that can stand in an expression without "(" after them.
KEYWORDS = frozenset((
    "all", "and", "any", "array", "as", "asc", "between", "both", "by", "case", "cast", "desc", "distinct",
    "else", "end", "false", "from", "global", "ilike", "in", "interval", "is", "leading", "like", "not", "null",
    "nulls", "or", "over", "partition", "then", "to", "trailing", "true", "when", "where", "with",
    "second", "minute", "hour", "day", "week", "month", "quarter", "year",
))

_STRINGS_AND_COMMENTS = re.compile(r"'(?:[^'\\]|\\.|'')*'|--[^\n]*|/\*.*?\*/", re.DOTALL)
_NAME = re.compile(r"`([^`]+)`|\"([^\"]+)\"|(?<![\w.])([A-Za-z_][A-Za-z0-9_]*)(?=(\s*\()?)(?=(\s*->)?)")


def sql_expressions(params: Any) -> Iterator[str]:
    """Every `sqlExpression` anywhere in a chart's params (metrics, filters, adhoc columns, sort metric)."""
    if isinstance(params, dict):
        if isinstance(params.get("sqlExpression"), str):
            yield params["sqlExpression"]
        for value in params.values():
            yield from sql_expressions(value)
    elif isinstance(params, list):
        for value in params:
            yield from sql_expressions(value)


def column_names(expression: str) -> set[str]:
    """The names in `expression` that can only be columns (not functions, keywords or lambda parameters)."""
    text = _STRINGS_AND_COMMENTS.sub(" ", expression)
    names: set[str] = set()
    lambda_params: set[str] = set()
    for match in _NAME.finditer(text):
        quoted = match.group(1) or match.group(2)
        if quoted:
            names.add(quoted)
            continue
        name, call, arrow = match.group(3), match.group(4), match.group(5)
        if arrow or _in_lambda_tuple(text, match.end()):
            lambda_params.add(name)
        elif not call and name.lower() not in KEYWORDS:
            names.add(name)
    return names - lambda_params


def _in_lambda_tuple(text: str, end: int) -> bool:
    """`(x, y) -> ...`: a name inside a parenthesised parameter list that is followed by "->"."""
    close = text.find(")", end)
    return close != -1 and re.fullmatch(r"\s*(,\s*[A-Za-z_]\w*\s*)*", text[end:close]) is not None \
        and text[close + 1:].lstrip().startswith("->")


def unknown_columns(params: dict[str, Any], columns: set[str]) -> list[str]:
    """Names the chart's SQL expressions use that its dataset has no column for, sorted."""
    used: set[str] = set()
    for expression in sql_expressions(params):
        used |= column_names(expression)
    return sorted(used - columns)

"""Money as integer cents, so every settled amount and fee is exact to the cent.

Floats would make "principal == order amount to the cent" a matter of luck; integer cents make the
simulator's arithmetic the same as the ledger arithmetic a reconciliation does in Decimal.
"""

from __future__ import annotations

import polars as pl


def to_cents(expr: pl.Expr) -> pl.Expr:
    """A money column in currency units as integer cents (prices carry two decimals: this drops float noise)."""
    return (expr * 100).round(0).cast(pl.Int64)


def rate_basis_points(rate: float) -> int:
    """A contracted rate (0.029) as integer basis points (290), the unit commissions are computed in."""
    return round(rate * 10_000)


def commission_cents(amount: pl.Expr, basis_points: pl.Expr | int) -> pl.Expr:
    """Commission on a (non-negative) amount in cents, rounded half up to the cent.

    Integer arithmetic: the contract reads "rate x amount, rounded to the cent", and a reader
    recomputing it with Decimal(rate) * amount quantized ROUND_HALF_UP gets the same number.
    """
    bp = basis_points if isinstance(basis_points, pl.Expr) else pl.lit(basis_points, pl.Int64)
    return (amount * bp + 5_000) // 10_000


def format_cents(expr: pl.Expr) -> pl.Expr:
    """Cents as a plain decimal string ("-4.50", "1234.56"): how all three settlement sources print money."""
    magnitude = expr.abs()
    units = (magnitude // 100).cast(pl.Utf8)
    fraction = (magnitude % 100).cast(pl.Utf8).str.zfill(2)
    sign = pl.when(expr < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, units, pl.lit("."), fraction])


def cents_text(cents: int) -> str:
    """One amount in cents as text, for the few scalar totals in headers and footers."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"

"""Planted inventory errors: what makes the WMS count differ from the ERP book, and by how much.

Kept apart from the ledger so the rules are easy to read and test: a count error or unrecorded damage
on one close, and a document the ERP books one day late. Each returns manifest-ready records (keys as
stock-row ids; `simulator.inventory_files` turns them into file rows). Each kind is planted once a week
on a fixed weekday plus Poisson extras, so any run of 14 days or more holds every kind.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from simulator import rng as streams
from simulator.params import SimParams


def planted_today(rng: np.random.Generator, per_week: float, guaranteed_day: bool) -> int:
    """How many of one kind to plant today: one on the kind's fixed weekday (so every week has one),
    plus Poisson extras so that the weekly mean equals `per_week`."""
    if per_week <= 0:
        return 0
    return int(guaranteed_day) + int(rng.poisson(max(per_week - 1.0, 0.0) / 7))


def late_documents(params: SimParams, day: date, day_index: int, moves: pl.DataFrame,
                   candidates: list[pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame, list[dict]]:
    """Pick inbound document lines (receipts, transfer arrivals) the ERP books a day late: physical
    has them today, the book tomorrow. Returns (today's moves without them, the late lines, records)."""
    rng = streams.day_rng(params.seed, streams.INVENTORY_ERRORS, day)
    n = planted_today(rng, params.late_documents_per_week, day_index % 7 == 4)
    empty = moves.clear()
    pool = (pl.concat(candidates) if candidates else empty).filter(pl.col("qty") > 0)
    if n == 0 or pool.height == 0:
        return moves, empty, []
    refs = pool["ref_no"].unique(maintain_order=True)
    chosen_refs = refs.gather(np.sort(rng.choice(len(refs), size=min(n, len(refs)), replace=False)))
    pick_rows = []
    for ref in chosen_refs.to_list():  # one line of each chosen document
        rows = pool.filter(pl.col("ref_no") == ref)
        pick_rows.append(rows[int(rng.integers(0, rows.height))])
    late = pl.concat(pick_rows)
    key = ["doc_type", "g", "lot", "ref_no"]
    kept = moves.join(late.select(key), on=key, how="anti", maintain_order="left")
    records = [{"type": "late_document", "date": day, "g": row["g"], "lot": row["lot"], "qty": int(row["qty"]),
                "doc_type": row["doc_type"], "ref_no": row["ref_no"], "book_date": day + timedelta(days=1)}
               for row in late.iter_rows(named=True)]
    return kept, late, records


COUNT_PATTERN = {1: ("count_over", True), 3: ("count_under", False), 5: ("count_over", False),
                 6: ("count_under", True)}  # weekday index -> (type, within tolerance?)


def count_errors(params: SimParams, day: date, day_index: int, g: np.ndarray, lot: np.ndarray, book: np.ndarray,
                 on_hand: np.ndarray, damaged: np.ndarray, late: pl.DataFrame, tolerance: np.ndarray) -> list[dict]:
    """Miscounts and unrecorded damage at today's close, applied in place to `on_hand` / `damaged`.

    A miscount within tolerance moves the count by 1..floor(tol x book); one beyond by more than that.
    Rows already touched today (or carrying a late document) are left alone so each variance has one cause.
    """
    # A sub-stream of its own, so late-document draws never shift which counts go wrong.
    rng = np.random.default_rng([params.seed, streams.INVENTORY_ERRORS, day.toordinal(), 1])
    plan: list[tuple[str, bool | None]] = []
    if params.count_discrepancies_per_week > 0:
        if day_index % 7 in COUNT_PATTERN:
            plan.append(COUNT_PATTERN[day_index % 7])
        extra = max(params.count_discrepancies_per_week - len(COUNT_PATTERN), 0.0)
        for _ in range(int(rng.poisson(extra / 7))):
            plan.append(("count_over" if rng.random() < 0.5 else "count_under", bool(rng.random() < 0.5)))
    if params.unrecorded_damage_per_week > 0:
        n_damage = planted_today(rng, params.unrecorded_damage_per_week, day_index % 7 == 2)
        plan.extend(("unrecorded_damage", None) for _ in range(n_damage))
    if not plan:
        return []
    late_keys = set((late["g"].to_numpy() << 32 | late["lot"].to_numpy()).tolist()) if late.height else set()
    blocked = np.array([(int(a) << 32 | int(b)) in late_keys for a, b in zip(g, lot, strict=True)], dtype=bool) \
        if late_keys else np.zeros(len(g), dtype=bool)
    records: list[dict] = []
    for kind, within in plan:
        eligible = (book > 0) & (on_hand == book) & (damaged == 0) & ~blocked
        if kind != "unrecorded_damage" and within:
            eligible &= np.floor(tolerance * book) >= 1
        cand = np.flatnonzero(eligible)
        if not len(cand):
            continue
        i = int(cand[rng.integers(0, len(cand))])
        b = int(book[i])
        limit = int(np.floor(tolerance[i] * b))
        within_tol: bool | None = None
        if kind == "unrecorded_damage":
            k = min(int(rng.integers(1, max(2, min(b, 5) + 1))), b)
            damaged[i] = k
            effect = -k
        else:
            k = int(rng.integers(1, limit + 1)) if within else limit + 1 + int(rng.integers(0, max(1, b // 10)))
            if kind == "count_under":
                k = min(k, b)
            effect = k if kind == "count_over" else -k
            on_hand[i] += effect
            within_tol = bool(abs(effect) <= tolerance[i] * b)
        records.append({"type": kind, "date": day, "g": int(g[i]), "lot": int(lot[i]), "qty": effect,
                        "book_qty": b, "within_tolerance": within_tol})
    return records

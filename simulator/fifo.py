"""First-in-first-out allocation of demand to stock lots, vectorised.

Shipments, transfers and reservations all draw lots oldest first. Doing that row by row in Python is
far too slow at 100,000 orders a day, so demand and stock of each (warehouse, SKU) group are laid on
one number line (cumulative quantities, groups placed end to end) and cut at every boundary of either:
each piece between two cuts belongs to exactly one demand line and one lot.
"""

from __future__ import annotations

import numpy as np


def allocate(demand_group: np.ndarray, demand_qty: np.ndarray, stock_group: np.ndarray,
             stock_qty: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split demand lines over stock rows FIFO within groups.

    Inputs must be sorted by group, demand lines in the order they are served and stock rows oldest
    lot first. Groups are non-negative ints. Returns (demand index, stock index, qty) per piece; demand a
    group's stock cannot cover is left unallocated (callers make sure it cannot happen, or want that).
    """
    demand_qty = demand_qty.astype(np.int64)
    stock_qty = stock_qty.astype(np.int64)
    if len(demand_qty) == 0 or len(stock_qty) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    groups = np.union1d(demand_group, stock_group)
    g_d = np.searchsorted(groups, demand_group)
    g_s = np.searchsorted(groups, stock_group)
    demand_total = np.bincount(g_d, weights=demand_qty, minlength=len(groups)).astype(np.int64)
    stock_total = np.bincount(g_s, weights=stock_qty, minlength=len(groups)).astype(np.int64)
    width = np.maximum(demand_total, stock_total)
    origin = np.concatenate([[0], np.cumsum(width)[:-1]])

    d_end = _cum_within(g_d, demand_qty) + origin[g_d]
    d_start = d_end - demand_qty
    s_end = _cum_within(g_s, stock_qty) + origin[g_s]
    served_end = origin + np.minimum(demand_total, stock_total)

    cuts = np.unique(np.concatenate([d_start, d_end, s_end, origin, served_end]))
    lo, hi = cuts[:-1], cuts[1:]
    d_idx = np.searchsorted(d_end, lo, side="right")
    s_idx = np.searchsorted(s_end, lo, side="right")
    ok = (d_idx < len(d_end)) & (s_idx < len(s_end))
    d_idx_c = np.minimum(d_idx, len(d_end) - 1)
    s_idx_c = np.minimum(s_idx, len(s_end) - 1)
    ok &= (lo >= d_start[d_idx_c]) & (g_d[d_idx_c] == g_s[s_idx_c]) & (s_end[s_idx_c] - stock_qty[s_idx_c] <= lo)
    ok &= hi <= served_end[g_d[d_idx_c]]
    return d_idx_c[ok], s_idx_c[ok], (hi - lo)[ok]


def _cum_within(group_pos: np.ndarray, qty: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each group (rows sorted by group)."""
    cum = np.cumsum(qty)
    starts = np.flatnonzero(np.r_[True, group_pos[1:] != group_pos[:-1]])
    before = np.repeat(np.r_[0, cum[starts[1:] - 1]], np.diff(np.r_[starts, len(qty)]))
    return cum - before


def take_fifo(stock_group: np.ndarray, stock_qty: np.ndarray, want_group: np.ndarray,
              want_qty: np.ndarray) -> np.ndarray:
    """Quantity taken from each stock row when each group takes `want_qty` oldest first (capped)."""
    stock_qty = stock_qty.astype(np.int64)
    groups = np.union1d(want_group, stock_group)
    want = np.zeros(len(groups), dtype=np.int64)
    want[np.searchsorted(groups, want_group)] = want_qty
    g_s = np.searchsorted(groups, stock_group)
    cum = _cum_within(g_s, stock_qty)
    before = cum - stock_qty
    return np.clip(want[g_s] - before, 0, stock_qty)

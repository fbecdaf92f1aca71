"""Scale parameters change volumes as asked; the FIFO allocator the ledger rests on is exact."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import simulate
from simulator.fifo import allocate


def test_orders_and_skus_scale_with_parameters(tmp_path: Path) -> None:
    common = {"start": date(2026, 10, 5), "days": 3, "seed": 3}
    small = simulate(tmp_path / "s", orders_per_day=100, skus=50, **common)
    big = simulate(tmp_path / "b", orders_per_day=400, skus=120, **common)
    assert 3.5 < big.orders / small.orders < 4.5
    assert 250 < small.orders < 350
    master = pl.read_csv(next((tmp_path / "b" / "sku_master").glob("*/*.csv")))
    assert master.height == 120 and master["sku"].is_unique().all()
    assert len(list((tmp_path / "s" / "erp_snapshot").glob("*/*.csv"))) == 3


def test_promotion_day_spikes(tmp_path: Path) -> None:
    summary = simulate(tmp_path / "p", start=date(2026, 11, 10), days=2, orders_per_day=300, seed=1, skus=40)
    del summary
    counts = {}
    for day in ("2026-11-10", "2026-11-11"):
        path = next((tmp_path / "p" / "orders_tmall" / day).glob("*.csv"))
        frame = pl.read_csv(path, encoding="gbk", infer_schema=False)
        counts[day] = frame.filter(pl.col("下单时间").str.starts_with(day))["订单编号"].n_unique()
    assert counts["2026-11-11"] > 2.2 * counts["2026-11-10"]  # Double 11


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 5)), max_size=25),
       st.lists(st.tuples(st.integers(0, 3), st.integers(1, 6)), max_size=25))
def test_fifo_allocation_is_exact(demand: list[tuple[int, int]], stock: list[tuple[int, int]]) -> None:
    demand = sorted(demand, key=lambda x: x[0])
    stock = sorted(stock, key=lambda x: x[0])
    dg = np.array([g for g, _ in demand], dtype=np.int64)
    dq = np.array([q for _, q in demand], dtype=np.int64)
    sg = np.array([g for g, _ in stock], dtype=np.int64)
    sq = np.array([q for _, q in stock], dtype=np.int64)
    d_idx, s_idx, q = allocate(dg, dq, sg, sq)
    # reference: plain FIFO in Python
    remaining = list(sq)
    expected: dict[tuple[int, int], int] = {}
    for i, (g, want) in enumerate(demand):
        for j, (sg_j, _) in enumerate(stock):
            if sg_j != g or want == 0:
                continue
            take = min(want, remaining[j])
            if take:
                expected[(i, j)] = expected.get((i, j), 0) + take
                remaining[j] -= take
                want -= take
    got: dict[tuple[int, int], int] = {}
    for i, j, k in zip(d_idx.tolist(), s_idx.tolist(), q.tolist(), strict=True):
        got[(i, j)] = got.get((i, j), 0) + k
    assert got == expected

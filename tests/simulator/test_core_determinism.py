"""Same seed and arguments give byte-identical files; --append equals one longer run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from simulator import simulate
from simulator.params import SimParams, params_path
from tests.simulator.conftest import SMALL, tree_hashes


def test_same_seed_same_bytes(sim_run, tmp_path: Path) -> None:
    out, _ = sim_run
    again = tmp_path / "again"
    simulate(again, **SMALL)
    first, second = tree_hashes(out), tree_hashes(again)
    assert len(first) > 150
    assert first == second


def test_other_seed_other_bytes(sim_run, tmp_path: Path) -> None:
    out, _ = sim_run
    other = tmp_path / "other"
    simulate(other, **{**SMALL, "days": 3, "seed": 8})
    theirs = tree_hashes(other)
    ours = tree_hashes(out)
    common = [k for k in theirs if k in ours and k.startswith("orders_")]
    assert common and all(theirs[k] != ours[k] for k in common)


def test_append_equals_one_longer_run(sim_run, tmp_path: Path) -> None:
    out, _ = sim_run
    grown = tmp_path / "grown"
    simulate(grown, **{**SMALL, "days": 9})
    before = tree_hashes(grown)
    summary = simulate(grown, days=6, append=True)
    after = tree_hashes(grown)
    assert summary.written_from == SMALL["start"].replace(day=10)
    # files of the first 9 days were not rewritten with other bytes
    assert {k: v for k, v in after.items() if k in before and "_manifest" not in k} == \
        {k: v for k, v in before.items() if "_manifest" not in k}
    assert after == tree_hashes(out)


def test_params_are_persisted_and_append_refuses_changes(sim_run, tmp_path: Path) -> None:
    out, _ = sim_run
    stored = SimParams.from_json(params_path(out).read_text())
    assert stored == SimParams(**SMALL)
    small = tmp_path / "small"
    simulate(small, **{**SMALL, "days": 2})
    with pytest.raises(ValueError, match="seed"):
        simulate(small, days=1, append=True, seed=99)
    with pytest.raises(ValueError, match="different run"):
        simulate(small, **{**SMALL, "days": 2, "orders_per_day": 99})
    with pytest.raises(FileNotFoundError):
        simulate(tmp_path / "empty", days=1, append=True)
    assert replace(stored, days=2) == SimParams.from_json(params_path(small).read_text())

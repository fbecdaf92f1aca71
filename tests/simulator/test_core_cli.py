"""`tallyhouse simulate` writes a run, persists its parameters and extends it with --append."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tallyhouse.cli import app


def test_simulate_then_append(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "landing"
    first = runner.invoke(app, ["simulate", "--start", "2026-10-01", "--days", "2", "--orders-per-day", "40",
                                "--seed", "5", "--skus", "20", "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert "orders_amazon" in first.output
    params = json.loads((out / "_manifest" / "params.json").read_text())
    assert params["days"] == 2 and params["seed"] == 5 and params["skus"] == 20
    assert sorted(p.name for p in (out / "orders_jd").iterdir()) == ["2026-10-01", "2026-10-02"]

    again = runner.invoke(app, ["simulate", "--append", "--days", "1", "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert json.loads((out / "_manifest" / "params.json").read_text())["days"] == 3
    assert (out / "orders_jd" / "2026-10-03").is_dir()


def test_simulate_needs_its_arguments(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", "--days", "2", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--seed" in result.output

"""Imports flow one way (DEVELOPERS.md): this test keeps the layering from eroding unnoticed.

ingestion knows nothing of Dagster; only tests, bench and the demo may import the simulator (it is the
oracle, so production code depending on it would make the proof circular); warehouse is the bottom layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN: dict[str, set[str]] = {
    "warehouse": {"ingestion", "assets", "orchestration", "dashboards", "simulator", "dagster", "dbt"},
    "ingestion": {"assets", "orchestration", "dashboards", "simulator", "dagster", "dagster_dbt"},
    "assets": {"orchestration", "dashboards", "simulator"},
    "dashboards": {"simulator", "assets", "orchestration"},
    "orchestration": {"simulator"},
    "simulator": {"ingestion", "assets", "orchestration", "dashboards", "warehouse"},
}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_upward(package: str) -> None:
    offences = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_top_levels(path) & FORBIDDEN[package]
        if bad:
            offences.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offences, "\n".join(offences)


def test_the_rule_catches_an_offence(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("import dagster\nfrom simulator.catalog import CARRIERS\nfrom . import sibling\n")
    assert imported_top_levels(sample) == {"dagster", "simulator"}

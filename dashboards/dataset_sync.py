"""Superset datasets follow their dbt models: columns, types and descriptions come from dbt's manifest.

The dataset YAMLs were once exported from Superset, and a model keeps changing after that: it gains
columns (the margin's refunds), its meaning is restated in its docs. A dataset that lags behind hides
new columns from analysts exploring it and describes numbers the model no longer computes. dbt is the
source of truth for what a column is, so `sync` rewrites what dbt knows (the dataset and column
descriptions, the column list and types) and keeps what only Superset knows (labels, formats,
expressions, metrics); `validate` fails while a dataset is out of sync.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from dashboards.bundle import dump_yaml

_DATE_TYPES = ("Date", "DateTime", "Nullable(Date", "Nullable(DateTime")


def _new_column(name: str) -> dict[str, Any]:
    """A column entry the way Superset exports one, before dbt's type and docs are filled in."""
    return {"advanced_data_type": None, "column_name": name, "datetime_format": None, "description": None,
            "expression": None, "extra": None, "filterable": True, "groupby": True, "is_active": True,
            "is_dttm": False, "python_date_format": None, "type": None, "verbose_name": None}


def _text(value: str | None) -> str | None:
    return " ".join(value.split()) if value and value.strip() else None


def synced_dataset(dataset: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The dataset with the model's description, columns (in the bundle's order), types and docs."""
    synced = copy.deepcopy(dataset)
    synced["description"] = _text(node.get("description"))
    existing = {column["column_name"]: column for column in synced.get("columns") or []}
    columns = []
    for name, doc in node.get("columns", {}).items():
        column = existing.get(name) or _new_column(name)
        column["description"] = _text(doc.get("description"))
        if doc.get("data_type"):
            column["type"] = doc["data_type"]
            if name not in existing:
                column["is_dttm"] = doc["data_type"].startswith(_DATE_TYPES)
        columns.append(column)
    # A calculated column (Superset SQL over the model's columns) is Superset's own: kept as it is.
    columns += [c for name, c in existing.items() if c.get("expression") and name not in node.get("columns", {})]
    synced["columns"] = sorted(columns, key=lambda c: c["column_name"])
    return synced


def sync_bundle(files: dict[str, str], nodes: dict[tuple[str, str], dict[str, Any]]
                ) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Every dataset of a known model synced; returns the new files and, per changed path, what changed."""
    out = dict(files)
    changes: dict[str, list[str]] = {}
    for path, text in files.items():
        if not path.startswith("datasets/"):
            continue
        dataset = yaml.safe_load(text)
        node = nodes.get((dataset.get("schema"), dataset["table_name"]))
        if node is None:
            continue  # validate reports a dataset that is no model
        synced = synced_dataset(dataset, node)
        if synced != dataset:
            changes[path] = _differences(dataset, synced)
            out[path] = dump_yaml(synced)
    return out, changes


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    old = {c["column_name"]: c for c in before.get("columns") or []}
    new = {c["column_name"]: c for c in after.get("columns") or []}
    notes = [f"+{name}" for name in sorted(set(new) - set(old))]
    notes += [f"-{name}" for name in sorted(set(old) - set(new))]
    notes += [f"~{name}" for name in sorted(set(old) & set(new)) if old[name] != new[name]]
    if before.get("description") != after.get("description"):
        notes.insert(0, "description")
    return notes

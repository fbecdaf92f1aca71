"""Check the dashboards as code: every dashboard -> chart -> dataset -> dbt model link holds.

A dashboard that points at a chart nobody exports, a chart on a dataset that is not in the bundle, a
dataset that is no model of the dbt project (or a column the model no longer has) all fail here, in
CI, rather than as an error panel in front of finance. The dbt side comes from dbt's own manifest
(`dbt parse`), so model names, their databases and their documented columns are dbt's, not a guess.
The free SQL of charts (adhoc metrics and filters) is read for column names too (chart_sql.py).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dashboards.bundle import BUNDLE_DIR, read_bundle
from dashboards.chart_sql import unknown_columns
from tallyhouse.home import PROJECT_ROOT

DBT_PROJECT = PROJECT_ROOT / "dbt_project"


@dataclass
class Report:
    """What was checked and every broken link found (empty `problems` = valid)."""

    dashboards: int = 0
    charts: int = 0
    datasets: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def dbt_models(manifest: Path | None = None) -> dict[tuple[str, str], set[str]]:
    """(database, model name) -> documented columns, from a manifest (parsed now when none is given)."""
    return _column_sets(dbt_model_nodes(manifest))


def _column_sets(nodes: dict[tuple[str, str], dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    return {key: set(node.get("columns", {})) for key, node in nodes.items()}


def dbt_model_nodes(manifest: Path | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """(database, model name) -> the model's manifest node (description, columns with types and docs)."""
    if manifest is None:
        with tempfile.TemporaryDirectory(prefix="tallyhouse-dbt-parse-") as work:
            return _models_of(_parse(Path(work)))
    return _models_of(json.loads(manifest.read_text(encoding="utf-8")))


def _parse(work: Path) -> dict[str, Any]:
    """`dbt parse` into a scratch folder: no connection is opened, the profile only needs its variables."""
    from dbt.cli.main import dbtRunner

    from warehouse.settings import resolve

    previous = dict(os.environ)
    # The writer's settings: parse opens no connection, and they resolve wherever dbt itself would run
    # (the read-only ones raise on an external ClickHouse that has no read-only user configured).
    os.environ.update(resolve(start_embedded=False).environment())
    try:
        result = dbtRunner().invoke(["parse", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
                                     "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
                                     "--no-send-anonymous-usage-stats", "--quiet"])
    finally:
        os.environ.clear()
        os.environ.update(previous)
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")
    return json.loads((work / "target" / "manifest.json").read_text(encoding="utf-8"))


def _models_of(manifest: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(node["schema"], node["name"]): node
            for node in manifest["nodes"].values() if node["resource_type"] == "model"}


def _chart_columns(params: dict[str, Any]) -> Iterator[str]:
    """The dataset columns a chart's saved form data names (axes, groupings, raw columns, filters, sort)."""
    if isinstance(params.get("x_axis"), str):
        yield params["x_axis"]
    for key in ("groupby", "all_columns", "columns"):
        yield from (c for c in params.get(key) or [] if isinstance(c, str))
    for adhoc in params.get("adhoc_filters") or []:
        if adhoc.get("expressionType") == "SIMPLE":
            yield adhoc["subject"]
    for entry in params.get("order_by_cols") or []:
        yield json.loads(entry)[0]


def validate_bundle(files: dict[str, str], models: dict[tuple[str, str], set[str]]) -> Report:
    """Check the links inside the bundle and from its datasets to the dbt models."""
    report = Report()
    docs = {path: yaml.safe_load(text) for path, text in files.items()}
    databases = {d["uuid"] for p, d in docs.items() if p.startswith("databases/")}
    datasets = {d["uuid"]: (p, d) for p, d in docs.items() if p.startswith("datasets/")}
    charts = {d["uuid"]: (p, d) for p, d in docs.items() if p.startswith("charts/")}
    dashboards = [(p, d) for p, d in docs.items() if p.startswith("dashboards/")]
    report.dashboards, report.charts, report.datasets = len(dashboards), len(charts), len(datasets)
    problems = report.problems
    if not dashboards:
        problems.append("the bundle holds no dashboards")

    dataset_columns: dict[str, set[str]] = {}
    for path, dataset in datasets.values():
        columns = {c["column_name"] for c in dataset.get("columns") or []}
        calculated = {c["column_name"] for c in dataset.get("columns") or [] if c.get("expression")}
        dataset_columns[dataset["uuid"]] = columns
        if dataset.get("database_uuid") not in databases:
            problems.append(f"{path}: its database is not in the bundle")
        if dataset.get("sql"):
            problems.append(f"{path}: a virtual (SQL) dataset; datasets must be dbt models")
        key = (dataset.get("schema"), dataset["table_name"])
        if key not in models:
            problems.append(f"{path}: {key[0]}.{key[1]} is not a model of the dbt project")
        elif missing := sorted(columns - calculated - models[key]):
            problems.append(f"{path}: columns {missing} are not columns of dbt model {key[1]}")

    used_charts: set[str] = set()
    for path, dashboard in dashboards:
        nodes = [n for n in dashboard.get("position", {}).values() if isinstance(n, dict) and n.get("type") == "CHART"]
        if not nodes:
            problems.append(f"{path}: no charts")
        for node in nodes:
            chart_uuid = node["meta"].get("uuid")
            used_charts.add(chart_uuid)
            if chart_uuid not in charts:
                problems.append(f"{path}: chart {node['meta'].get('sliceName')!r} ({chart_uuid}) is not in the bundle")
        for native in dashboard.get("metadata", {}).get("native_filter_configuration", []):
            for target in native.get("targets", []):
                if "datasetUuid" not in target:
                    continue
                column = target.get("column", {}).get("name")
                if target["datasetUuid"] not in dataset_columns:
                    problems.append(f"{path}: filter {native['name']!r} targets a dataset not in the bundle")
                elif column not in dataset_columns[target["datasetUuid"]]:
                    problems.append(f"{path}: filter {native['name']!r} targets missing column {column!r}")

    for chart_uuid, (path, chart) in charts.items():
        if chart_uuid not in used_charts:
            problems.append(f"{path}: on no dashboard")
        if chart.get("dataset_uuid") not in datasets:
            problems.append(f"{path}: its dataset is not in the bundle")
            continue
        unknown = sorted(set(_chart_columns(chart.get("params") or {})) - dataset_columns[chart["dataset_uuid"]])
        if unknown:
            problems.append(f"{path}: names columns {unknown} its dataset does not have")
        if unknown_sql := unknown_columns(chart.get("params") or {}, dataset_columns[chart["dataset_uuid"]]):
            problems.append(f"{path}: its SQL expressions name {unknown_sql}, neither columns of its dataset"
                            " nor SQL functions or keywords")
    return report


def validate(folder: Path = BUNDLE_DIR, manifest: Path | None = None) -> Report:
    """Validate the bundle in `folder` against the dbt project (parsed now unless a manifest is given):
    every link, and every dataset in sync with its model's columns and docs."""
    files, nodes = read_bundle(folder), dbt_model_nodes(manifest)
    report = validate_bundle(files, _column_sets(nodes))
    report.problems += out_of_sync(files, nodes)
    return report


def out_of_sync(files: dict[str, str], nodes: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    """A problem per dataset whose columns, types or descriptions differ from its dbt model's."""
    from dashboards.dataset_sync import sync_bundle

    _, changes = sync_bundle(files, nodes)
    return [f"{path}: out of sync with its dbt model ({', '.join(notes[:8])}{', ...' if len(notes) > 8 else ''}):"
            " run `tallyhouse dashboards sync`" for path, notes in sorted(changes.items())]

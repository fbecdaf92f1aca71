"""The bundle as code: valid against the dbt project, and import -> export is a no-op.

Runs against the session's fresh Superset, which has seen nothing but one import of the committed
bundle, so an export that differs from the repository means the bundle is not Superset's own
normalized form (or normalization misses a volatile field).
"""

from __future__ import annotations

import yaml

from dashboards import bundle
from dashboards.validate import dbt_models, validate, validate_bundle


def _count(prefix: str) -> int:
    return sum(1 for path in bundle.read_bundle() if path.startswith(prefix))


def test_every_link_from_dashboard_to_dbt_model_holds(dash_business) -> None:
    report = validate(manifest=dash_business.manifest)
    assert report.ok, "\n".join(report.problems)
    assert (report.dashboards, report.charts, report.datasets) == (
        _count("dashboards/"), _count("charts/"), _count("datasets/"))
    assert report.dashboards == 6


def test_validation_names_each_broken_link(dash_business) -> None:
    """A dataset that is no dbt model, a column the model lacks, a chart missing from a dashboard's bundle."""
    files = bundle.read_bundle()
    models = dbt_models(dash_business.manifest)
    dataset_path = "datasets/Tallyhouse_warehouse/rpt_inventory_accuracy_daily.yaml"
    renamed = yaml.safe_load(files[dataset_path])
    renamed["table_name"] = "rpt_inventory_accuracy_weekly"
    extra_column = yaml.safe_load(files["datasets/Tallyhouse_warehouse/fct_freight_audit.yaml"])
    extra_column["columns"].append({**extra_column["columns"][0], "column_name": "bill_total_eur"})
    chart_path = "charts/Dispute_list.yaml"
    broken = {**files, dataset_path: yaml.safe_dump(renamed),
              "datasets/Tallyhouse_warehouse/fct_freight_audit.yaml": yaml.safe_dump(extra_column)}
    del broken[chart_path]

    problems = "\n".join(validate_bundle(broken, models).problems)
    assert "marts.rpt_inventory_accuracy_weekly is not a model of the dbt project" in problems
    assert "['bill_total_eur'] are not columns of dbt model fct_freight_audit" in problems
    assert "chart 'Dispute list'" in problems and "is not in the bundle" in problems
    assert validate_bundle(files, models).ok


def test_import_then_export_yields_no_diff(superset) -> None:
    committed = bundle.read_bundle()
    exported = bundle.export_bundle(superset.api)
    differing = sorted(p for p in set(committed) | set(exported) if committed.get(p) != exported.get(p))
    assert not differing, differing


def test_import_is_idempotent(superset) -> None:
    """A second import overwrites by UUID: no new charts, datasets or dashboards, the same export."""
    from warehouse.settings import resolve

    def counts() -> tuple[int, ...]:
        return tuple(superset.api.get(f"/api/v1/{kind}/", q="(page_size:1)")["count"]
                     for kind in ("dashboard", "chart", "dataset", "database"))

    before = counts()
    bundle.import_bundle(superset.api, resolve(readonly=True))
    assert counts() == before == (_count("dashboards/"), _count("charts/"), _count("datasets/"), 1)
    assert bundle.export_bundle(superset.api) == bundle.read_bundle()

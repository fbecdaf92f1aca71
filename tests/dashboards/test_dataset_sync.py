"""The shipped datasets are in sync with their dbt models, and drift is found and repaired.

No Superset is needed: the bundle's YAML and dbt's own parse of the project are compared, so a model
that gains a column (or restates a description) without `tallyhouse dashboards sync` fails here.
"""

from __future__ import annotations

import pytest
import yaml

from dashboards.bundle import dump_yaml, read_bundle
from dashboards.chart_sql import column_names
from dashboards.dataset_sync import sync_bundle, synced_dataset
from dashboards.validate import dbt_model_nodes, out_of_sync, validate_bundle

MARGIN = "datasets/Tallyhouse_warehouse/fct_order_margin.yaml"
MARGIN_CHART = "charts/Margin.yaml"


@pytest.fixture(scope="module")
def nodes() -> dict:
    return dbt_model_nodes()  # dbt parse of the project, no connection


def test_the_shipped_datasets_are_in_sync_with_their_models(nodes) -> None:
    files = read_bundle()
    assert out_of_sync(files, nodes) == []
    margin = yaml.safe_load(files[MARGIN])
    assert {c["column_name"] for c in margin["columns"]} == set(nodes[("marts", "fct_order_margin")]["columns"])


def test_drift_is_reported_and_sync_restores_the_shipped_dataset(nodes) -> None:
    files = read_bundle()
    dataset = yaml.safe_load(files[MARGIN])
    dataset["columns"] = [c for c in dataset["columns"] if c["column_name"] != "net_revenue_base"]
    dataset["description"] = "stale words"
    drifted = {**files, MARGIN: dump_yaml(dataset)}

    problems = out_of_sync(drifted, nodes)
    assert len(problems) == 1 and problems[0].startswith(MARGIN)
    assert "description" in problems[0] and "+net_revenue_base" in problems[0]
    assert "tallyhouse dashboards sync" in problems[0]

    repaired, changes = sync_bundle(drifted, nodes)
    assert list(changes) == [MARGIN]
    assert repaired[MARGIN] == files[MARGIN]
    assert sync_bundle(repaired, nodes)[1] == {}  # idempotent


def test_a_new_column_takes_dbt_type_and_docs_and_superset_settings_survive(nodes) -> None:
    node = nodes[("marts", "fct_order_margin")]
    dataset = yaml.safe_load(read_bundle()[MARGIN])
    kept = next(c for c in dataset["columns"] if c["column_name"] == "order_date")
    dataset["columns"] = [c for c in dataset["columns"] if c["column_name"] not in ("cost_date", "refund_base")]
    calculated = {**kept, "column_name": "gross_after_refund", "expression": "revenue_base - refund_base"}
    gone = {**kept, "column_name": "discount_base"}  # a physical column the model no longer has
    dataset["columns"] += [calculated, gone]
    synced = {c["column_name"]: c for c in synced_dataset(dataset, node)["columns"]}
    assert synced["cost_date"]["type"] == "Date" and synced["cost_date"]["is_dttm"] is True
    assert synced["refund_base"]["type"] == node["columns"]["refund_base"]["data_type"]
    assert synced["refund_base"]["is_dttm"] is False and synced["refund_base"]["groupby"] is True
    assert synced["refund_base"]["description"] == " ".join(node["columns"]["refund_base"]["description"].split())
    assert synced["order_date"]["verbose_name"] == kept["verbose_name"] == "Order date"  # a UI label is kept
    assert synced["gross_after_refund"] == calculated and "discount_base" not in synced
    assert set(synced) == set(node["columns"]) | {"gross_after_refund"}


def test_an_unknown_name_in_a_chart_sql_expression_is_reported(nodes) -> None:
    """A metric's SQL naming a column its dataset lacks fails validation; the shipped charts pass."""
    files = read_bundle()
    models = {key: set(node.get("columns", {})) for key, node in nodes.items()}
    assert validate_bundle(files, models).ok
    chart = yaml.safe_load(files[MARGIN_CHART])
    chart["params"]["metric"]["sqlExpression"] = (
        "sum(net_revenue_base) - sum(refunds_base) + countIf(status = 'net_revenue_eur')")
    chart["params"]["adhoc_filters"].append({"clause": "WHERE", "expressionType": "SQL", "sqlExpression": "is_vip"})

    problems = validate_bundle({**files, MARGIN_CHART: dump_yaml(chart)}, models).problems
    assert problems == [f"{MARGIN_CHART}: its SQL expressions name ['is_vip', 'refunds_base', 'status'],"
                        " neither columns of its dataset nor SQL functions or keywords"]


@pytest.mark.parametrize(("expression", "names"), [
    ("sum(contribution_margin_base) / nullIf(sum(net_revenue_base), 0)", {"contribution_margin_base", "net_revenue_base"}),
    ("countIf(NOT passed AND source IS NOT NULL)", {"passed", "source"}),
    ("snapshot_date >= today() - INTERVAL 30 DAY", {"snapshot_date"}),
    ("sumIf(x, reason = 'late fee') -- x is a column", {"x", "reason"}),
    ("arrayElement((sumMap([d], [toFloat64(v)])).2, -1) * 1e3", {"d", "v"}),
    ("arraySum(arrayMap((a, b) -> a * b, qty, price))", {"qty", "price"}),
    ("`odd name` + \"quoted\"", {"odd name", "quoted"}),
])
def test_column_names_skip_functions_keywords_literals_and_lambda_parameters(expression, names) -> None:
    assert column_names(expression) == names

"""The shipped datasets are in sync with their dbt models, and drift is found and repaired.

No Superset is needed: the bundle's YAML and dbt's own parse of the project are compared, so a model
that gains a column (or restates a description) without `tallyhouse dashboards sync` fails here.
"""

from __future__ import annotations

import pytest
import yaml

from dashboards.bundle import dump_yaml, read_bundle
from dashboards.dataset_sync import sync_bundle, synced_dataset
from dashboards.validate import dbt_model_nodes, out_of_sync

MARGIN = "datasets/Tallyhouse_warehouse/fct_order_margin.yaml"


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
    synced = {c["column_name"]: c for c in synced_dataset(dataset, node)["columns"]}
    assert synced["cost_date"]["type"] == "Date" and synced["cost_date"]["is_dttm"] is True
    assert synced["refund_base"]["type"] == node["columns"]["refund_base"]["data_type"]
    assert synced["refund_base"]["is_dttm"] is False and synced["refund_base"]["groupby"] is True
    assert synced["refund_base"]["description"] == " ".join(node["columns"]["refund_base"]["description"].split())
    assert synced["order_date"]["verbose_name"] == kept["verbose_name"] == "Order date"  # a UI label is kept

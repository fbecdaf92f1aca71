"""A real Superset over a small simulated business, shared by every dashboards test.

The business ends yesterday (so "T-1" and "last 30 days" mean what they mean in production), is
loaded by the real loader, built by the real dbt project, checked by the real check and anomaly
writers (so the data-health views have rows), and then Superset is bootstrapped in this session's
throwaway state directory, started on loopback and given the bundle through its import API.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "marts"))  # the marts tests' dbt runner (marts_dbt)

from marts_dbt import DBT_DATABASES, dbt  # noqa: E402

DAYS = 10
ARTIFACTS = TESTS.parent / "test-artifacts" / "dashboards"


@dataclass(frozen=True)
class DashboardBusiness:
    start: date
    end: date  # the last business date (yesterday)
    manifest: Path


@dataclass(frozen=True)
class RunningSuperset:
    url: str
    username: str
    password: str
    api: object  # dashboards.api.SupersetApi, logged in as admin


@pytest.fixture(scope="session")
def dash_business(tmp_path_factory: pytest.TempPathFactory, ch_client, dbt_environment) -> DashboardBusiness:
    """Simulate ten days up to yesterday, load every source, build all models, run checks and detector."""
    from assets.anomaly import detect
    from assets.business_checks import inventory_accuracy
    from assets.monitoring_config import parse_config
    from assets.ops_tables import ensure_ops_tables
    from assets.verdicts import record
    from dashboards.bundle import read_bundle
    from ingestion.load import load_date
    from simulator import simulate

    root = tmp_path_factory.mktemp("dashboards")
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=DAYS - 1)
    simulate(root / "landing", start=start, days=DAYS, orders_per_day=80, seed=11, skus=60)

    # Only this business in the warehouse: other modules' loads and builds must not leak into the charts.
    ch_client.command("DROP DATABASE IF EXISTS raw")
    for database in (*DBT_DATABASES, "ops"):
        ch_client.command(f"DROP DATABASE IF EXISTS `{database}`")
        ch_client.command(f"CREATE DATABASE `{database}`")
    ensure_ops_tables(ch_client)
    for offset in range(DAYS):
        for report in load_date(ch_client, root / "landing", start + timedelta(days=offset)):
            assert not report.errors, (report.source, report.errors)

    # Only what the dashboards read (and its parents): other marts under construction cannot fail this.
    # `run`, not `build`: the models' data tests are the marts tests' job (tests/marts builds them all);
    # here they only doubled the time before the first page opened.
    models = sorted({yaml.safe_load(text)["table_name"] for path, text in read_bundle().items()
                     if path.startswith("datasets/")})
    result = dbt(["run", "--select", *(f"+{name}" for name in models)], root / "dbt")
    assert result.success, result.failures

    config = parse_config({})
    for offset in range(DAYS):
        day = start + timedelta(days=offset)
        record(ch_client, inventory_accuracy(ch_client, day, config), run_id="dashboards-tests")
        detect(ch_client, day, config)
    return DashboardBusiness(start=start, end=end, manifest=root / "dbt" / "target" / "manifest.json")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def superset(dash_business, endpoint) -> Iterator[RunningSuperset]:
    """Superset bootstrapped in the session's state dir, on a free loopback port, bundle imported."""
    from dashboards import bundle, server
    from dashboards.api import SupersetApi
    from warehouse import embedded
    from warehouse.settings import resolve

    # The dbt environment names the endpoint as an external host, so the read-only user is given the
    # way a real deployment gives it: CLICKHOUSE_RO_USER / CLICKHOUSE_RO_PASSWORD.
    readonly = embedded.credentials(readonly=True)
    os.environ.update({"CLICKHOUSE_RO_USER": readonly.user, "CLICKHOUSE_RO_PASSWORD": readonly.password})
    login, created = server.bootstrap()
    assert created, "a fresh state directory must generate the admin password"
    status = server.start(_free_port())
    try:
        api = SupersetApi(status.url, login.username, login.password)
        bundle.import_bundle(api, resolve(readonly=True))
        yield RunningSuperset(status.url, login.username, login.password, api)
    finally:
        server.stop()
        for key in ("CLICKHOUSE_RO_USER", "CLICKHOUSE_RO_PASSWORD"):
            os.environ.pop(key, None)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS

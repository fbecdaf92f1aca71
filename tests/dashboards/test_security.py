"""Superset as deployed: generated secrets, loopback only, and a warehouse user that cannot write.

The INSERT test lifts Superset's own DML guard on purpose: Superset refusing proves little, the point
is that the warehouse refuses the dashboards' user, whatever Superset is configured to allow.
"""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import requests
from browser import browser_page, log_in

INSERT = ("INSERT INTO ops.check_results (checked_at, business_date, check_name, asset_key, subject, severity, "
          "passed, value, threshold, message, run_id) VALUES (now(), today(), 'sql_lab_write', 'x', '', 'P3', 1, "
          "NULL, NULL, 'written through SQL Lab', 'sql-lab')")


def _warehouse_database(api) -> dict:
    rows = api.all("database", ["id", "database_name", "allow_dml", "backend"])
    assert len(rows) == 1, rows
    return rows[0]


def _run_in_sql_lab(api, database_id: int, sql: str) -> requests.Response:
    return api.post("/api/v1/sqllab/execute/", json={
        "database_id": database_id, "sql": sql, "runAsync": False, "schema": "ops",
        "client_id": uuid.uuid4().hex[:10], "queryLimit": 100, "tab": "security test"})


def test_wrong_password_is_refused(superset) -> None:
    response = requests.post(f"{superset.url}/api/v1/security/login", timeout=30, json={
        "username": superset.username, "password": superset.password + "-wrong", "provider": "db"})
    assert response.status_code == 401
    with browser_page(superset.url) as page:
        assert not log_in(page, superset.username, superset.password + "-wrong")
        assert not log_in(page, "admin", "admin")
        assert log_in(page, superset.username, superset.password)


def test_secrets_are_generated_private_and_the_server_is_on_loopback(superset) -> None:
    from dashboards.state import admin_file, secret_key, secret_key_file

    for path in (admin_file(), secret_key_file()):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert superset.password not in ("admin", "") and len(superset.password) >= 16
    assert len(secret_key()) >= 32
    port = int(superset.url.rsplit(":", 1)[1])
    listening = [line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if line.split()[3] == "0A"]  # state LISTEN
    assert f"0100007F:{port:04X}" in listening  # 127.0.0.1:<port>, nothing else
    assert not [address for address in listening if address.endswith(f":{port:04X}") and address != f"0100007F:{port:04X}"]


def test_the_warehouse_is_registered_with_the_read_only_user(superset) -> None:
    from warehouse.settings import resolve

    readonly = resolve(readonly=True)
    database = _warehouse_database(superset.api)
    connection = superset.api.get(f"/api/v1/database/{database['id']}/connection")["result"]
    assert connection["sqlalchemy_uri"].startswith(f"clickhousedb://{readonly.user}:XXXXXXXXXX@")
    assert f"@{readonly.host}:{readonly.port}/" in connection["sqlalchemy_uri"]
    assert database["allow_dml"] is False


def test_insert_through_sql_lab_is_refused_by_the_warehouse(superset, ch_client) -> None:
    api = superset.api
    database_id = _warehouse_database(api)["id"]
    before = ch_client.query("SELECT count() FROM ops.check_results").first_row[0]

    guarded = _run_in_sql_lab(api, database_id, INSERT)
    assert guarded.status_code >= 400
    assert "DML_NOT_ALLOWED_ERROR" in guarded.text, guarded.text[:500]  # Superset's guard, first line

    api.put_ok(f"/api/v1/database/{database_id}", json={"allow_dml": True})
    try:
        unguarded = _run_in_sql_lab(api, database_id, INSERT)
    finally:
        api.put_ok(f"/api/v1/database/{database_id}", json={"allow_dml": False})
    assert unguarded.status_code >= 400, unguarded.text[:500]
    # ClickHouse's own refusal (code 164 READONLY), relayed by Superset: the warehouse said no.
    assert "Code: 164" in unguarded.text and "READONLY" in unguarded.text, unguarded.text[:800]
    assert ch_client.query("SELECT count() FROM ops.check_results").first_row[0] == before

    selected = _run_in_sql_lab(api, database_id, "SELECT count() AS n FROM ops.check_results")
    assert selected.status_code == 200, selected.text[:500]
    assert selected.json()["data"][0]["n"] == before

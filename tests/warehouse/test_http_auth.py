"""Authentication and the read-only user."""

from __future__ import annotations

import urllib.request
import uuid

import clickhouse_connect
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from warehouse import embedded


def connect(endpoint, user: str, password: str, **kwargs):
    return clickhouse_connect.get_client(
        host="127.0.0.1", port=endpoint.port, username=user, password=password, **kwargs
    )


def test_wrong_password_is_refused(endpoint):
    creds = embedded.credentials()
    with pytest.raises(DatabaseError) as refused:
        connect(endpoint, creds.user, creds.password + "x")
    assert refused.value.code == 516


def test_unknown_user_and_missing_credentials_are_refused(endpoint):
    with pytest.raises(DatabaseError) as refused:
        connect(endpoint, "default", "")
    assert refused.value.code == 516
    request = urllib.request.Request(f"http://127.0.0.1:{endpoint.port}/?query=SELECT+1")
    with pytest.raises(urllib.error.HTTPError) as http_error:
        urllib.request.urlopen(request, timeout=5)
    assert http_error.value.code == 403
    assert http_error.value.headers["X-ClickHouse-Exception-Code"] == "516"


def test_passwords_are_generated_and_private(endpoint):
    rw, ro = embedded.credentials(), embedded.credentials(readonly=True)
    assert rw.user != ro.user
    assert len(rw.password) >= 24 and rw.password != ro.password
    users_file = endpoint.data_dir.parents[1] / "secrets" / "clickhouse-users.json"
    assert users_file.stat().st_mode & 0o777 == 0o600


@pytest.fixture
def ro_client(endpoint, ch_client):
    ch_client.command("CREATE TABLE IF NOT EXISTS ro_target (x UInt8) ENGINE = MergeTree ORDER BY x")
    ch_client.command("TRUNCATE TABLE ro_target")
    ch_client.insert("ro_target", [[1], [2]], column_names=["x"])
    creds = embedded.credentials(readonly=True)
    return connect(endpoint, creds.user, creds.password)


def test_readonly_user_reads_but_cannot_write(ro_client, ch_client):
    assert ro_client.command("SELECT sum(x) FROM ro_target") == 3
    for statement in (
        "INSERT INTO ro_target VALUES (9)",
        "CREATE TABLE ro_new (x UInt8) ENGINE = Memory",
        "DROP TABLE ro_target",
        "ALTER TABLE ro_target DELETE WHERE 1",
    ):
        with pytest.raises(DatabaseError) as refused:
            ro_client.command(statement)
        assert refused.value.code == 164, statement
    with pytest.raises(DatabaseError) as refused_insert:
        ro_client.insert("ro_target", [[7]], column_names=["x"])
    assert refused_insert.value.code == 164
    assert ch_client.command("SELECT sum(x) FROM ro_target") == 3


def test_readonly_cannot_be_lifted_by_the_client(ro_client, endpoint):
    with pytest.raises(DatabaseError) as by_setting:
        ro_client.command("SELECT 1 SETTINGS readonly = 0")
    assert by_setting.value.code == 164
    creds = embedded.credentials(readonly=True)
    # clickhouse-connect already refuses to send it; a raw request must be refused by the server.
    request = urllib.request.Request(
        f"http://127.0.0.1:{endpoint.port}/?readonly=0",
        data=b"INSERT INTO ro_target VALUES (9)",
        headers={"X-ClickHouse-User": creds.user, "X-ClickHouse-Key": creds.password},
    )
    with pytest.raises(urllib.error.HTTPError) as by_url:
        urllib.request.urlopen(request, timeout=5)
    assert by_url.value.headers["X-ClickHouse-Exception-Code"] == "164"
    session = connect(endpoint, creds.user, creds.password, session_id=f"ro-{uuid.uuid4().hex}")
    with pytest.raises(DatabaseError) as by_set:
        session.command("SET readonly = 0")
    assert by_set.value.code == 164
    with pytest.raises(DatabaseError) as still_readonly:
        session.command("INSERT INTO ro_target VALUES (9)")
    assert still_readonly.value.code == 164


def test_readonly_user_cannot_read_server_files(ro_client):
    """Dashboards' user must not read the secrets file through file() (chDB has no user_files_path)."""
    for statement in (
        "SELECT * FROM file('/etc/hostname', 'LineAsString')",
        "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')",
    ):
        with pytest.raises(DatabaseError) as refused:
            ro_client.command(statement)
        assert refused.value.code == 497, statement
    assert ro_client.command("SELECT count() FROM numbers(10)") == 10

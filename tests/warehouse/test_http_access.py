"""Access control owned by the endpoint: users, roles, grants, enforcement, persistence, system tables.

Everything goes through clickhouse-connect over a real socket, as the administrator (the generated
read-write user) and as users created with SQL.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
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


def code_of(call) -> int:
    with pytest.raises(DatabaseError) as refused:
        call()
    return refused.value.code


@pytest.fixture
def world(ch_client):
    """Two databases with a table each, and a fresh user and role name; all dropped afterwards."""
    tag = uuid.uuid4().hex[:8]
    names = {"db": f"acc_{tag}", "other": f"acc_other_{tag}", "user": f"u_{tag}", "role": f"r_{tag}",
             "password": f"pw-{uuid.uuid4().hex}"}
    for db in (names["db"], names["other"]):
        ch_client.command(f"CREATE DATABASE {db}")
        ch_client.command(f"CREATE TABLE {db}.orders (id UInt32, amount Int64) ENGINE = MergeTree ORDER BY id")
        ch_client.insert(f"{db}.orders", [[i, i * 10] for i in range(1, 11)], column_names=["id", "amount"])
    yield names
    ch_client.command(f"DROP USER IF EXISTS {names['user']}")
    ch_client.command(f"DROP ROLE IF EXISTS {names['role']}")
    for db in (names["db"], names["other"]):
        ch_client.command(f"DROP DATABASE IF EXISTS {db}")


def test_created_user_authenticates_and_starts_with_nothing(endpoint, ch_client, world):
    ch_client.command(f"CREATE USER {world['user']} IDENTIFIED WITH sha256_password BY '{world['password']}'")
    assert code_of(lambda: connect(endpoint, world["user"], "wrong")) == 516
    user = connect(endpoint, world["user"], world["password"])
    assert user.command("SELECT 40 + 2") == 42  # no table: no grant needed
    assert code_of(lambda: user.command(f"SELECT sum(amount) FROM {world['db']}.orders")) == 497
    assert user.command("SHOW GRANTS") == ""


def test_select_grant_on_one_table_is_enforced_per_table_and_kind(endpoint, ch_client, world):
    db, other = world["db"], world["other"]
    ch_client.command(f"CREATE USER {world['user']} IDENTIFIED BY '{world['password']}'")
    ch_client.command(f"GRANT SELECT ON {db}.orders TO {world['user']}")
    user = connect(endpoint, world["user"], world["password"])
    assert user.command(f"SELECT sum(amount) FROM {db}.orders") == 550
    # Reads hidden in a subquery, a CTE or a join are found by the engine's parse.
    assert code_of(lambda: user.command(f"SELECT count() FROM {db}.orders WHERE id IN (SELECT id FROM {other}.orders)")) == 497
    assert code_of(lambda: user.command(f"WITH x AS (SELECT * FROM {other}.orders) SELECT count() FROM x")) == 497
    assert user.command(f"WITH x AS (SELECT * FROM {db}.orders) SELECT count() FROM x") == 10
    # Other statement kinds on the same table need their own grants.
    assert code_of(lambda: user.insert(f"{db}.orders", [[99, 1]], column_names=["id", "amount"])) == 497
    assert code_of(lambda: user.command(f"ALTER TABLE {db}.orders DELETE WHERE id = 1")) == 497
    assert code_of(lambda: user.command(f"TRUNCATE TABLE {db}.orders")) == 497
    assert code_of(lambda: user.command(f"DROP TABLE {db}.orders")) == 497
    assert code_of(lambda: user.command(f"CREATE TABLE {db}.made (x UInt8) ENGINE = Memory")) == 497
    assert ch_client.command(f"SELECT count() FROM {db}.orders") == 10
    assert user.command("SHOW GRANTS") == f"GRANT SELECT ON {db}.orders TO {world['user']}"


def test_database_wide_grants_through_a_role(endpoint, ch_client, world):
    db = world["db"]
    ch_client.command(f"CREATE ROLE {world['role']}")
    ch_client.command(f"GRANT SELECT, INSERT, CREATE TABLE, DROP TABLE, ALTER ON {db}.* TO {world['role']}")
    ch_client.command(f"CREATE USER {world['user']} IDENTIFIED BY '{world['password']}' DEFAULT ROLE {world['role']}")
    user = connect(endpoint, world["user"], world["password"])
    user.insert(f"{db}.orders", [[11, 110], [12, 120]], column_names=["id", "amount"])
    user.command(f"CREATE TABLE {db}.made (x UInt8) ENGINE = MergeTree ORDER BY x")
    user.command(f"INSERT INTO {db}.made SELECT toUInt8(id) FROM {db}.orders")
    user.command(f"ALTER TABLE {db}.orders DELETE WHERE id > 10 SETTINGS mutations_sync = 1")
    assert user.query(f"SELECT count(), sum(x) FROM {db}.made").result_rows == [(12, sum(range(1, 13)))]
    user.command(f"DROP TABLE {db}.made")
    assert user.command(f"SELECT sum(amount) FROM {db}.orders") == 550
    # TRUNCATE was not granted; the other database not at all.
    assert code_of(lambda: user.command(f"TRUNCATE TABLE {db}.orders")) == 497
    assert code_of(lambda: user.command(f"SELECT count() FROM {world['other']}.orders")) == 497
    # Revoking the role from the user takes everything away at once.
    ch_client.command(f"REVOKE {world['role']} FROM {world['user']}")
    assert code_of(lambda: user.command(f"SELECT count() FROM {db}.orders")) == 497


def test_revoke_and_show_grants_and_system_tables(endpoint, ch_client, world):
    db, name = world["db"], world["user"]
    ch_client.command(f"CREATE USER {name} IDENTIFIED BY '{world['password']}'")
    ch_client.command(f"GRANT SELECT, INSERT ON {db}.orders TO {name} WITH GRANT OPTION")
    grants = ch_client.query(
        "SELECT access_type, database, table, grant_option FROM system.grants WHERE user_name = {u:String} "
        "ORDER BY access_type", parameters={"u": name}
    ).result_rows
    assert grants == [("INSERT", db, "orders", 1), ("SELECT", db, "orders", 1)]
    ch_client.command(f"REVOKE INSERT ON {db}.* FROM {name}")
    assert ch_client.command(f"SHOW GRANTS FOR {name}") == f"GRANT SELECT ON {db}.orders TO {name} WITH GRANT OPTION"
    assert name in ch_client.query("SHOW USERS").result_columns[0]
    user = connect(endpoint, name, world["password"])
    assert user.command(f"SELECT count() FROM {db}.orders") == 10
    assert code_of(lambda: user.insert(f"{db}.orders", [[1, 1]], column_names=["id", "amount"])) == 497


def test_only_the_administrator_manages_access(endpoint, ch_client, world):
    ch_client.command(f"CREATE USER {world['user']} IDENTIFIED BY '{world['password']}'")
    ch_client.command(f"GRANT ALL ON {world['db']}.* TO {world['user']}")
    user = connect(endpoint, world["user"], world["password"])
    for statement in (f"CREATE USER x_{uuid.uuid4().hex[:6]}", f"GRANT SELECT ON *.* TO {world['user']}",
                      f"DROP USER {world['user']}", "SHOW USERS", "SHOW GRANTS FOR tallyhouse"):
        assert code_of(lambda s=statement: user.command(s)) == 497, statement
    ro = embedded.credentials(readonly=True)
    reader = connect(endpoint, ro.user, ro.password)
    assert code_of(lambda: reader.command(f"GRANT SELECT ON *.* TO {world['user']}")) == 497
    # A GET request is read-only (as on clickhouse-server), so it cannot change access either.
    creds = embedded.credentials()
    request = urllib.request.Request(
        f"http://127.0.0.1:{endpoint.port}/?query=" + urllib.parse.quote(f"DROP USER {world['user']}"),
        headers={"X-ClickHouse-User": creds.user, "X-ClickHouse-Key": creds.password},
    )
    with pytest.raises(urllib.error.HTTPError) as by_get:
        urllib.request.urlopen(request, timeout=10)
    assert by_get.value.headers["X-ClickHouse-Exception-Code"] == "164"
    assert user.command("SELECT 1") == 1  # still there
    # Table functions reading files are refused to created users as to the read-only one.
    assert code_of(lambda: user.command("SELECT * FROM file('/etc/hostname', 'LineAsString')")) == 497


def test_errors_carry_clickhouse_codes(ch_client, world):
    assert code_of(lambda: ch_client.command(f"GRANT SELECT ON *.* TO nobody_{world['user']}")) == 511
    assert code_of(lambda: ch_client.command(f"DROP USER nobody_{world['user']}")) == 192
    ch_client.command(f"CREATE USER {world['user']}")
    assert code_of(lambda: ch_client.command(f"CREATE USER {world['user']}")) == 493
    ch_client.command(f"CREATE USER IF NOT EXISTS {world['user']}")
    assert code_of(lambda: ch_client.command("GRANT SELECT ON db.t TO")) == 62
    assert code_of(lambda: ch_client.command(f"GRANT SELECT(id) ON {world['db']}.orders TO {world['user']}")) == 48
    assert code_of(lambda: ch_client.command(f"CREATE QUOTA q_{world['user']} FOR INTERVAL 1 hour MAX queries = 1")) == 48


def test_access_persists_in_a_private_file(endpoint, ch_client, world):
    ch_client.command(f"CREATE USER {world['user']} IDENTIFIED BY '{world['password']}'")
    ch_client.command(f"GRANT SELECT ON {world['db']}.orders TO {world['user']}")
    path = endpoint.data_dir.parents[1] / "secrets" / "clickhouse-access.json"
    assert path.stat().st_mode & 0o777 == 0o600
    stored = json.loads(path.read_text())["users"][world["user"]]
    assert world["password"] not in path.read_text()  # a salted hash, never the password
    assert stored["grants"] == [{"privilege": "SELECT", "database": world["db"], "table": "orders",
                                 "grant_option": False}]


def test_current_user_and_roles_follow_the_role_setting(endpoint, ch_client, world):
    """What clickhouse-connect's own suite checks: DEFAULT ROLE NONE, then the `role` setting per query."""
    db, name, role = world["db"], world["user"], world["role"]
    ch_client.command(f"CREATE ROLE IF NOT EXISTS {role}")
    ch_client.command(f"GRANT SELECT ON {db}.orders TO {role}")
    ch_client.command(f"CREATE USER IF NOT EXISTS {name} IDENTIFIED BY '{world['password']}'")
    ch_client.command(f"GRANT {role} TO {name}")
    ch_client.command(f"SET DEFAULT ROLE NONE TO {name}")
    user = connect(endpoint, name, world["password"])
    assert user.query("SELECT currentUser(), currentRoles()").result_rows == [(name, [])]
    assert code_of(lambda: user.command(f"SELECT count() FROM {db}.orders")) == 497
    assert user.query("SELECT currentRoles()", settings={"role": role}).result_rows == [([role],)]
    assert user.command(f"SELECT count() FROM {db}.orders", settings={"role": role}) == 10
    with_role = connect(endpoint, name, world["password"], settings={"role": role})
    assert with_role.command(f"SELECT sum(amount) FROM {db}.orders") == 550
    assert code_of(lambda: user.command("SELECT 1", settings={"role": f"not_granted_{role}"})) == 512


def test_names_resolve_like_the_engine_resolves_them(endpoint, ch_client, world):
    """Unqualified names follow the session's USE; a dotted table name needs the grant on that table."""
    db, other, name = world["db"], world["other"], world["user"]
    ch_client.command(f"CREATE TABLE {db}.`odd.name` (id UInt8) ENGINE = Memory")
    ch_client.command(f"INSERT INTO {db}.`odd.name` VALUES (1), (2)")
    ch_client.command(f"CREATE USER {name} IDENTIFIED BY '{world['password']}'")
    ch_client.command(f"GRANT SELECT ON {db}.orders TO {name}")
    ch_client.command(f"GRANT ALTER DELETE, INSERT ON {other}.orders TO {name}")
    session = connect(endpoint, name, world["password"], session_id=f"acc-{uuid.uuid4().hex}")
    session.command(f"USE {db}")
    assert session.command("SELECT count() FROM orders") == 10
    assert code_of(lambda: session.command("SELECT count() FROM `odd.name`")) == 497
    session.command(f"USE {other}")
    assert code_of(lambda: session.command("SELECT count() FROM orders")) == 497
    # INSERT ... SELECT needs INSERT on the target and SELECT on the source; ALTER DELETE is its own grant.
    session.command(f"INSERT INTO orders SELECT id + 100, amount FROM {db}.orders")
    session.command("ALTER TABLE orders DELETE WHERE id > 105 SETTINGS mutations_sync = 1")
    assert code_of(lambda: session.command("ALTER TABLE orders UPDATE amount = 0 WHERE 1")) == 497
    assert ch_client.command(f"SELECT count() FROM {other}.orders") == 15


def test_row_policies_filter_what_created_users_read(endpoint, ch_client, world):
    db, name, role = world["db"], world["user"], world["role"]
    ch_client.command(f"CREATE ROLE {role}")
    ch_client.command(f"CREATE USER {name} IDENTIFIED BY '{world['password']}' DEFAULT ROLE {role}")
    ch_client.command(f"GRANT SELECT ON {db}.* TO {role}")
    policy = f"p_{world['user']}"
    try:
        assert ch_client.command(f"SHOW ROW POLICIES ON {db}.orders") == ""
        ch_client.command(f"CREATE ROW POLICY {policy} ON {db}.orders USING id <= 3 OR amount = 100 TO {role}")
        assert ch_client.command(f"SHOW ROW POLICIES ON {db}.orders") == policy
        assert f"{policy} ON {db}.orders" in [row[0] for row in ch_client.query("SHOW POLICIES").result_rows]
        user = connect(endpoint, name, world["password"])
        # ids 1, 2, 3 and 10 (amount 100): also through a subquery, and the user cannot lift the filter
        assert user.query(f"SELECT count(), sum(amount) FROM {db}.orders").result_rows == [(4, 160)]
        assert user.command(f"SELECT count() FROM (SELECT * FROM {db}.orders WHERE id > 1)") == 3
        assert code_of(lambda: user.command(
            f"SELECT count() FROM {db}.orders SETTINGS additional_table_filters = {{'{db}.orders': '1'}}")) == 497
        assert ch_client.command(f"SELECT count() FROM {db}.orders") == 10  # the administrator sees all
        ch_client.command(f"DROP ROW POLICY {policy} ON {db}.orders")
        assert user.command(f"SELECT count() FROM {db}.orders") == 10
        assert code_of(lambda: ch_client.command(f"DROP ROW POLICY {policy} ON {db}.orders")) == 492
    finally:
        ch_client.command(f"DROP ROW POLICY IF EXISTS {policy} ON {db}.orders")


def _visible_tables(client, *databases: str) -> set[tuple[str, str]]:
    rows = client.query("SELECT database, name FROM system.tables WHERE has({dbs:Array(String)}, database)",
                        parameters={"dbs": list(databases)}).result_rows
    return {tuple(row) for row in rows}


def test_metadata_shows_created_users_only_what_they_are_granted(endpoint, ch_client, world):
    db, other, name = world["db"], world["other"], world["user"]
    ch_client.command(f"CREATE TABLE {other}.hidden (k String) ENGINE = MergeTree ORDER BY k")
    ch_client.command(f"CREATE USER {name} IDENTIFIED BY '{world['password']}'")
    ch_client.command(f"GRANT SELECT ON {db}.* TO {name}")
    user = connect(endpoint, name, world["password"])

    databases = {row[0] for row in user.query("SHOW DATABASES").result_rows}
    assert db in databases and "system" in databases and other not in databases
    assert _visible_tables(user, db, other) == {(db, "orders")}
    columns = user.query("SELECT database, table, name FROM system.columns WHERE has({dbs:Array(String)}, database)",
                         parameters={"dbs": [db, other]}).result_rows
    assert sorted(columns) == [(db, "orders", "amount"), (db, "orders", "id")]
    schemata = {row[0] for row in user.query("SELECT schema_name FROM information_schema.schemata").result_rows}
    assert db in schemata and other not in schemata
    assert user.query(f"SHOW TABLES FROM {other}").result_rows == []
    assert [r[0] for r in user.query(f"SHOW TABLES FROM {db}").result_rows] == ["orders"]
    assert {r[0] for r in user.query(f"DESCRIBE TABLE {db}.orders").result_rows} == {"id", "amount"}
    assert code_of(lambda: user.query(f"DESCRIBE TABLE {other}.orders")) == 497
    assert code_of(lambda: user.command(f"SHOW CREATE TABLE {other}.orders")) == 497
    assert code_of(lambda: user.command(f"SHOW CREATE DATABASE {other}")) == 497
    assert "CREATE TABLE" in user.command(f"SHOW CREATE TABLE {db}.orders")
    assert user.command(f"EXISTS TABLE {db}.orders") == 1 and user.command(f"EXISTS DATABASE {db}") == 1
    assert user.command(f"EXISTS TABLE {db}.no_such_table") == 0
    assert code_of(lambda: user.command(f"EXISTS TABLE {other}.orders")) == 497
    assert code_of(lambda: user.command(f"EXISTS DATABASE {other}")) == 497

    # A table-level grant shows that table and its database, not the database's other tables.
    ch_client.command(f"GRANT INSERT ON {other}.orders TO {name}")
    assert _visible_tables(user, db, other) == {(db, "orders"), (other, "orders")}
    assert other in {row[0] for row in user.query("SHOW DATABASES").result_rows}
    assert code_of(lambda: user.command(f"SHOW CREATE TABLE {other}.hidden")) == 497
    # The administrator, and a grant on *.*, see everything.
    assert _visible_tables(ch_client, other) == {(other, "orders"), (other, "hidden")}
    ch_client.command(f"GRANT SHOW TABLES ON *.* TO {name}")
    assert _visible_tables(user, other) == {(other, "orders"), (other, "hidden")}


def test_metadata_visibility_follows_roles_in_effect(endpoint, ch_client, world):
    db, other, name, role = world["db"], world["other"], world["user"], world["role"]
    ch_client.command(f"CREATE ROLE {role}")
    ch_client.command(f"GRANT SELECT ON {other}.orders TO {role}")
    ch_client.command(f"CREATE USER {name} IDENTIFIED BY '{world['password']}' DEFAULT ROLE NONE")
    ch_client.command(f"GRANT {role} TO {name}")
    ch_client.command(f"GRANT SELECT ON {db}.orders TO {name}")
    user = connect(endpoint, name, world["password"])
    ch_client.command(f"SET DEFAULT ROLE NONE TO {name}")
    assert _visible_tables(user, db, other) == {(db, "orders")}
    with_role = connect(endpoint, name, world["password"], settings={"role": role})
    assert _visible_tables(with_role, db, other) == {(db, "orders"), (other, "orders")}


def test_every_narrowed_system_table_still_answers(endpoint, ch_client, world):
    from warehouse.server.visibility import METADATA_TABLES

    ch_client.command(f"CREATE USER {world['user']} IDENTIFIED BY '{world['password']}'")
    ch_client.command(f"GRANT SELECT ON {world['db']}.orders TO {world['user']}")
    user = connect(endpoint, world["user"], world["password"])
    for table, db_column, _ in METADATA_TABLES:
        seen = {row[0] for row in user.query(f"SELECT DISTINCT {db_column} FROM {table}").result_rows}
        assert world["other"] not in seen, table
    parts = user.query("SELECT DISTINCT database, table FROM system.parts WHERE active").result_rows
    assert (world["db"], "orders") in parts and all(row[0] != world["other"] for row in parts)

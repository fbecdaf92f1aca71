"""The access store and statement reader on their own: grammar, privilege hierarchy, persistence."""

from __future__ import annotations

import pytest

from warehouse.server import dcl
from warehouse.server.access import AccessStore
from warehouse.server.errors import ClickHouseError


@pytest.fixture
def store(tmp_path):
    return AccessStore(tmp_path / "access.json", {"admin", "reader"}, {"reader"})


def run(store: AccessStore, sql: str, who: str = "admin") -> dcl.Result:
    keywords = dcl.head(sql)
    assert keywords is not None, sql
    return dcl.Executor(store, "shop").run(sql, keywords, who)


@pytest.mark.parametrize("sql,expected", [
    ("grant select on db.t to u", ("GRANT",)),
    ("/* c */ CREATE USER IF NOT EXISTS u", ("CREATE", "USER")),
    ("SHOW GRANTS FOR u", ("SHOW", "GRANTS")),
    ("set default role none to u", ("SET", "DEFAULT", "ROLE")),
    ("CREATE TABLE users (x Int8) ENGINE = Memory", None),
    ("SELECT * FROM system.grants", None),
])
def test_access_statements_are_recognised_by_their_keywords(sql, expected):
    assert dcl.head(sql) == expected


def test_grants_cover_by_scope_and_privilege_group(store):
    run(store, "CREATE USER u IDENTIFIED BY 'secret'")
    run(store, "GRANT ALTER, SELECT ON shop.* TO u")
    run(store, "GRANT INSERT ON orders TO u")  # a table of the current database
    user = store.users["u"]
    assert store.allowed(user, "ALTER DELETE", "shop", "orders")
    assert store.allowed(user, "SELECT", "shop", "anything")
    assert store.allowed(user, "INSERT", "shop", "orders")
    assert not store.allowed(user, "INSERT", "shop", "other")
    assert not store.allowed(user, "SELECT", "elsewhere", "orders")
    assert not store.allowed(user, "DROP TABLE", "shop", "orders")
    run(store, "REVOKE ALTER ON shop.* FROM u")
    assert not store.allowed(user, "ALTER DELETE", "shop", "orders")
    assert dcl.Executor(store, "shop").run("SHOW GRANTS", ("SHOW", "GRANTS"), "u").rows == [
        "GRANT SELECT ON shop.* TO u", "GRANT INSERT ON shop.orders TO u"]


def test_roles_nest_and_default_roles_choose_what_is_active(store):
    run(store, "CREATE ROLE base")
    run(store, "CREATE ROLE analyst")
    run(store, "GRANT SELECT ON shop.orders TO base")
    run(store, "GRANT base TO analyst")
    run(store, "CREATE USER u DEFAULT ROLE analyst")
    user = store.users["u"]
    assert store.allowed(user, "SELECT", "shop", "orders")  # through analyst -> base
    run(store, "SET DEFAULT ROLE NONE TO u")
    assert not store.allowed(user, "SELECT", "shop", "orders")
    assert store.allowed(user, "SELECT", "shop", "orders", roles=["analyst"])
    with pytest.raises(ClickHouseError) as not_granted:
        store.active_roles(user, ["base"])
    assert not_granted.value.code == 512


def test_passwords_are_salted_hashes_and_state_survives_a_reload(store, tmp_path):
    run(store, "CREATE USER u IDENTIFIED WITH sha256_password BY 'it''s secret'")
    run(store, "GRANT SELECT ON shop.orders TO u WITH GRANT OPTION")
    assert store.check_password("u", "it's secret") is not None
    assert store.check_password("u", "its secret") is None
    assert "secret" not in (tmp_path / "access.json").read_text()
    assert (tmp_path / "access.json").stat().st_mode & 0o777 == 0o600
    again = AccessStore(tmp_path / "access.json", {"admin", "reader"}, {"reader"})
    assert again.check_password("u", "it's secret") is not None
    assert again.allowed(again.users["u"], "SELECT", "shop", "orders")
    assert dcl.render_grants(again.users["u"]) == ["GRANT SELECT ON shop.orders TO u WITH GRANT OPTION"]


@pytest.mark.parametrize("sql,code", [
    ("CREATE USER admin", 493),  # a built-in user
    ("GRANT SELECT ON *.* TO reader", 495),  # built-in users live in read-only storage
    ("GRANT SELECT ON *.* TO nobody", 511),
    ("DROP USER nobody", 192),
    ("GRANT SELECT(a) ON shop.t TO u", 48),
    ("CREATE USER v HOST IP '10.0.0.1'", 48),
    ("GRANT SELECT ON shop.t u", 62),
])
def test_refusals_carry_clickhouse_codes(store, sql, code):
    run(store, "CREATE USER u")
    with pytest.raises(ClickHouseError) as refused:
        run(store, sql)
    assert refused.value.code == code


def test_system_tables_are_answered_from_the_store(store):
    run(store, "CREATE USER u")
    run(store, "GRANT SELECT ON shop.orders TO u")
    sql, params = dcl.system_access_rewrite("SELECT * FROM system.grants WHERE 'system.grants' != ''", store)
    assert "'system.grants'" in sql and sql.count("format(JSONEachRow") == 1
    assert '"access_type": "SELECT"' in params["tallyhouse_access_grants"]
    sql, params = dcl.identity_rewrite("SELECT currentUser(), x.user()", "u", ["r"], [])
    assert sql == "SELECT {tallyhouse_identity_user:String}, x.user()"
    assert params == {"tallyhouse_identity_user": "u"}


def test_metadata_filters_follow_the_scope_of_grants():
    from warehouse.server.access import Grant
    from warehouse.server.visibility import metadata_filters

    assert metadata_filters([Grant("SELECT", None, None)]) == {}  # *.*: everything visible
    filters = metadata_filters([Grant("SELECT", "marts", None), Grant("INSERT", "raw", "orders")])
    assert "'marts'" in filters["system.databases"] and "'raw'" in filters["system.databases"]
    assert "'system'" in filters["system.databases"]
    # raw is visible as a database but only its granted table is listed.
    assert "'raw'" not in filters["system.tables"].split(" OR ")[0]
    assert "('raw', 'orders')" in filters["system.tables"]
    assert filters["system.columns"].startswith("`database` IN (")
    nothing = metadata_filters([])
    assert nothing["system.tables"] == "`database` IN ('INFORMATION_SCHEMA', 'information_schema', 'system')"

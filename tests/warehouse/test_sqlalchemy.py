"""SQLAlchemy's `clickhousedb://` dialect (clickhouse-connect's, the one Superset uses) on the endpoint.

Superset discovers schemas, tables and columns through the inspector and runs chart queries through
the engine, always as the read-only user; these are the calls it makes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

DATABASE = "w2_sqlalchemy"


@pytest.fixture(scope="module")
def engines(endpoint):
    import sqlalchemy

    from warehouse.settings import resolve

    writer = sqlalchemy.create_engine(resolve(environ={}, dotenv_paths=[]).sqlalchemy_url())
    reader = sqlalchemy.create_engine(resolve(readonly=True, environ={}, dotenv_paths=[]).sqlalchemy_url())
    with writer.begin() as conn:
        conn.execute(sqlalchemy.text(f"DROP DATABASE IF EXISTS {DATABASE}"))
        conn.execute(sqlalchemy.text(f"CREATE DATABASE {DATABASE}"))
        conn.execute(sqlalchemy.text(
            f"CREATE TABLE {DATABASE}.settlements (channel LowCardinality(String), settled_on Date,"
            " order_no String, amount Decimal(18, 2), fee Nullable(Float64))"
            " ENGINE = MergeTree ORDER BY (channel, settled_on)"
        ))
        conn.execute(sqlalchemy.text(
            f"INSERT INTO {DATABASE}.settlements VALUES"
            " ('amazon', '2025-03-01', 'A1', 100.50, 15.0), ('amazon', '2025-03-01', 'A2', 20.00, NULL),"
            " ('tmall', '2025-03-02', 'T1', 300.25, 9.5)"
        ))
        conn.execute(sqlalchemy.text(
            f"CREATE VIEW {DATABASE}.daily AS SELECT channel, settled_on, sum(amount) AS amount"
            f" FROM {DATABASE}.settlements GROUP BY channel, settled_on"
        ))
    yield writer, reader
    with writer.begin() as conn:
        conn.execute(sqlalchemy.text(f"DROP DATABASE IF EXISTS {DATABASE}"))
    writer.dispose()
    reader.dispose()


@pytest.mark.parametrize("who", ["writer", "reader"])
def test_inspect_schemas_tables_columns(engines, who: str) -> None:
    import sqlalchemy

    engine = engines[0] if who == "writer" else engines[1]
    inspector = sqlalchemy.inspect(engine)
    assert DATABASE in inspector.get_schema_names()
    assert "system" in inspector.get_schema_names()
    assert set(inspector.get_table_names(schema=DATABASE)) >= {"settlements"}
    assert "daily" in inspector.get_view_names(schema=DATABASE) or "daily" in inspector.get_table_names(
        schema=DATABASE
    )
    columns = {c["name"]: c for c in inspector.get_columns("settlements", schema=DATABASE)}
    assert list(columns) == ["channel", "settled_on", "order_no", "amount", "fee"]
    assert columns["fee"]["nullable"] is True
    assert columns["amount"]["nullable"] is False
    type_names = {name: str(col["type"]) for name, col in columns.items()}
    assert "Decimal" in type_names["amount"] and "Date" in type_names["settled_on"]


def test_query_with_bound_parameters(engines) -> None:
    import sqlalchemy

    _, reader = engines
    with reader.connect() as conn:
        rows = conn.execute(
            sqlalchemy.text(
                f"SELECT channel, settled_on, amount FROM {DATABASE}.daily"
                " WHERE settled_on >= :since ORDER BY channel"
            ),
            {"since": date(2025, 3, 1)},
        ).fetchall()
    assert [tuple(r) for r in rows] == [
        ("amazon", date(2025, 3, 1), Decimal("120.50")),
        ("tmall", date(2025, 3, 2), Decimal("300.25")),
    ]


def test_core_select_through_reflected_table(engines) -> None:
    """Superset's chart queries are SQLAlchemy Core over reflected tables."""
    import sqlalchemy

    _, reader = engines
    table = sqlalchemy.Table("settlements", sqlalchemy.MetaData(schema=DATABASE), autoload_with=reader)
    query = (
        sqlalchemy.select(table.c.channel, sqlalchemy.func.count().label("n"), sqlalchemy.func.sum(table.c.fee))
        .group_by(table.c.channel)
        .order_by(table.c.channel)
    )
    with reader.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query).fetchall()]
    assert rows == [("amazon", 2, 15.0), ("tmall", 1, 9.5)]


def test_readonly_user_refused_on_insert(engines) -> None:
    import sqlalchemy

    writer, reader = engines
    with reader.connect() as conn, pytest.raises(sqlalchemy.exc.DBAPIError) as refused:
        conn.execute(sqlalchemy.text(
            f"INSERT INTO {DATABASE}.settlements VALUES ('jd', '2025-03-03', 'J1', 1.00, NULL)"
        ))
    message = str(refused.value)
    assert "164" in message or "READONLY" in message, message
    with writer.connect() as conn:
        assert conn.execute(sqlalchemy.text(f"SELECT count() FROM {DATABASE}.settlements")).scalar() == 3


def test_a_granted_user_inspects_only_its_marts(endpoint, engines) -> None:
    """Superset's read-only connection may be a created user with SELECT on the marts only: the
    inspector must list what is granted and nothing else."""
    import uuid

    import sqlalchemy
    from sqlalchemy.engine import URL

    writer, _ = engines
    name, password, hidden = f"bi_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex, f"{DATABASE}_hidden"
    with writer.begin() as conn:
        conn.execute(sqlalchemy.text(f"CREATE DATABASE IF NOT EXISTS {hidden}"))
        conn.execute(sqlalchemy.text(f"CREATE TABLE {hidden}.secrets (k String) ENGINE = MergeTree ORDER BY k"))
        conn.execute(sqlalchemy.text(f"CREATE USER {name} IDENTIFIED BY '{password}'"))
        conn.execute(sqlalchemy.text(f"GRANT SELECT ON {DATABASE}.* TO {name}"))
    engine = sqlalchemy.create_engine(URL.create("clickhousedb", name, password, "127.0.0.1", endpoint.port, "default"))
    try:
        inspector = sqlalchemy.inspect(engine)
        schemas = inspector.get_schema_names()
        assert DATABASE in schemas and "system" in schemas and hidden not in schemas
        assert set(inspector.get_table_names(schema=DATABASE)) | set(inspector.get_view_names(schema=DATABASE)) \
            == {"settlements", "daily"}
        assert inspector.get_table_names(schema=hidden) == []
        columns = [c["name"] for c in inspector.get_columns("settlements", schema=DATABASE)]
        assert columns == ["channel", "settled_on", "order_no", "amount", "fee"]
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text(f"SELECT count() FROM {DATABASE}.settlements")).scalar() == 3
    finally:
        engine.dispose()
        with writer.begin() as conn:
            conn.execute(sqlalchemy.text(f"DROP USER IF EXISTS {name}"))
            conn.execute(sqlalchemy.text(f"DROP DATABASE IF EXISTS {hidden}"))

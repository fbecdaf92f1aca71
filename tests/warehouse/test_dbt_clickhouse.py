"""dbt-core + dbt-clickhouse build a tiny project against the embedded endpoint, three times.

Run 1 builds from scratch. Between runs the raw data changes the way real loads change it (a new
day, a corrected line, a line deleted upstream), and the row counts after run 2 tell whether each
materialization did its own job: the table is rebuilt in full, the view is live, `delete_insert`
replaces only changed orders, `insert_overwrite` replaces only the partitions it recomputed. Run 3
loads a bad correction and the custom generic test must fail on exactly that model.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

PROJECT = Path(__file__).parent / "dbt_tiny"
RAW = "tiny_raw"
MARTS = "tiny_marts"
READER = "tiny_reader"
READER_PASSWORD = "tiny-reader-pw-7f3a"  # a throwaway user of a throwaway endpoint
RAW_COLUMNS = ["order_no", "line_no", "order_date", "sku", "qty", "amount", "updated_at"]


def first_load() -> list[list]:
    """Days 1-3, orders n=1..4 each with n % 3 + 1 lines: 12 orders, 24 lines, SKUs SKU-1..SKU-3."""
    rows = []
    for day in (1, 2, 3):
        for n in range(1, 5):
            for line in range(1, n % 3 + 2):
                rows.append(
                    [f"D{day}-{n}", line, date(2025, 1, day), f"SKU-{line}", n,
                     Decimal(10 * n + line), datetime(2025, 1, day, 12)]
                )
    return rows


def order_amount_first_load(day: int, n: int) -> Decimal:
    return sum((Decimal(10 * n + line) for line in range(1, n % 3 + 2)), Decimal(0))


def day_amount_first_load(day: int) -> Decimal:
    return sum((order_amount_first_load(day, n) for n in range(1, 5)), Decimal(0))


def dbt(args: list[str], tmp: Path):
    from dbt.cli.main import dbtRunner

    return dbtRunner().invoke(
        [
            *args,
            "--project-dir", str(PROJECT),
            "--profiles-dir", str(PROJECT),
            "--target-path", str(tmp / "target"),
            "--log-path", str(tmp / "logs"),
            "--no-partial-parse",
            "--no-send-anonymous-usage-stats",
        ]
    )


def statuses(result) -> dict[str, str]:
    return {r.node.unique_id: str(r.status) for r in result.result.results}


@pytest.fixture
def dbt_env(endpoint, isolated_settings, monkeypatch: pytest.MonkeyPatch, ch_client):
    """The CLICKHOUSE_* environment `tallyhouse env` would print, and fresh raw/marts databases."""
    from warehouse.settings import resolve

    for key, value in resolve().environment().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DBT_TINY_SCHEMA", MARTS)
    monkeypatch.setenv("DBT_TINY_SOURCE_SCHEMA", RAW)
    monkeypatch.setenv("DBT_TINY_READER", READER)
    ch_client.command(f"DROP USER IF EXISTS {READER}")
    ch_client.command(f"CREATE USER {READER} IDENTIFIED BY '{READER_PASSWORD}'")
    for database in (RAW, MARTS):
        ch_client.command(f"DROP DATABASE IF EXISTS {database}")
    ch_client.command(f"CREATE DATABASE {RAW}")
    ch_client.command(
        f"CREATE TABLE {RAW}.order_lines (order_no String, line_no UInt8, order_date Date, sku String,"
        " qty UInt32, amount Decimal(18, 2), updated_at DateTime) ENGINE = MergeTree ORDER BY (order_no, line_no)"
    )
    yield ch_client
    for database in (RAW, MARTS):
        ch_client.command(f"DROP DATABASE IF EXISTS {database}")
    ch_client.command(f"DROP USER IF EXISTS {READER}")


def reader_sees(endpoint) -> tuple[int, int]:
    """(rows of sku_totals, error code reading orders) as the user dbt granted SELECT on sku_totals."""
    import clickhouse_connect
    from clickhouse_connect.driver.exceptions import DatabaseError

    reader = clickhouse_connect.get_client(
        host="127.0.0.1", port=endpoint.port, username=READER, password=READER_PASSWORD
    )
    rows = reader.command(f"SELECT count() FROM {MARTS}.sku_totals")
    with pytest.raises(DatabaseError) as refused:
        reader.command(f"SELECT count() FROM {MARTS}.orders")
    return rows, refused.value.code


def granted(client) -> list[tuple]:
    return client.query(
        "SELECT toString(access_type) AS privilege_type, COALESCE(user_name, role_name) AS grantee, table "
        "FROM system.grants WHERE database = {db:String} ORDER BY table", parameters={"db": MARTS}
    ).result_rows


def count(client, table: str) -> int:
    return client.command(f"SELECT count() FROM {MARTS}.{table}")


def test_dbt_build_twice_then_custom_test_fails(dbt_env, endpoint, tmp_path: Path) -> None:
    client = dbt_env
    client.insert(f"{RAW}.order_lines", first_load(), column_names=RAW_COLUMNS)

    # --- run 1: everything from scratch ---
    first = dbt(["build"], tmp_path)
    assert first.success, statuses(first)
    results = statuses(first)
    assert sum(1 for uid in results if uid.startswith("model.")) == 4
    assert sum(1 for uid in results if uid.startswith("test.")) == 10
    assert set(results.values()) == {"success", "pass"}
    assert count(client, "stg_order_lines") == 24
    assert count(client, "orders") == 12
    assert count(client, "daily_sales") == 3
    assert client.query(f"SELECT sku, lines FROM {MARTS}.sku_totals ORDER BY sku").result_rows == [
        ("SKU-1", 12), ("SKU-2", 9), ("SKU-3", 3)
    ]
    engines = dict(client.query(
        "SELECT name, engine FROM system.tables WHERE database = {db:String}", parameters={"db": MARTS}
    ).result_rows)
    assert engines == {"stg_order_lines": "View", "sku_totals": "MergeTree", "orders": "MergeTree",
                       "daily_sales": "MergeTree"}
    # grants: {select: [reader]} on sku_totals only, enforced by the endpoint
    assert granted(client) == [("SELECT", READER, "sku_totals")]
    assert reader_sees(endpoint) == (3, 497)

    # --- change the raw data like real loads do ---
    # a correction to D3-1 line 1, a new day 4 (D4-1 with 2 lines, D4-2 with 3), and D1-1 deleted upstream.
    later = datetime(2025, 1, 5, 9)
    changes = [["D3-1", 1, date(2025, 1, 3), "SKU-1", 5, Decimal(100), later]]
    changes += [[f"D4-{n}", line, date(2025, 1, 4), f"SKU-{line}", n, Decimal(10 * n + line), datetime(2025, 1, 4, 12)]
                for n in (1, 2) for line in range(1, n + 2)]
    client.insert(f"{RAW}.order_lines", changes, column_names=RAW_COLUMNS)
    client.command(f"DELETE FROM {RAW}.order_lines WHERE order_no = 'D1-1'")

    # --- run 2: incremental ---
    second = dbt(["build"], tmp_path)
    assert second.success, statuses(second)
    assert set(statuses(second).values()) == {"success", "pass"}
    # view: live over raw; 24 - 2 (D1-1) + 5 (day 4) lines, the correction replaces a version
    assert count(client, "stg_order_lines") == 27
    # table: rebuilt in full, so it sees the deletion
    assert client.command(f"SELECT sum(lines) FROM {MARTS}.sku_totals") == 27
    # delete_insert: D1-1 untouched (not changed since run 1), D3-1 replaced once, day 4 added
    assert count(client, "orders") == 14
    d31 = client.query(f"SELECT count(), sum(amount), sum(units) FROM {MARTS}.orders WHERE order_no = 'D3-1'")
    assert d31.first_row == (1, Decimal(100) + Decimal(12), 5 + 1)
    assert client.command(f"SELECT count() FROM {MARTS}.orders WHERE order_no = 'D1-1'") == 1
    # insert_overwrite: only partitions from the last loaded day (3) on are recomputed
    daily = dict(client.query(f"SELECT order_date, amount FROM {MARTS}.daily_sales ORDER BY order_date").result_rows)
    assert daily == {
        date(2025, 1, 1): day_amount_first_load(1),  # stale by design: its partition was not recomputed
        date(2025, 1, 2): day_amount_first_load(2),
        date(2025, 1, 3): day_amount_first_load(3) - 11 + 100,
        date(2025, 1, 4): Decimal(11 + 12 + 21 + 22 + 23),
    }
    partitions = client.command(
        "SELECT uniqExact(partition) FROM system.parts WHERE active AND database = {db:String}"
        " AND table = 'daily_sales'", parameters={"db": MARTS}
    )
    assert partitions == 4
    # the rebuilt sku_totals keeps exactly its one grant (dbt read system.grants and did not duplicate it)
    assert granted(client) == [("SELECT", READER, "sku_totals")]
    assert reader_sees(endpoint) == (3, 497)

    # --- run 3: a bad correction makes order D4-1 worth nothing; the custom generic test catches it ---
    zero = [["D4-1", line, date(2025, 1, 4), f"SKU-{line}", 1, Decimal(0), datetime(2025, 1, 6)] for line in (1, 2)]
    client.insert(f"{RAW}.order_lines", zero, column_names=RAW_COLUMNS)
    third = dbt(["build"], tmp_path)
    assert not third.success
    failed = sorted(uid for uid, status in statuses(third).items() if status == "fail")
    assert len(failed) == 1 and failed[0].startswith("test.dbt_tiny.positive_orders_amount."), failed
    assert client.query(f"SELECT amount FROM {MARTS}.orders WHERE order_no = 'D4-1'").first_row == (Decimal(0),)

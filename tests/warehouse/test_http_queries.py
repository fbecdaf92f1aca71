"""clickhouse-connect against the embedded endpoint: commands, queries, inserts, parameters, errors.

Every test goes through a real socket to the real server process; values asserted are what the data
implies, computed independently in Python.
"""

from __future__ import annotations

import json
import urllib.request
import uuid

import clickhouse_connect
import pandas as pd
import pyarrow as pa
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from warehouse import embedded


def make_client(endpoint, compress=True, **kwargs):
    creds = embedded.credentials()
    return clickhouse_connect.get_client(
        host="127.0.0.1", port=endpoint.port, username=creds.user, password=creds.password, compress=compress, **kwargs
    )


@pytest.fixture(params=[True, False, "lz4", "zstd", "gzip"], ids=lambda p: f"compress={p}")
def client(request, endpoint):
    c = make_client(endpoint, compress=request.param)
    yield c
    c.close()


@pytest.fixture
def table(ch_client):
    name = f"t_{uuid.uuid4().hex[:8]}"
    ch_client.command(
        f"CREATE TABLE {name} (id UInt32, sku String, qty Int32, price Decimal(12, 2), day Date) "
        "ENGINE = MergeTree ORDER BY id"
    )
    yield name
    ch_client.command(f"DROP TABLE IF EXISTS {name}")


def test_command_returns_scalars_and_rows(client):
    assert client.command("SELECT 41 + 1") == 42
    assert client.command("SELECT 'a', 'b'") == ["a", "b"]
    assert client.server_version.startswith("26.")


def test_insert_lists_then_query(client, table):
    rows = [[i, f"SKU-{i % 7}", i * 3 - 50, i / 4, pd.Timestamp("2026-01-01").date()] for i in range(1, 2001)]
    client.insert(table, rows, column_names=["id", "sku", "qty", "price", "day"])
    result = client.query(f"SELECT count(), sum(qty), sum(price), uniqExact(sku) FROM {table}")
    count, qty, price, skus = result.result_rows[0]
    assert count == 2000
    assert qty == sum(i * 3 - 50 for i in range(1, 2001))
    assert float(price) == pytest.approx(sum(i / 4 for i in range(1, 2001)))
    assert skus == 7
    assert result.summary["read_rows"] == "2000"


def test_insert_pandas_and_query_df(client, table):
    frame = pd.DataFrame(
        {
            "id": range(500),
            "sku": [f"S{i % 3}" for i in range(500)],
            "qty": [(-1) ** i * i for i in range(500)],
            "price": [1.25] * 500,
            "day": pd.to_datetime(["2026-03-01"] * 500),
        }
    )
    client.insert_df(table, frame)
    out = client.query_df(f"SELECT sku, sum(qty) AS qty FROM {table} GROUP BY sku ORDER BY sku")
    expected = frame.groupby("sku")["qty"].sum()
    assert list(out["sku"]) == list(expected.index)
    assert list(out["qty"]) == list(expected.values)


def test_insert_arrow_and_query_arrow(client, table):
    n = 10_000
    data = pa.table(
        {
            "id": pa.array(range(n), pa.uint32()),
            "sku": pa.array([f"A{i % 10}" for i in range(n)]),
            "qty": pa.array([i % 13 for i in range(n)], pa.int32()),
            "price": pa.array([i % 100 for i in range(n)], pa.decimal128(12, 2)),
            "day": pa.array([19000 + i % 30 for i in range(n)], pa.date32()),
        }
    )
    client.insert_arrow(table, data)
    back = client.query_arrow(f"SELECT * FROM {table} ORDER BY id")
    assert back.num_rows == n
    assert back.column("qty").to_pylist() == data.column("qty").to_pylist()
    with client.query_arrow_stream(f"SELECT id FROM {table} ORDER BY id") as stream:
        total = sum(batch.num_rows for batch in stream)
    assert total == n


def test_server_side_parameters(client):
    result = client.query(
        "SELECT {a:UInt32} * 2, {s:String}, {arr:Array(Int8)}", parameters={"a": 21, "s": "it's ok", "arr": [1, 2]}
    )
    assert result.result_rows == [(42, "it's ok", [1, 2])]


def test_streamed_large_result(client):
    n = 3_000_000
    total = 0
    rows = 0
    with client.query_row_block_stream("SELECT number FROM numbers({n:UInt64})", parameters={"n": n}) as stream:
        for block in stream:
            rows += len(block)
            total += sum(row[0] for row in block)
    assert rows == n
    assert total == n * (n - 1) // 2


def test_error_maps_to_database_error_with_code(client):
    with pytest.raises(DatabaseError) as bad_sql:
        client.query("SELEC 1")
    assert bad_sql.value.code == 62
    with pytest.raises(DatabaseError) as missing:
        client.query("SELECT * FROM no_such_table_anywhere")
    assert missing.value.code == 60


def test_error_after_streaming_started_is_raised(client):
    with pytest.raises(DatabaseError) as failed, client.query_row_block_stream(
        "SELECT number, throwIf(number = 2500000, 'late failure') FROM numbers(3000000)",
        settings={"max_block_size": 10000},
    ) as stream:
        for _ in stream:
            pass
    assert failed.value.code == 395


def _raw(endpoint, query: str, method: str = "POST", body: bytes | None = None, **params):
    creds = embedded.credentials()
    url = f"http://127.0.0.1:{endpoint.port}/?" + urllib.parse.urlencode({"query": query, **params})
    request = urllib.request.Request(url, data=body if method == "POST" else None, method=method)
    request.add_header("X-ClickHouse-User", creds.user)
    request.add_header("X-ClickHouse-Key", creds.password)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_headers_like_clickhouse(endpoint, ch_client, table):
    status, headers, body = _raw(endpoint, "SELECT 1 FORMAT JSONEachRow", query_id="q-test-1")
    assert status == 200 and body == b'{"1":1}\n'
    assert headers["X-ClickHouse-Format"] == "JSONEachRow"
    assert headers["X-ClickHouse-Query-Id"] == "q-test-1"
    assert headers["X-ClickHouse-Timezone"]
    assert json.loads(headers["X-ClickHouse-Summary"])["result_rows"] == "1"
    status, headers, _ = _raw(endpoint, f"ALTER TABLE {table} ADD COLUMN note String")
    assert status == 200 and "X-ClickHouse-Format" not in headers
    status, headers, body = _raw(endpoint, f"INSERT INTO {table} (id, sku) FORMAT CSV", body=b"1,\"a;b\"\n2,c;d\n")
    assert status == 200
    assert json.loads(headers["X-ClickHouse-Summary"])["written_rows"] == "2"
    assert ch_client.query(f"SELECT sku FROM {table} ORDER BY id").result_columns[0] == ["a;b", "c;d"]


def test_error_response_shape(endpoint):
    status, headers, body = _raw(endpoint, "SELECT * FROM missing_table_xyz")
    assert status == 404
    assert headers["X-ClickHouse-Exception-Code"] == "60"
    assert body.startswith(b"Code: 60. DB::Exception:") and b"(UNKNOWN_TABLE)" in body


def test_get_requests_are_read_only(endpoint, table):
    status, headers, body = _raw(endpoint, f"INSERT INTO {table} (id) VALUES (1)", method="GET")
    assert status == 500 and headers["X-ClickHouse-Exception-Code"] == "164"


def test_settings_and_database_apply_per_request_only(client, endpoint):
    assert client.command("SELECT getSetting('max_threads')", settings={"max_threads": 1}) == 1
    assert client.command("SELECT getSetting('max_threads')") != 1
    assert _raw(endpoint, "SELECT currentDatabase()", database="system")[2] == b"system\n"
    assert _raw(endpoint, "SELECT currentDatabase()")[2] == b"default\n"


def test_ping(endpoint):
    with urllib.request.urlopen(f"http://127.0.0.1:{endpoint.port}/ping", timeout=5) as response:
        assert response.read() == b"Ok.\n"


def test_non_utf8_bytes_in_a_query(endpoint):
    status, _, body = _raw(endpoint, "", body=b"SELECT hex('\xff\xfeA'), length($h$\xc3(\xff$h$)")
    assert status == 200
    assert body == b"FFFE41\t3\n"


def test_external_data_table(client):
    from clickhouse_connect.driver.external import ExternalData

    ext = ExternalData(file_name="lines.csv", data=b"1,a\n2,b\n40,c\n", fmt="CSV", structure=["id UInt32", "tag String"])
    result = client.query("SELECT sum(id), groupArray(tag) FROM lines", external_data=ext)
    assert result.result_rows == [(43, ["a", "b", "c"])]


def test_form_encoded_query_and_parameters(endpoint):
    form_client = make_client(endpoint, form_encode_query_params=True)
    result = form_client.query("SELECT {a:UInt8} + {b:UInt8}, {s:String}", parameters={"a": 1, "b": 2, "s": "x;y"})
    assert result.result_rows == [(3, "x;y")]


def test_values_insert_with_server_side_parameters(client, table):
    client.command(f"INSERT INTO {table} (id, sku) VALUES ({{id:UInt32}}, {{sku:String}})", parameters={"id": 7, "sku": "P"})
    assert client.query(f"SELECT id, sku FROM {table}").result_rows == [(7, "P")]


def test_query_log_records_queries(client):
    client.command("SELECT 'query-log-probe-7f3a'")
    client.command("SYSTEM FLUSH LOGS")
    count = client.command(
        "SELECT count() FROM system.query_log WHERE query LIKE '%query-log-probe-7f3a%' AND type = 'QueryFinish'"
    )
    assert count >= 1


def test_wait_end_of_query_reports_real_summary(endpoint):
    status, headers, body = _raw(endpoint, "SELECT number FROM numbers(300000) FORMAT TSV", wait_end_of_query="1")
    assert status == 200
    assert len(body.splitlines()) == 300000
    assert json.loads(headers["X-ClickHouse-Summary"])["read_rows"] == "300000"


def test_insert_arrow_with_many_record_batches(client, table):
    pieces = [
        pa.table({"id": pa.array([i], pa.uint32()), "qty": pa.array([i % 5], pa.int32())}) for i in range(3000)
    ]
    data = pa.concat_tables(pieces)
    assert data.column("id").num_chunks == 3000
    client.insert_arrow(table, data)
    assert client.query(f"SELECT count(), sum(qty) FROM {table}").result_rows == [(3000, sum(i % 5 for i in range(3000)))]


def test_show_create_of_a_system_table(endpoint, ch_client):
    """chDB keeps no metadata for system tables; the endpoint renders their definition as a server does."""
    result = ch_client.query("SHOW CREATE TABLE system.tables")
    assert result.column_names == ("statement",)
    text = result.first_row[0]
    columns = ch_client.query("SELECT name, type FROM system.columns WHERE database = 'system' AND table = 'tables' "
                              "ORDER BY position").result_rows
    expected = ",\n".join(f"    `{name}` {type_}" for name, type_ in columns)
    assert text.startswith(f"CREATE TABLE system.tables\n(\n{expected}\n)\nENGINE = SystemTables")
    creds = embedded.credentials()
    in_system = clickhouse_connect.get_client(host="127.0.0.1", port=endpoint.port, username=creds.user,
                                              password=creds.password, database="system")
    assert in_system.command("SHOW CREATE one FORMAT TabSeparatedRaw").startswith("CREATE TABLE system.one\n(\n")
    in_system.close()
    with pytest.raises(DatabaseError) as missing:
        ch_client.query("SHOW CREATE TABLE system.no_such_table")
    assert missing.value.code == 60

"""Arrow inserts pulled by the engine as record batches: statement recognition and end-to-end semantics."""

from __future__ import annotations

import io
import urllib.request
import uuid

import pyarrow as pa
import pytest

from warehouse import embedded
from warehouse.server import arrowinsert


@pytest.mark.parametrize(
    "statement,target,columns",
    [
        ("INSERT INTO t (a, b)", "t", ["a", "b"]),
        ("insert into table `db`.`my t` (`x y`, \"z\")", "`db`.`my t`", ["x y", "z"]),
        ("INSERT INTO db.t (a);", "db.t", ["a"]),
    ],
)
def test_plain_inserts_are_recognised(statement, target, columns):
    plain = arrowinsert.plain_insert(statement)
    assert plain is not None
    assert (plain.target, plain.columns) == (target, columns)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO t",  # no column list: the Arrow format matches all table columns by name
        "INSERT INTO t (a, b) SETTINGS async_insert = 1",
        "INSERT INTO FUNCTION file('x.arrow') (a)",
        "INSERT INTO t (a + 1)",
        "INSERT INTO t (a,)",
        "SELECT 1",
    ],
)
def test_other_inserts_keep_the_engine_parser(statement):
    assert arrowinsert.plain_insert(statement) is None


def _stream(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=700)
    return sink.getvalue()


def test_stream_reader_decodes_a_body_cut_anywhere():
    table = pa.table({"id": list(range(5000)), "tag": [f"t{i % 11}" for i in range(5000)]})
    body = _stream(table)
    pieces = (body[i: i + 333] for i in range(0, len(body), 333))
    assert arrowinsert.open_stream(pieces).read_all().equals(table)


def _post(endpoint, query: str, body: bytes) -> tuple[int, bytes]:
    creds = embedded.credentials()
    request = urllib.request.Request(
        f"http://127.0.0.1:{endpoint.port}/?query={urllib.parse.quote(query)}",
        data=body,
        headers={"X-ClickHouse-User": creds.user, "X-ClickHouse-Key": creds.password},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_columns_match_by_name_and_missing_ones_take_defaults(endpoint, ch_client):
    name = f"ai_{uuid.uuid4().hex[:8]}"
    ch_client.command(
        f"CREATE TABLE {name} (id UInt32, qty Int32 DEFAULT 7, note String) ENGINE = MergeTree ORDER BY id"
    )
    try:
        # Data columns in another order than the statement's list, and `qty` listed but absent.
        data = pa.table({"note": [f"n{i}" for i in range(1000)], "id": pa.array(range(1000), pa.uint32())})
        status, body = _post(endpoint, f"INSERT INTO {name} (id, qty, note) FORMAT ArrowStream", _stream(data))
        assert status == 200, body
        rows = ch_client.query(f"SELECT count(), sum(id), sum(qty), countIf(note = concat('n', toString(id))) "
                               f"FROM {name}").result_rows
        assert rows == [(1000, sum(range(1000)), 7 * 1000, 1000)]
        ch_client.command("SYSTEM FLUSH LOGS")
        pulled = ch_client.command(
            "SELECT count() FROM system.query_log WHERE type = 'QueryFinish' AND query LIKE {q:String}",
            parameters={"q": f"INSERT INTO {name} (%) SELECT % FROM Python(%"},
        )
        assert pulled == 1  # the batch path ran, not the engine's Arrow parser
    finally:
        ch_client.command(f"DROP TABLE IF EXISTS {name}")


def test_a_broken_stream_is_an_error_and_inserts_nothing(endpoint, ch_client):
    name = f"ai_{uuid.uuid4().hex[:8]}"
    ch_client.command(f"CREATE TABLE {name} (id UInt32) ENGINE = MergeTree ORDER BY id")
    try:
        body = _stream(pa.table({"id": pa.array(range(10_000), pa.uint32())}))
        status, text = _post(endpoint, f"INSERT INTO {name} (id) FORMAT ArrowStream", body[: len(body) // 2])
        assert status >= 400 and b"Code:" in text
        assert ch_client.command(f"SELECT count() FROM {name}") == 0
        assert ch_client.command("SELECT 1") == 1  # the endpoint keeps serving
    finally:
        ch_client.command(f"DROP TABLE IF EXISTS {name}")

"""warehouse.streaming_insert: Arrow inserts streamed slice by slice, with and without compression."""

from __future__ import annotations

import uuid
from decimal import Decimal

import clickhouse_connect
import pyarrow as pa
import pytest

from warehouse import embedded, streaming_insert


def _orders(rows: int) -> pa.Table:
    return pa.table({
        "id": pa.array(range(rows), pa.uint32()),
        "sku": [f"SKU-{i % 97}" for i in range(rows)],
        "price": pa.array([Decimal(i % 500) / 100 for i in range(rows)], pa.decimal128(18, 2)),
    })


def test_the_body_is_one_arrow_stream_with_a_message_per_slice():
    table = _orders(10_000)
    pieces = list(streaming_insert.arrow_stream_chunks(table, "lz4", slice_rows=3_000))
    # Four slices of rows (3000, 3000, 3000, 1000), each sent as its own piece, then the end marker.
    assert len(pieces) == 5
    assert pa.ipc.open_stream(b"".join(pieces)).read_all().equals(table)


@pytest.mark.parametrize("compress", [True, False])
def test_streamed_insert_lands_every_row(endpoint, ch_client, compress):
    creds = embedded.credentials()
    client = clickhouse_connect.get_client(host="127.0.0.1", port=endpoint.port, username=creds.user,
                                           password=creds.password, compress=compress)
    name = f"si_{uuid.uuid4().hex[:8]}"
    ch_client.command(f"CREATE TABLE {name} (id UInt32, sku String, price Decimal(18, 2), "
                      "note String DEFAULT 'none') ENGINE = MergeTree ORDER BY id")
    try:
        table = _orders(25_000)
        summary = streaming_insert.insert_arrow(client, name, table, database="default", slice_rows=4_096)
        assert summary.written_rows == 25_000
        reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=10_000))
        streaming_insert.insert_arrow(client, f"default.{name}", reader, slice_rows=4_096)
        rows = ch_client.query(
            f"SELECT count(), sum(id), sum(price), uniqExact(sku), countIf(note = 'none') FROM {name}"
        ).result_rows
        expected_price = sum(Decimal(i % 500) / 100 for i in range(25_000))
        assert rows == [(50_000, 2 * sum(range(25_000)), 2 * expected_price, 97, 50_000)]
    finally:
        ch_client.command(f"DROP TABLE IF EXISTS {name}")
        client.close()


def test_an_empty_table_inserts_nothing_without_error(ch_client):
    name = f"si_{uuid.uuid4().hex[:8]}"
    ch_client.command(f"CREATE TABLE {name} (id UInt32, sku String, price Decimal(18, 2)) ENGINE = MergeTree ORDER BY id")
    try:
        streaming_insert.insert_arrow(ch_client, name, _orders(0))
        assert ch_client.command(f"SELECT count() FROM {name}") == 0
    finally:
        ch_client.command(f"DROP TABLE IF EXISTS {name}")

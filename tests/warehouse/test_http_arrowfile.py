"""Arrow file inserts are re-framed as Arrow streams; the stream must carry exactly the same data."""

from __future__ import annotations

import io

import pyarrow as pa
import pytest

from warehouse.server import arrowfile


def _file_bytes(table: pa.Table, chunk: int) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=chunk)
    return sink.getvalue()


@pytest.mark.parametrize("rows,chunk,piece", [(10_000, 1000, 4096), (30_000, 1, 1 << 20), (5, 5, 1)])
def test_file_body_becomes_an_equivalent_stream(rows, chunk, piece):
    # chunk=1 gives 30,000 batches, a footer larger than the held-back tail.
    table = pa.table({"id": list(range(rows)), "tag": [f"t{i % 7}" for i in range(rows)]})
    body = _file_bytes(table, chunk)
    chunks, fmt = arrowfile.as_stream(body[i: i + piece] for i in range(0, len(body), piece))
    assert fmt == "ArrowStream"
    assert pa.ipc.open_stream(b"".join(chunks)).read_all().equals(table)


def test_non_file_body_passes_through_unchanged():
    sink = io.BytesIO()
    table = pa.table({"x": [1, 2, 3]})
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    body = sink.getvalue()
    chunks, fmt = arrowfile.as_stream(iter([body[:3], body[3:]]))
    assert fmt == "Arrow"
    assert b"".join(chunks) == body

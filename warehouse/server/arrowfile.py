"""Feed Arrow IPC *file* inserts to the engine as an Arrow *stream*.

clickhouse-connect's insert_arrow sends `FORMAT Arrow` (the file format). The engine buffers a whole
Arrow file before parsing it (the footer is at the end), while ArrowStream is parsed as it arrives; a
file is the stream framed by a leading magic and a trailing footer, so dropping those two lets the
engine overlap parsing with receiving. Measured in-process on 5M order lines: 0.96 s as Arrow, 0.64 s
as ArrowStream.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator

_MAGIC = b"ARROW1"
_LEAD = 8  # magic plus padding to 8 bytes
_HOLD = 256 * 1024  # trailing bytes held back so the footer can be cut off at the end


def as_stream(chunks: Iterable[bytes]) -> tuple[Iterator[bytes], str]:
    """(chunks, format): the body re-framed as ArrowStream if it is an Arrow file, else unchanged."""
    source = iter(chunks)
    head = b""
    for chunk in source:
        head += chunk
        if len(head) >= _LEAD:
            break
    if not head.startswith(_MAGIC) or len(head) < _LEAD:
        return _chain(head, source), "Arrow"
    return _strip(head[_LEAD:], source), "ArrowStream"


def _chain(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if head:
        yield head
    yield from rest


def _strip(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    tail = first
    for chunk in rest:
        if len(tail) > _HOLD:
            yield tail
            tail = chunk
        else:
            tail += chunk
    # Footer layout: <footer flatbuffer> <int32 footer length> "ARROW1".
    if len(tail) >= 10 and tail.endswith(_MAGIC):
        (footer_len,) = struct.unpack("<i", tail[-10:-6])
        if 0 <= footer_len <= len(tail) - 10:
            tail = tail[: len(tail) - 10 - footer_len]
    # A footer longer than what was held back stays after the end-of-stream marker, which the
    # stream reader ignores.
    if tail:
        yield tail

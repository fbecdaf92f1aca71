"""Reading an HTTP request the way clickhouse-server does: URL parameters, form fields, body.

Splits URL/form parameters into transport parameters, query parameters (`param_*`), external-table
descriptions and ClickHouse settings, so that only real settings reach the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import BinaryIO

# Parameters that steer the HTTP exchange and are not ClickHouse settings.
TRANSPORT_PARAMS = {
    "query", "database", "default_format", "query_id", "session_id", "session_timeout", "session_check",
    "compress", "decompress", "client_protocol_version", "wait_end_of_query", "user", "password",
    "quota_key", "buffer_size", "stacktrace", "role", "enable_http_compression", "http_zlib_compression_level",
    "send_progress_in_http_headers", "http_headers_progress_interval_ms",
    "cancel_http_readonly_queries_on_client_close", "http_response_buffer_size", "http_wait_end_of_query",
    "http_native_compression_disable_checksumming_on_decompress", "add_http_cors_header",
    "http_write_exception_in_output_format", "http_response_headers", "output_format_parallel_formatting",
}


@dataclass
class ExternalTable:
    name: str
    structure: str
    format: str
    data: bytes


@dataclass
class RequestParams:
    transport: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    query_params: dict[str, str] = field(default_factory=dict)
    external: list[ExternalTable] = field(default_factory=list)


def classify_params(pairs: list[tuple[str, str]], external_names: set[str]) -> RequestParams:
    out = RequestParams()
    for key, value in pairs:
        if key.startswith("param_"):
            out.query_params[key[6:]] = value
        elif key in TRANSPORT_PARAMS:
            out.transport[key] = value
        elif any(key == f"{name}_{suffix}" for name in external_names for suffix in ("structure", "types", "format")):
            continue
        else:
            out.settings[key] = value
    return out


def external_tables(pairs: list[tuple[str, str]], files: dict[str, bytes]) -> list[ExternalTable]:
    params = dict(pairs)
    tables = []
    for name, data in files.items():
        structure = params.get(f"{name}_structure")
        if structure is None and f"{name}_types" in params:
            types = params[f"{name}_types"].split(",")
            structure = ", ".join(f"_{i + 1} {t.strip()}" for i, t in enumerate(types))
        tables.append(ExternalTable(name, structure or "", params.get(f"{name}_format", "TabSeparated"), data))
    return tables


def parse_multipart(content_type: str, body: bytes) -> tuple[list[tuple[str, str]], dict[str, bytes]]:
    """Form fields (query, param_*) and file parts (external tables) of a multipart/form-data body."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: list[tuple[str, str]] = []
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = payload
        else:
            fields.append((name, payload.decode("utf-8", "surrogateescape")))
    return fields, files


def body_chunks(rfile: BinaryIO, headers, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The raw request body, Content-Length or chunked transfer encoding, without buffering it whole."""
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        while True:
            line = rfile.readline(65537)
            if not line:
                return
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers
                    trailer = rfile.readline(65537)
                    if trailer in (b"\r\n", b"\n", b""):
                        return
            remaining = size
            while remaining > 0:
                piece = rfile.read(min(remaining, chunk_size))
                if not piece:
                    return
                remaining -= len(piece)
                yield piece
            rfile.readline(3)
    length = int(headers.get("Content-Length") or 0)
    while length > 0:
        piece = rfile.read(min(length, chunk_size))
        if not piece:
            return
        length -= len(piece)
        yield piece


def prefetch(chunks: Iterator[bytes], depth: int = 4) -> Iterator[bytes]:
    """Read (and decompress) the body in a helper thread while the engine parses earlier chunks.

    Receiving, decoding and parsing then overlap instead of taking turns; the bounded queue keeps at
    most `depth` chunks in memory.
    """
    import queue
    import threading

    box: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def pump() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        box.put(chunk, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(done)
        except BaseException as exc:  # handed to the consumer, raised in its thread
            box.put(exc)

    thread = threading.Thread(target=pump, name="body-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = box.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()

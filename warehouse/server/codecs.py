"""HTTP content codings the ClickHouse clients negotiate: gzip, deflate, lz4 (frame), zstd, br.

Both directions work chunk by chunk so that neither a large insert nor a large result is ever held
whole in memory.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Protocol

import lz4.frame
import zstandard

from .errors import CANNOT_DECOMPRESS, UNKNOWN_COMPRESSION_METHOD, ClickHouseError

try:  # brotli is optional, as in ClickHouse builds without it.
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None


class Compressor(Protocol):
    def compress(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...


class _Lz4Compressor:
    def __init__(self) -> None:
        self._inner = lz4.frame.LZ4FrameCompressor(auto_flush=True)
        self._started = False

    def compress(self, data: bytes) -> bytes:
        head = b""
        if not self._started:
            head = self._inner.begin()
            self._started = True
        return head + self._inner.compress(data) if data else head

    def flush(self) -> bytes:
        head = b"" if self._started else self._inner.begin()
        self._started = True
        return head + self._inner.flush()


class _ZstdCompressor:
    def __init__(self) -> None:
        self._inner = zstandard.ZstdCompressor(level=1).compressobj()

    def compress(self, data: bytes) -> bytes:
        return self._inner.compress(data) + self._inner.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)

    def flush(self) -> bytes:
        return self._inner.flush()


class _ZlibCompressor:
    def __init__(self, wbits: int) -> None:
        self._inner = zlib.compressobj(3, zlib.DEFLATED, wbits)

    def compress(self, data: bytes) -> bytes:
        return self._inner.compress(data) + self._inner.flush(zlib.Z_SYNC_FLUSH)

    def flush(self) -> bytes:
        return self._inner.flush()


class _BrotliCompressor:
    def __init__(self) -> None:
        self._inner = brotli.Compressor(quality=3)

    def compress(self, data: bytes) -> bytes:
        return self._inner.process(data) + self._inner.flush()

    def flush(self) -> bytes:
        return self._inner.finish()


def _supported() -> list[str]:
    names = ["lz4", "zstd", "gzip", "deflate"]
    if brotli is not None:
        names.insert(2, "br")
    return names


SUPPORTED = _supported()


def choose_encoding(accept_encoding: str | None) -> str | None:
    """The first coding in the client's Accept-Encoding list that we can produce."""
    if not accept_encoding:
        return None
    for item in accept_encoding.split(","):
        name = item.split(";")[0].strip().lower()
        if name in SUPPORTED:
            return name
    return None


def compressor(encoding: str) -> Compressor:
    if encoding == "lz4":
        return _Lz4Compressor()
    if encoding == "zstd":
        return _ZstdCompressor()
    if encoding == "gzip":
        return _ZlibCompressor(31)
    if encoding == "deflate":
        return _ZlibCompressor(15)
    if encoding == "br" and brotli is not None:
        return _BrotliCompressor()
    raise ClickHouseError(UNKNOWN_COMPRESSION_METHOD, f"Unknown HTTP compression method: {encoding}")


def decompress_stream(chunks: Iterable[bytes], encoding: str | None) -> Iterator[bytes]:
    """Decode a request body given its Content-Encoding, one chunk at a time."""
    encoding = (encoding or "").strip().lower()
    if encoding in ("", "identity"):
        yield from chunks
        return
    try:
        if encoding == "lz4":
            lz4_decoder = lz4.frame.LZ4FrameDecompressor()
            for chunk in chunks:
                while chunk:
                    out = lz4_decoder.decompress(chunk)
                    if out:
                        yield out
                    if lz4_decoder.eof:
                        chunk = lz4_decoder.unused_data
                        lz4_decoder = lz4.frame.LZ4FrameDecompressor()
                    else:
                        chunk = b""
            return
        if encoding == "zstd":
            zstd_decoder = zstandard.ZstdDecompressor().decompressobj()
            for chunk in chunks:
                while chunk:
                    out = zstd_decoder.decompress(chunk)
                    if out:
                        yield out
                    if zstd_decoder.eof:
                        chunk = zstd_decoder.unused_data
                        zstd_decoder = zstandard.ZstdDecompressor().decompressobj()
                    else:
                        chunk = b""
            return
        if encoding in ("gzip", "deflate", "x-gzip"):
            wbits = 47 if encoding != "deflate" else 15
            zdecoder = zlib.decompressobj(wbits)
            for chunk in chunks:
                out = zdecoder.decompress(chunk)
                if out:
                    yield out
            tail = zdecoder.flush()
            if tail:
                yield tail
            return
        if encoding == "br" and brotli is not None:
            bdecoder = brotli.Decompressor()
            for chunk in chunks:
                out = bdecoder.process(chunk)
                if out:
                    yield out
            return
    except ClickHouseError:
        raise
    except (zlib.error, RuntimeError, zstandard.ZstdError, ValueError) as exc:
        raise ClickHouseError(CANNOT_DECOMPRESS, f"Cannot decompress request body ({encoding}): {exc}") from exc
    raise ClickHouseError(UNKNOWN_COMPRESSION_METHOD, f"Unknown HTTP compression method: {encoding}")

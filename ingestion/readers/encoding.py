"""Text decoding with the encodings sellers' files actually come in: UTF-8 (with or without BOM) and GBK.

Order matters: a BOM is proof; strict UTF-8 almost never decodes non-UTF-8 text by accident; GB18030 is
a superset of GBK and GB2312, so it is the single fallback for Chinese exports (Excel's "CSV" save on a
Chinese Windows). A mapping may declare the encoding when it is known, which skips guessing.
"""

from __future__ import annotations

import codecs

import polars as pl

from ingestion.readers.base import UnreadableFile

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
FALLBACKS: tuple[str, ...] = ("utf-8", "gb18030")
_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030"}


def _named(data: bytes, declared: str | None) -> str | None:
    """The encoding a BOM proves or the mapping declares; None when it is to be guessed (FALLBACKS)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if declared and declared.lower() != "auto":
        return _ALIASES.get(declared.lower(), declared)
    return None


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding used). Raises UnreadableFile naming the encodings tried."""
    name = _named(data, declared)
    if name is not None:
        return _strict(data, name, tried=[name])
    tried: list[str] = []
    for name in FALLBACKS:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            tried.append(name)
            continue
        if "\x00" in text and name != "utf-8":
            # GB18030 decodes many binary blobs; NUL bytes say it is not text at all.
            tried.append(name)
            continue
        return text, name
    raise UnreadableFile(f"cannot decode the file as text (tried {', '.join(tried)})")


def _strict(data: bytes, name: str, *, tried: list[str]) -> tuple[str, str]:
    try:
        return data.decode(name), name
    except (UnicodeDecodeError, LookupError) as exc:
        raise UnreadableFile(f"cannot decode the file as {name}: {exc}") from None


def utf8_body(data: bytes, declared: str | None = None) -> tuple[bytes, str] | None:
    """(the UTF-8 text's bytes without a BOM, the encoding `decode` would report), or None.

    For the columnar readers, which want UTF-8 bytes, not a Python str: when `decode` would read the
    file as UTF-8 (a UTF-8 BOM, a declared UTF-8, or no declaration), polars checks the bytes are valid
    UTF-8 without building the str (ten times faster than `bytes.decode`; Rust's check rejects exactly
    what Python's strict codec does). None: anything else (another BOM or encoding, invalid UTF-8),
    which `decode` handles.
    """
    name = _named(data, declared)
    if data.startswith(codecs.BOM_UTF8):  # named utf-8-sig
        body = data[len(codecs.BOM_UTF8):]
    elif name is None or name.lower() in ("utf-8", "utf8"):  # guessed (UTF-8 first) or declared as written
        body, name = data, name or "utf-8"
    else:
        return None
    try:
        pl.Series([body], dtype=pl.Binary).cast(pl.Utf8)
    except pl.exceptions.PolarsError:
        return None
    return body, name


def utf8_head(body: bytes, chars: int) -> str:
    """The first `chars` characters of valid UTF-8 bytes, decoding no more than they can take."""
    return body[: 4 * chars + 4].decode("utf-8", errors="ignore")[:chars]

"""Text decoding with the encodings sellers' files actually come in: UTF-8 (with or without BOM) and GBK.

Order matters: a BOM is proof; strict UTF-8 almost never decodes non-UTF-8 text by accident; GB18030 is
a superset of GBK and GB2312, so it is the single fallback for Chinese exports (Excel's "CSV" save on a
Chinese Windows). A mapping may declare the encoding when it is known, which skips guessing.
"""

from __future__ import annotations

import codecs

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


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding used). Raises UnreadableFile naming the encodings tried."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _strict(data, name, tried=[name])
    if declared and declared.lower() != "auto":
        name = _ALIASES.get(declared.lower(), declared)
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

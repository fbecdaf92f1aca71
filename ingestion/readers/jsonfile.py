"""JSON exports (API dumps, ndjson) to flat records: a records path, then nested line items exploded.

Numbers are kept as their literal text (parse_float=str) so money survives exactly, never via binary
floats. Fields beside the records path ride along with every record ("data.billNo" when the records
are at "data.details"). Nested objects flatten to dotted keys ("shipping_address.country"); an
exploded list's item keys are prefixed with the list's name ("line_items.sku") and each item row
carries its parent's fields; other lists stay JSON text under their name, and the items of short
ones are also reachable by index ("fulfillments[0].shipment_status").
"""

from __future__ import annotations

import json

from ingestion.readers.base import RawTable, UnreadableFile, records_to_table
from ingestion.readers.encoding import decode, utf8_body

MAX_INDEXED_ITEMS = 5


def _scalar(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        # compact, as polars encodes JSON (the fast path renders lists with it): both paths agree
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def flatten(obj: dict, prefix: str = "", *, skip: str | None = None) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key, value in obj.items():
        if key == skip and not prefix:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = _scalar(value)
            if isinstance(value, list) and len(value) <= MAX_INDEXED_ITEMS:
                # Small nested lists (fulfillments, refunds) are reachable item by item too:
                # "fulfillments[0].shipment_status".
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        out.update(flatten(item, f"{name}[{i}]."))
    return out


def _load(text: str) -> object:
    try:
        return json.loads(text, parse_float=str, parse_int=str)
    except json.JSONDecodeError as first:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1:
            try:
                return [json.loads(ln, parse_float=str, parse_int=str) for ln in lines]  # ndjson
            except json.JSONDecodeError:
                pass
        raise UnreadableFile(f"not valid JSON (truncated or damaged?): {first}") from None


def _at_path(doc: object, path: str | None) -> tuple[list, dict[str, str | None]]:
    """The records at a dotted path, and the fields beside them on the way down ("data.billNo"):
    API responses wrap their rows in an envelope that carries the bill's header."""
    node, context, prefix = doc, {}, ""
    for part in path.split(".") if path else []:
        if not isinstance(node, dict) or part not in node:
            raise UnreadableFile(f"JSON has no records at {path!r} (missing {part!r})")
        context.update(flatten({k: v for k, v in node.items() if k != part}, prefix))
        node, prefix = node[part], f"{prefix}{part}."
    if isinstance(node, dict):
        return [node], context
    if not isinstance(node, list):
        raise UnreadableFile(f"JSON records at {path or 'the top level'!r} are not a list of objects")
    return node, context


def read_json(data: bytes, *, records: str | None = None, explode: str | None = None,
              encoding: str | None = None) -> RawTable:
    from ingestion.readers.fast_json import fast_json_table

    quick = utf8_body(data, encoding)  # UTF-8 goes to polars as bytes, never through a Python str
    if quick is not None and (fast := fast_json_table(quick[0], records=records, explode=explode,
                                                      encoding=quick[1])) is not None:
        return fast
    text, used = decode(data, encoding)
    if not text or text.isspace():
        raise UnreadableFile("the file is empty")
    if quick is None:
        fast = fast_json_table(text.encode("utf-8"), records=records, explode=explode, encoding=used)
        if fast is not None:
            return fast
    items, context = _at_path(_load(text), records)
    rows: list[dict[str, str | None]] = []
    for item in items:
        if not isinstance(item, dict):
            rows.append({**context, "<value>": _scalar(item)})  # kept, so the parser quarantines it visibly
            continue
        parent = {**context, **flatten(item, skip=explode)}
        children = item.get(explode) if explode else None
        if explode and isinstance(children, list) and children:
            for child in children:
                child_fields = flatten(child, f"{explode}.") if isinstance(child, dict) else {
                    explode: _scalar(child)}
                rows.append({**parent, **child_fields})
        else:
            rows.append(parent)  # an order without lines still counts as read (and fails validation)
    return records_to_table(rows, encoding=used)

"""XML to flat records: every element at the record path is a row; nested leaves become path keys.

A record's fields: its attributes ("@id"), its leaf descendants by relative path ("Weight",
"Dimensions/Length", repeats as "Charge[2]"), and everything its ancestors hold outside the branch
that leads to the records, prefixed with the ancestor's tag: "Invoice/@number", "bill/billHeader/billNo"
(a header block beside the lines), "billLine/trackingNo" (the line around a repeated <charge> record).
That is how header fields reach each line. Namespaces are dropped: carriers change them between
versions, the names stay.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ingestion.readers.base import RawTable, UnreadableFile, records_to_table


def _tag(element: ET.Element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element) -> str | None:
    text = (element.text or "").strip()
    return text or None


def _leaves(element: ET.Element, prefix: str, out: dict[str, str | None]) -> None:
    for name, value in element.attrib.items():
        out[f"{prefix}@{name.rsplit('}', 1)[-1]}"] = value
    counts: dict[str, int] = {}
    for child in element:
        tag = _tag(child)
        if not tag:
            continue
        counts[tag] = counts.get(tag, 0) + 1
        key = tag if counts[tag] == 1 else f"{tag}[{counts[tag]}]"
        if len(child) == 0:
            out[f"{prefix}{key}"] = _text(child)
            for name, value in child.attrib.items():
                out[f"{prefix}{key}/@{name.rsplit('}', 1)[-1]}"] = value
        else:
            _leaves(child, f"{prefix}{key}/", out)


def _context(ancestor: ET.Element, toward: ET.Element) -> dict[str, str | None]:
    """The ancestor's own fields, leaving out the branch toward the records and that branch's siblings
    of the same tag (the other records), so a header block is read once and lines never see each other."""
    tag = _tag(ancestor)
    out: dict[str, str | None] = {f"{tag}/@{k.rsplit('}', 1)[-1]}": v for k, v in ancestor.attrib.items()}
    skip = _tag(toward)
    counts: dict[str, int] = {}
    for child in ancestor:
        child_tag = _tag(child)
        if not child_tag or child_tag == skip:
            continue
        counts[child_tag] = counts.get(child_tag, 0) + 1
        key = child_tag if counts[child_tag] == 1 else f"{child_tag}[{counts[child_tag]}]"
        if len(child) == 0:
            out[f"{tag}/{key}"] = _text(child)
            for name, value in child.attrib.items():
                out[f"{tag}/{key}/@{name.rsplit('}', 1)[-1]}"] = value
        else:
            _leaves(child, f"{tag}/{key}/", out)
    return out


def read_xml(data: bytes, *, record_path: str) -> RawTable:
    """record_path: the repeating element's tag path, matched at its end ("Line" or "Invoice/Line")."""
    if not data.strip():
        raise UnreadableFile("the file is empty")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise UnreadableFile(f"not well-formed XML (truncated or damaged?): {exc}") from None
    wanted = [p for p in record_path.strip("/").split("/") if p]
    if not wanted:
        raise UnreadableFile("empty XML record path")
    records: list[dict[str, str | None]] = []

    contexts: dict[tuple[int, str], dict[str, str | None]] = {}

    def context_of(ancestors: list[ET.Element], element: ET.Element) -> dict[str, str | None]:
        record: dict[str, str | None] = {}
        for ancestor, toward in zip(ancestors, [*ancestors[1:], element], strict=True):
            key = (id(ancestor), _tag(toward))  # the context depends only on which tag it leaves out
            if key not in contexts:  # so it is computed once per ancestor, not once per record
                contexts[key] = _context(ancestor, toward)
            record.update(contexts[key])
        return record

    def walk(element: ET.Element, path: list[str], ancestors: list[ET.Element]) -> None:
        here = [*path, _tag(element)]
        if here[-len(wanted):] == wanted:
            record = context_of(ancestors, element)
            _leaves(element, "", record)
            if len(element) == 0 and not element.attrib:
                record[_tag(element)] = _text(element)
            records.append(record)
            return
        for child in element:
            walk(child, here, [*ancestors, element])

    walk(root, [], [])
    if not records:
        raise UnreadableFile(f"no <{record_path}> elements in the XML")
    return records_to_table(records, encoding="xml")

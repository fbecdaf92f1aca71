"""ANSI X12 EDI 210 (Motor Carrier Freight Details and Invoice) to charge lines the standard parser maps.

Library choice: pyx12 only ships HIPAA (health care) transaction maps, badx12 has been unmaintained
since 2018 and neither yields 210 loops as data, so this is a small parser of the segments a freight
invoice needs. The reader returns the same text-table shape as the CSV reader, one row per L1 charge
line, and the mapping `mappings/ups_edi210.toml` turns it into `carrier_bill_lines` like any bill.

Structure read (X12 004030, as UPS sends it):
ISA (separators: element = 4th byte, component = ISA16, segment terminator = the byte after ISA16)
  ST*210 .. SE   one invoice: B3 (B302 invoice no, B306 invoice date, B307 net amount due in cents,
                 B311 SCAC), C3 (currency), N9*18 (invoice reference), then per shipment/charge group
    LX .. (next LX | L3 | SE): N9*CN / N9*P8 (tracking or pickup number, N904 = ship date),
                 L0 (L008 pieces, L004 weight, L011 weight unit), L1 (L104 charge in cents,
                 L108 charge code, L112 description), CD3 (CD302 billed weight, CD303 zone)
  L3 (L305 invoice total charges, cents).
An invoice that does not close (no SE, or an SE whose control number is not its ST's) was cut or
damaged: its lines come back as broken rows, so they are quarantined, never loaded as a partial
invoice. A wrong SE01 segment count alone is only a warning (see below).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingestion.readers.base import BrokenRow, RawTable, UnreadableFile, frame_from_columns, row_text

ISA_LENGTH = 106
COLUMNS = (
    "interchange_control_no", "st_control_no", "scac", "invoice_no", "invoice_date", "invoice_net_cents",
    "invoice_total_cents", "invoice_reference", "currency", "lx_no", "line_id", "tracking_no",
    "tracking_qualifier", "ship_date", "pieces", "weight", "weight_unit", "billed_weight", "zone",
    "charge_cents", "charge_code", "charge_description",
)


@dataclass(frozen=True)
class Separators:
    element: str
    component: str
    segment: str


@dataclass
class Invoice:
    """One ST..SE transaction set, with the totals a test and a reconciliation check need."""

    st_control_no: str
    invoice_no: str | None = None
    invoice_date: str | None = None
    net_cents: int | None = None
    total_cents: int | None = None
    currency: str | None = None
    reference: str | None = None
    scac: str | None = None
    lines: list[dict[str, str | None]] = field(default_factory=list)
    line_segments: list[int] = field(default_factory=list)
    complete: bool = False
    problem: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def line_sum_cents(self) -> int:
        return sum(int(r["charge_cents"] or 0) for r in self.lines if _is_int(r["charge_cents"]))


@dataclass
class Edi210Result:
    table: RawTable
    invoices: list[Invoice]
    separators: Separators


def _is_int(text: str | None) -> bool:
    return text is not None and text.lstrip("-").isdigit()


def _element(elements: list[str], index: int) -> str | None:
    value = elements[index].strip() if index < len(elements) else ""
    return value or None


def separators(text: str) -> Separators:
    """Separators from the fixed-width ISA header; anything else there means it is not X12."""
    if not text.startswith("ISA") or len(text) < ISA_LENGTH:
        raise UnreadableFile("not an X12 interchange: it does not start with a complete ISA segment")
    element = text[3]
    fields = text[:ISA_LENGTH].split(element)
    if len(fields) != 17 or element.isalnum():
        raise UnreadableFile(f"malformed ISA segment: {text[:ISA_LENGTH]!r}")
    return Separators(element=element, component=text[ISA_LENGTH - 2], segment=text[ISA_LENGTH - 1])


class _LxGroup:
    """The segments of one LX loop: charges are emitted once the whole loop (CD3 comes last) is read."""

    def __init__(self, lx_no: str | None) -> None:
        self.lx_no = lx_no
        self.refs: dict[str, tuple[str | None, str | None]] = {}
        self.pieces = self.weight = self.weight_unit = self.billed_weight = self.zone = None
        self.charges: list[tuple[int, list[str]]] = []

    def rows(self, invoice: Invoice, isa_control: str | None) -> list[tuple[int, dict[str, str | None]]]:
        qualifier = "CN" if "CN" in self.refs else ("P8" if "P8" in self.refs else None)
        tracking, ship_date = self.refs.get(qualifier, (None, None)) if qualifier else (None, None)
        out = []
        for k, (segment_no, l1) in enumerate(self.charges, start=1):
            out.append((segment_no, {
                "interchange_control_no": isa_control, "st_control_no": invoice.st_control_no,
                "scac": invoice.scac, "invoice_no": invoice.invoice_no, "invoice_date": invoice.invoice_date,
                "invoice_net_cents": None if invoice.net_cents is None else str(invoice.net_cents),
                "invoice_total_cents": None, "invoice_reference": invoice.reference,
                "currency": invoice.currency, "lx_no": self.lx_no,
                "line_id": f"{invoice.invoice_no}/{self.lx_no}/{k}", "tracking_no": tracking,
                "tracking_qualifier": qualifier, "ship_date": ship_date, "pieces": self.pieces,
                "weight": self.weight, "weight_unit": self.weight_unit, "billed_weight": self.billed_weight,
                "zone": self.zone, "charge_cents": _element(l1, 4), "charge_code": _element(l1, 8),
                "charge_description": _element(l1, 12),
            }))
        return out


def _segments(text: str, sep: Separators) -> list[list[str]]:
    return [s.strip("\r\n").split(sep.element) for s in text.split(sep.segment) if s.strip("\r\n \t")]


def read_edi210(data: bytes) -> Edi210Result:
    """Every L1 charge line of every 210 invoice in the interchange; row_number = segment position."""
    try:
        text = data.decode("utf-8-sig").lstrip()
    except UnicodeDecodeError:
        text = data.decode("latin-1").lstrip()  # X12 is ASCII; a stray byte is the data's problem
    sep = separators(text)
    segments = _segments(text, sep)
    isa_control = _element(segments[0], 13)
    invoices: list[Invoice] = []
    invoice: Invoice | None = None
    group: _LxGroup | None = None
    start = 0

    def flush() -> None:
        nonlocal group
        if invoice is not None and group is not None:
            for segment_no, row in group.rows(invoice, isa_control):
                invoice.lines.append(row)
                invoice.line_segments.append(segment_no)
        group = None

    for position, elements in enumerate(segments, start=1):
        tag = elements[0].strip()
        if tag == "ST":
            flush()
            if invoice is not None and not invoice.complete:
                invoice.problem = f"transaction set {invoice.st_control_no} has no SE segment"
            invoice = Invoice(st_control_no=_element(elements, 2) or "?")
            invoices.append(invoice)
            start = position
            if _element(elements, 1) != "210":
                invoice.problem = f"transaction set {_element(elements, 1)!r} is not a 210 freight invoice"
        elif invoice is None:
            continue  # ISA/GS/GE/IEA envelope
        elif tag == "B3":
            invoice.invoice_no, invoice.invoice_date = _element(elements, 2), _element(elements, 6)
            net, invoice.scac = _element(elements, 7), _element(elements, 11)
            invoice.net_cents = int(net) if _is_int(net) else None
        elif tag == "C3":
            invoice.currency = _element(elements, 1)
        elif tag == "N9" and group is None and _element(elements, 1) == "18":
            invoice.reference = _element(elements, 2)
        elif tag == "LX":
            flush()
            group = _LxGroup(_element(elements, 1))
        elif tag == "N9" and group is not None:
            qualifier = _element(elements, 1) or ""
            group.refs.setdefault(qualifier, (_element(elements, 2), _element(elements, 4)))
        elif tag == "L0" and group is not None:
            group.pieces, group.weight, group.weight_unit = (
                _element(elements, 8), _element(elements, 4), _element(elements, 11))
        elif tag == "CD3" and group is not None:
            group.billed_weight, group.zone = _element(elements, 2), _element(elements, 3)
        elif tag == "L1":
            if group is None:
                group = _LxGroup(None)  # invoice-level charge outside any LX
            group.charges.append((position, elements))
        elif tag == "L3":
            flush()
            total = _element(elements, 5)
            invoice.total_cents = int(total) if _is_int(total) else None
        elif tag == "SE":
            flush()
            count, control = _element(elements, 1), _element(elements, 2)
            actual = position - start + 1
            if control != invoice.st_control_no:
                invoice.problem = f"SE control number {control} does not close ST {invoice.st_control_no}"
            elif not _is_int(count) or int(count) != actual:
                # Real senders get SE01 wrong (UPS's own sample says 46 for a 48-segment set) while the
                # invoice is whole and its lines sum to L3; so it is a warning, not a rejection.
                invoice.warnings.append(f"SE01 says {count} segments, the transaction set has {actual}")
            invoice.complete = invoice.problem is None
            invoice = None
    flush()
    if invoice is not None and not invoice.complete:
        invoice.problem = invoice.problem or f"transaction set {invoice.st_control_no} has no SE segment (cut?)"
    if not invoices:
        raise UnreadableFile("the interchange holds no ST transaction sets")
    return Edi210Result(_table(invoices), invoices, sep)


def _table(invoices: list[Invoice]) -> RawTable:
    """Lines of complete invoices as rows numbered by their L1 segment; incomplete ones as broken rows."""
    columns: list[list[str | None]] = [[] for _ in COLUMNS]
    numbers: list[int] = []
    broken: list[BrokenRow] = []
    for inv in invoices:
        total = None if inv.total_cents is None else str(inv.total_cents)
        for segment_no, row in zip(inv.line_segments, inv.lines, strict=True):
            row["invoice_total_cents"] = total
            values = [row[c] for c in COLUMNS]
            if inv.complete:
                for column, value in zip(columns, values, strict=True):
                    column.append(value)
                numbers.append(segment_no)
            else:
                broken.append(BrokenRow(segment_no, "<invoice>", f"invoice {inv.invoice_no}: {inv.problem}",
                                        row_text(values)))
    table = RawTable(frame_from_columns(list(COLUMNS), columns, numbers), broken=broken, encoding="ascii",
                     keyed=True)
    table.notes.append(f"{len(invoices)} transaction sets, {len(numbers) + len(broken)} L1 charge lines")
    table.notes.extend(f"invoice {inv.invoice_no}: {w}" for inv in invoices for w in inv.warnings)
    return table

"""PDF bill tables: generated with fpdf2 across pages with the header repeated, read by pdfplumber."""

from __future__ import annotations

from decimal import Decimal

from fpdf import FPDF
from ingest_helpers import parse, reasons

from ingestion.mapping import loads_mapping
from ingestion.pdf_tables import pdf_rows

FOURPX = """
contract = "carrier_bill_lines"
format = "pdf"
date_formats = ["%d/%m/%Y"]
[columns.carrier]
value = "4PX"
[columns.bill_no]
from = "Invoice No"
[columns.bill_date]
from = "Date"
[columns.waybill_no]
from = "Tracking No"
[columns.service]
from = "Service"
[columns.billed_weight_kg]
from = "Weight (kg)"
[columns.charge_code]
value = "freight"
[columns.amount]
from = "Amount (USD)"
[columns.currency]
value = "USD"
"""
HEADER = ["Invoice No", "Date", "Tracking No", "Service", "Weight (kg)", "Amount (USD)"]


def bill_pdf(rows: list[list[str]], rows_per_page: int = 25) -> bytes:
    """A statement the way carriers print one: a title, then a ruled table repeating its header per page."""
    pdf = FPDF(orientation="L")
    pdf.set_font("Helvetica", size=9)
    for start in range(0, len(rows), rows_per_page):
        pdf.add_page()
        if start == 0:
            pdf.cell(0, 8, "4PX Express - Monthly statement 2026-01", new_x="LMARGIN", new_y="NEXT")
        with pdf.table(col_widths=(30, 25, 45, 25, 25, 30), first_row_as_headings=True) as table:
            for row in [HEADER, *rows[start:start + rows_per_page]]:
                table.row(row)
    return bytes(pdf.output())


def make_rows(n: int) -> list[list[str]]:
    return [["INV-4PX-01", "31/01/2026", f"4PX{i:08d}", "economy", f"{0.1 + i / 100:.2f}", f"{1000 + i:,}.{i % 100:02d}"]
            for i in range(1, n + 1)]


def test_multi_page_table_keeps_every_row_and_drops_repeated_headers():
    rows = make_rows(60)
    rows[41][4] = "n/a"  # one bad weight on page 2
    data = bill_pdf(rows)
    grid = pdf_rows(data)
    assert sum(r == HEADER for r in grid) == 3  # the header is printed on each of the 3 pages
    result = parse(data, loads_mapping(FOURPX, name="fourpx"), filename="bill.pdf")
    assert result.file_error is None
    assert result.rows_read == 60 and result.rows_ok == 59
    assert reasons(result) == {42: "billed_weight_kg: not a number: 'n/a'"}
    first, last = result.frame.row(0, named=True), result.frame.row(-1, named=True)
    assert (first["waybill_no"], first["amount"], first["billed_weight_kg"]) == ("4PX00000001", Decimal("1001.01"), 0.11)
    assert (last["waybill_no"], last["amount"], last["row_number"]) == ("4PX00000060", Decimal("1060.60"), 60)
    assert result.frame["amount"].sum() == sum(Decimal(r[5].replace(",", "")) for i, r in enumerate(rows) if i != 41)


def test_not_a_pdf_and_a_truncated_pdf_are_file_errors():
    mapping = loads_mapping(FOURPX, name="fourpx")
    assert "not a PDF" in parse(b"hello", mapping, filename="bill.pdf").file_error
    data = bill_pdf(make_rows(5))
    result = parse(data[: len(data) // 3], mapping, filename="bill.pdf")
    assert result.file_error.startswith("damaged PDF") and result.rows_read == 0


def test_document_fields_from_the_heading():
    toml = FOURPX.replace('[columns.bill_no]\nfrom = "Invoice No"', '[columns.bill_no]\nfrom = "invoice_no"').replace(
        'format = "pdf"', 'format = "pdf"\ndocument_fields = { invoice_no = "statement\\\\s+(\\\\S+)" }')
    result = parse(bill_pdf(make_rows(3)), loads_mapping(toml, name="fourpx"), filename="bill.pdf")
    assert result.frame["bill_no"].to_list() == ["2026-01"] * 3  # from "Monthly statement 2026-01"

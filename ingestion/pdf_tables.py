"""Bill tables out of PDFs with pdfplumber, as the same text table the CSV reader returns.

Carriers that only send PDF statements print one long table across pages, repeating the header on
each page; the rows of all pages are joined and the repeats dropped (`grid_to_table`), so the standard
parser and a normal mapping file apply unchanged. Ruled tables are found by their lines; a table
drawn without rules falls back to pdfplumber's text-alignment strategy.
"""

from __future__ import annotations

import io
import re

from ingestion.readers.base import RawTable, UnreadableFile
from ingestion.readers.tabular import grid_to_table

_TEXT_STRATEGY = {"vertical_strategy": "text", "horizontal_strategy": "text"}


def _clean(cell: str | None) -> str | None:
    if cell is None:
        return None
    text = " ".join(cell.split())  # a wrapped cell comes back with line breaks
    return text or None


def pdf_rows(data: bytes) -> list[list[str | None]]:
    """All table rows of all pages, in reading order."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    if not data.startswith(b"%PDF"):
        raise UnreadableFile("not a PDF (no %PDF header)")
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            rows: list[list[str | None]] = []
            for page in pdf.pages:
                tables = page.extract_tables() or page.extract_tables(_TEXT_STRATEGY)
                for table in tables:
                    rows.extend([_clean(c) for c in row] for row in table)
    except (PdfminerException, MalformedPDFException, PDFSyntaxError, PSException, ValueError, KeyError,
            TypeError, AssertionError, EOFError) as exc:
        raise UnreadableFile(f"damaged PDF: {type(exc).__name__}: {exc}") from None
    if not rows:
        raise UnreadableFile("the PDF has no tables")
    return rows


def pdf_text(data: bytes, pages: int = 1) -> str:
    """The text of the first page(s): where statements print the invoice number and period."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages[:pages])


def read_pdf(data: bytes, *, expected_headers: list[str], header_row: int | None = None,
             skip_rows: re.Pattern[str] | None = None) -> RawTable:
    table = grid_to_table(pdf_rows(data), expected_headers=expected_headers, header_row=header_row,
                          strict_width=False, drop_repeated_header=True, skip_rows=skip_rows)
    table.notes.append("pdf tables")
    return table

"""Bill writers by catalog bill_format; each takes the ordered bill lines and a header and writes a file.

A writer may return the bill_line_id of every line (EDI numbers lines within each invoice); None means
the default "<bill no>-<line no>".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from simulator.freight.formats.common import BillHeader
from simulator.freight.formats.edi210 import write_edi210
from simulator.freight.formats.flat import write_csv, write_xlsx
from simulator.freight.formats.json_bill import write_json
from simulator.freight.formats.pdf_bill import write_pdf
from simulator.freight.formats.xml_bill import write_xml

Writer = Callable[[pl.DataFrame, BillHeader, Path], "list[str] | None"]

WRITERS: dict[str, Writer] = {
    "csv_gbk_zh": write_csv, "csv_en": write_csv, "xlsx": write_xlsx, "xml": write_xml, "json": write_json,
    "edi210": write_edi210, "pdf": write_pdf,
}
EXTENSIONS: dict[str, str] = {
    "csv_gbk_zh": "csv", "csv_en": "csv", "xlsx": "xlsx", "xml": "xml", "json": "json", "edi210": "edi",
    "pdf": "pdf",
}

__all__ = ["EXTENSIONS", "WRITERS", "BillHeader"]

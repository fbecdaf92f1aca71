"""EDI 210 on the real UPS batch (shared/data/real/ups_edi_210.txt) and on synthetic variants.

What the real data says (read from the file): 5 invoices; 211 L1 charge lines (7, 19, 23, 60 and 102 per
invoice); for every invoice the L1 amounts sum exactly to the L3 total and to the B3 net amount due;
the fifth invoice is billed in CAD; the first invoice's SE01 claims 46 segments although the set has 48.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from ingest_helpers import parse

from ingestion.edi210 import read_edi210
from ingestion.mapping import shipped_mapping

INVOICES = {  # invoice no: (L1 lines, L3 total in cents, currency)
    "0000001808WW308": (7, 1700, "USD"),
    "0000001502WW308": (19, 9415, "USD"),
    "0000004045WW308": (23, 28555, "USD"),
    "0000002063WW308": (60, 105647, "USD"),
    "0000004469WW318": (102, 2164290, "CAD"),
}


@pytest.fixture(scope="module")
def real_bytes(real_edi_210: Path) -> bytes:
    return real_edi_210.read_bytes()


@pytest.fixture(scope="module")
def real_result(real_bytes):
    return parse(real_bytes, shipped_mapping("ups_edi210"), filename="ups_edi_210.txt")


def test_real_batch_invoices_and_totals(real_bytes):
    result = read_edi210(real_bytes)
    assert (result.separators.element, result.separators.component, result.separators.segment) == ("*", ">", "|")
    assert [i.invoice_no for i in result.invoices] == list(INVOICES)
    for invoice in result.invoices:
        lines, total, currency = INVOICES[invoice.invoice_no]
        assert (len(invoice.lines), invoice.total_cents, invoice.currency) == (lines, total, currency)
        assert invoice.line_sum_cents == invoice.total_cents == invoice.net_cents
        assert invoice.complete
    assert result.invoices[0].warnings == ["SE01 says 46 segments, the transaction set has 48"]


def test_real_batch_as_carrier_bill_lines(real_result):
    frame = real_result.frame
    assert real_result.rows_read == 211 and real_result.rows_ok == 211 and real_result.rows_quarantined == 0
    assert frame["charge_code"].null_count() == 0 and frame["bill_no"].null_count() == 0
    per_invoice = frame.group_by("bill_no").agg(pl.len(), pl.col("amount").sum(), pl.col("bill_total").first(),
                                                pl.col("currency").first())
    got = {r["bill_no"]: (r["len"], r["amount"], r["bill_total"], r["currency"]) for r in per_invoice.to_dicts()}
    assert got == {k: (n, Decimal(c) / 100, Decimal(c) / 100, cur) for k, (n, c, cur) in INVOICES.items()}
    assert frame["carrier"].unique().to_list() == ["UPS"]
    assert frame["bill_date"].unique().sort().to_list() == [date(2008, 7, 26), date(2008, 8, 2)]
    assert frame.filter(pl.col("charge_code") == "FUE").height == 50


def test_real_batch_tracking_numbers_match_an_independent_scan(real_bytes, real_result):
    """Count L1 lines whose LX loop carries an N9*CN or N9*P8, by plain text splitting."""
    text = real_bytes.decode()
    expected = 0
    for transaction in text.split("ST*210")[1:]:
        for loop in re.split(r"\|\s*LX\*", transaction)[1:]:
            loop = re.split(r"\|\s*L3\*", loop)[0]
            has_ref = re.search(r"(?:^|\|)\s*N9\*(?:CN|P8)\*", loop) is not None
            expected += len(re.findall(r"(?:^|\|)\s*L1\*", loop)) if has_ref else 0
    assert expected == 190
    assert real_result.frame["waybill_no"].is_not_null().sum() == expected


def test_real_batch_first_invoice_line_by_line(real_result):
    first = real_result.frame.filter(pl.col("bill_no") == "0000001808WW308").sort("row_number")
    assert first.select("waybill_no", "charge_code", "amount", "zone", "ship_date").rows() == [
        (None, "SAC", Decimal("17"), None, None),
        ("1Z1808WW0473048017", "400", Decimal("127.40"), "401", date(2008, 7, 21)),
        ("1Z1808WW0473048017", "395", Decimal("15.00"), "401", date(2008, 7, 21)),
        ("1Z1808WW0473048017", "FUE", Decimal("25.48"), "401", date(2008, 7, 21)),
        ("1Z1808WW0473048017", "295", Decimal("-12.74"), "401", date(2008, 7, 21)),
        ("1Z1808WW0473048017", "CDF", Decimal("-167.88"), "401", date(2008, 7, 21)),
        ("1Z1808WW0473048017", "275", Decimal("12.74"), "401", date(2008, 7, 21)),
    ]
    assert first["row_number"].to_list() == [21, 27, 28, 29, 30, 45, 46]  # segment positions in the file
    assert first["billed_weight_kg"].to_list()[1] == pytest.approx(10 * 0.45359237)


def test_other_separators_and_no_newlines():
    isa = "ISA^00^          ^00^          ^02^CARRIER        ^ZZ^SHIPPER        ^260131^1200^U^00401^000000001^0^P^:"
    assert len(isa) == 105
    segments = [isa, "GS^IM^C^S^20260131^1200^1^X^004010", "ST^210^0001",
                "B3^^INV-9^^PP^^20260131^1550^^^^FDXG", "C3^USD", "LX^1", "N9^CN^TRACK1^^20260130", "L0^1^^^12.5^G^^^1^PCS^^L",
                "L1^1^^^1200^^^^400", "L1^1^^^350^^^^FUE", "L3^^^^^1550", "SE^10^0001", "GE^1^1", "IEA^1^000000001"]
    data = "~".join(segments) + "~"
    result = read_edi210(data.encode())
    assert (result.separators.element, result.separators.segment) == ("^", "~")
    invoice = result.invoices[0]
    assert (invoice.invoice_no, invoice.line_sum_cents, invoice.total_cents, invoice.warnings) == ("INV-9", 1550, 1550, [])
    parsed = parse(data, shipped_mapping("ups_edi210"), filename="fedex.edi")
    assert parsed.frame.select("waybill_no", "charge_code", "amount", "actual_weight_kg").rows() == [
        ("TRACK1", "400", Decimal("12"), pytest.approx(12.5 * 0.45359237)),
        ("TRACK1", "FUE", Decimal("3.5"), pytest.approx(12.5 * 0.45359237))]


def test_truncated_batch_loads_whole_invoices_and_quarantines_the_cut_one(real_bytes):
    text = real_bytes.decode()
    third = text.index("ST*210*000158671")
    cut = text[: text.index("L1*", text.index("LX*5", third)) + 2]  # stops inside invoice 3
    result = parse(cut.encode(), shipped_mapping("ups_edi210"), filename="ups_cut.txt")
    assert result.rows_ok == 7 + 19
    assert result.rows_quarantined > 0 and result.rows_read == result.rows_ok + result.rows_quarantined
    q = result.quarantine
    assert set(q["field"].to_list()) == {"<invoice>"}
    assert all("0000004045WW308" in r and "no SE segment" in r for r in q["reason"].to_list())


@pytest.mark.parametrize("data", [b"", b"hello world", b"ISA*00*short", b"GS*IM*UPSD|ST*210*1|"])
def test_not_an_interchange_is_a_file_error(data):
    result = parse(data, shipped_mapping("ups_edi210"), filename="x.edi")
    assert result.file_error and ("ISA" in result.file_error or "X12" in result.file_error)

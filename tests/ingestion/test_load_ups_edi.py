"""The real UPS EDI 210 batch loaded as a carrier bill: 211 charge lines, totals equal to the L3 segments."""

from __future__ import annotations

import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.load import load_source_date

DAY = date(2026, 1, 6)


def l3_totals(text: str) -> dict[str, Decimal]:
    """Invoice no (B3 segment) -> L3 total charge, read straight from the segments."""
    totals = {}
    for transaction in text.split("ST*210*")[1:]:
        invoice = re.search(r"B3\*[^*]*\*([^*]+)\*", transaction).group(1)
        l3 = re.search(r"L3\*([^|~]*)", transaction).group(1).split("*")
        totals[invoice] = Decimal(l3[4]) / 100
    return totals


@pytest.fixture(scope="module")
def real_file(tmp_path_factory, real_edi_210: Path) -> Path:
    landing = tmp_path_factory.mktemp("landing-ups")
    folder = landing / "carrier_bills" / DAY.isoformat()
    folder.mkdir(parents=True)
    shutil.copy(real_edi_210, folder / "UPS_real_batch.edi")
    return landing


def test_real_ups_batch_loads_every_charge_line_with_l3_totals(ch_client, real_file, real_edi_210):
    report = load_source_date(ch_client, real_file, "carrier_bills", DAY)
    (f,) = report.files
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined, f.status) == (211, 211, 0, "loaded")
    assert report.balanced
    rows = ch_client.query(
        "SELECT bill_no, count(), sum(amount), any(bill_total), countIf(waybill_no IS NULL OR waybill_no = ''), "
        "countIf(charge_code = '') FROM raw.carrier_bill_lines "
        "WHERE business_date = {d:Date} AND source = 'carrier_bills' GROUP BY bill_no ORDER BY bill_no",
        parameters={"d": DAY}).result_rows
    expected = l3_totals(real_edi_210.read_text())
    assert len(expected) == 5
    assert sum(r[1] for r in rows) == 211
    assert {r[0]: r[2] for r in rows} == expected
    assert all(r[3] == expected[r[0]] for r in rows)
    assert all(r[5] == 0 for r in rows)  # every line has its charge code
    lineage = ch_client.query(
        "SELECT uniqExact(file_sha256), min(row_number) > 0, any(source_file) FROM raw.carrier_bill_lines "
        "WHERE business_date = {d:Date} AND source = 'carrier_bills'", parameters={"d": DAY}).result_rows[0]
    assert lineage == (1, True, f"carrier_bills/{DAY.isoformat()}/UPS_real_batch.edi")

"""A file delivered again under another name: recognised by its hash, reported, and still loaded."""

from __future__ import annotations

import shutil
from datetime import date

import polars as pl
from load_helpers import business, loaded

from ingestion.load import load_source_date


def test_the_simulated_resend_is_reported_and_loaded_with_its_own_lineage(ch_client):
    reports = loaded(ch_client)
    planted = business().manifest.filter(pl.col("type") == "duplicate_bill_file")
    assert planted.height >= 1
    in_business = {day.isoformat() for day in business().dates}
    # (originals outside the fortnight would be copies other tests deliver on days of their own)
    duplicates = {f.source_file: f.duplicate_of for r in reports for f in r.duplicates
                  if f.duplicate_of.split("/")[1] in in_business}
    for row in planted.iter_rows(named=True):
        original = row["detail"].split("copy of ")[1].split(" ")[0]
        assert duplicates.pop(row["file"]) == original
        registry = ch_client.query("SELECT duplicate_of, rows_loaded FROM raw._files WHERE source_file = {f:String}",
                                   parameters={"f": row["file"]}).result_rows
        assert registry[0][0] == original and registry[0][1] > 0
        copies = ch_client.query(
            "SELECT source_file, count(), uniqExact(file_sha256) FROM raw.carrier_bill_lines "
            "WHERE source_file IN ({a:String}, {b:String}) GROUP BY source_file ORDER BY source_file",
            parameters={"a": original, "b": row["file"]}).result_rows
        assert len(copies) == 2 and copies[0][1] == copies[1][1] == registry[0][1]
    assert duplicates == {}, "only the planted re-delivery is a duplicate"


def test_a_file_delivered_again_on_a_later_day_is_recognised(ch_client, tmp_path):
    loaded(ch_client)
    biz = business()
    original = sorted((biz.landing / "carrier_bills" / "2026-10-14").glob("USPS_*.csv"))[0]
    day = date(2026, 9, 2)  # a day of its own, outside the simulated fortnight
    target = tmp_path / "carrier_bills" / day.isoformat()
    target.mkdir(parents=True)
    shutil.copy(original, target / "USPS_again.csv")
    report = load_source_date(ch_client, tmp_path, "carrier_bills", day)
    (only,) = report.files
    assert only.duplicate_of == original.relative_to(biz.landing).as_posix()
    assert only.rows_loaded > 0 and report.balanced
    # Re-loading that day again still points at the first delivery, not at itself.
    (again,) = load_source_date(ch_client, tmp_path, "carrier_bills", day).files
    assert again.duplicate_of == only.duplicate_of

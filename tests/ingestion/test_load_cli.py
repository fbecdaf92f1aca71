"""`tallyhouse ingest`: per-file counts printed, non-zero exit on files it cannot read or map."""

from __future__ import annotations

import shutil
from datetime import date

from load_helpers import business
from typer.testing import CliRunner

from tallyhouse.cli import app

DAY = date(2026, 9, 25)  # a day of its own, outside the simulated fortnight
RUNNER = CliRunner(env={"COLUMNS": "200"})  # wide enough that rich does not wrap file names


def _landing(tmp_path):
    biz = business()
    for source in ("orders_jd", "fx_rates"):
        target = tmp_path / source / DAY.isoformat()
        target.mkdir(parents=True)
        for path in (biz.landing / source / "2026-10-03").iterdir():
            shutil.copy(path, target / path.name)
    return tmp_path


def test_ingest_prints_rows_per_file(endpoint, ch_client, tmp_path):
    landing = _landing(tmp_path)
    result = RUNNER.invoke(app, ["ingest", "--date", DAY.isoformat(), "--landing", str(landing)],
                                terminal_width=200)
    assert result.exit_code == 0, result.output
    jd_rows = ch_client.query("SELECT count() FROM raw.order_lines WHERE business_date = {d:Date} "
                              "AND source = 'orders_jd'", parameters={"d": DAY}).result_rows[0][0]
    assert jd_rows > 10
    jd_line = next(line for line in result.output.splitlines() if "jd_orders_" in line and "order_lines" in line)
    assert f"{jd_rows:,}" in jd_line and "loaded" in jd_line
    assert "2 files" in result.output


def test_ingest_one_source_and_exit_status_on_bad_files(endpoint, ch_client, tmp_path):
    landing = _landing(tmp_path)
    folder = landing / "fx_rates" / DAY.isoformat()
    (folder / "notes_from_finance.docx").write_bytes(b"PK\x03\x04 not a layout we know")
    result = RUNNER.invoke(app, ["ingest", "--date", DAY.isoformat(), "--landing", str(landing),
                                      "--source", "fx_rates"])
    assert result.exit_code == 1, result.output
    assert "notes_from_finance.docx" in result.output and "unmapped" in result.output
    assert "jd_orders_" not in result.output
    record = ch_client.query(
        "SELECT field, reason FROM raw.quarantine WHERE source_file = {f:String}",
        parameters={"f": f"fx_rates/{DAY.isoformat()}/notes_from_finance.docx"}).result_rows
    assert record and record[0][0] == "<file>" and "no layout" in record[0][1]


def test_ingest_with_nothing_to_load_fails(endpoint, tmp_path):
    result = RUNNER.invoke(app, ["ingest", "--date", "2026-09-26", "--landing", str(tmp_path)])
    assert result.exit_code == 1
    assert "no landing files" in result.output


def test_an_unreadable_file_is_quarantined_and_fails_the_command(endpoint, ch_client, tmp_path):
    day = date(2026, 9, 27)
    folder = tmp_path / "carrier_bills" / day.isoformat()
    folder.mkdir(parents=True)
    (folder / "FEDEX_20260920-20260926.xlsx").write_bytes(b"this is not a workbook")
    result = RUNNER.invoke(app, ["ingest", "--date", day.isoformat(), "--landing", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "unreadable" in result.output and "FEDEX_20260920-20260926.xlsx" in result.output
    (record,) = ch_client.query(
        "SELECT target_table, field, row_number FROM raw.quarantine WHERE business_date = {d:Date}",
        parameters={"d": day}).result_rows
    assert record == ("carrier_bill_lines", "<file>", None)
    status = ch_client.query("SELECT status, rows_read FROM raw._files WHERE business_date = {d:Date}",
                             parameters={"d": day}).result_rows
    assert status == [("unreadable", 0)]

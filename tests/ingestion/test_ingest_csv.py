"""CSV/TSV edge cases: encodings, delimiters, title lines, quoting, truncation, header problems."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ingest_helpers import parse, reasons

HEADER_ZH = "账单号,账单日期,运单号,计费重量(kg),金额,币种"
GOOD_ZH = ["B1,2026/01/05,SF001,1.5,\"￥1,234.50\",CNY", "B1,2026/01/05,SF002,2,12.00,cny"]


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""), ("gb18030", b"")],
    ids=["utf8", "utf8-bom", "gbk", "gb18030"],
)
def test_encodings_are_detected(bill_mapping, encoding, prefix):
    text = "\n".join([HEADER_ZH, *GOOD_ZH]) + "\n"
    result = parse(prefix + text.encode(encoding), bill_mapping)
    assert result.file_error is None
    assert result.rows_ok == 2
    assert result.frame["waybill_no"].to_list() == ["SF001", "SF002"]
    assert result.frame["amount"].to_list() == [Decimal("1234.5"), Decimal("12")]
    assert result.frame["currency"].to_list() == ["CNY", "CNY"]  # case = "upper"


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
def test_delimiters_are_sniffed(bill_mapping, delimiter):
    rows = [["Bill No", "Bill Date", "Waybill No", "Chargeable Weight (kg)", "Amount"],
            ["B1", "2026-01-05", "W1", "1.5", "12.50"], ["B1", "2026-01-05", "W2", "3", "7"]]
    text = "\n".join(delimiter.join(r) for r in rows)
    result = parse(text, bill_mapping)
    assert result.rows_ok == 2
    assert result.frame["billed_weight_kg"].to_list() == [1.5, 3.0]
    assert result.frame["currency"].to_list() == ["CNY", "CNY"]  # default when the column is absent


def test_title_lines_above_the_header_are_skipped_and_rows_numbered_from_the_header(bill_mapping):
    text = "顺丰速运 月结账单\n客户: 深圳某公司,,,\n" + "\n".join([HEADER_ZH, *GOOD_ZH, "B1,2026/01/05,SF003,x,1,CNY"])
    result = parse(text, bill_mapping)
    assert result.frame["row_number"].to_list() == [1, 2]
    assert list(reasons(result)) == [3]


def test_swapped_columns_and_extra_columns(bill_mapping):
    text = "备注,金额,运单号,账单日期,账单号,计费重量(kg),Extra\nhello,5.00,W9,2026/01/05,B2,0.5,zzz\n"
    result = parse(text, bill_mapping)
    row = result.frame.row(0, named=True)
    assert (row["bill_no"], row["waybill_no"], row["amount"], row["billed_weight_kg"]) == ("B2", "W9", Decimal("5"), 0.5)


def test_quoted_fields_with_delimiters_and_newlines(bill_mapping):
    text = 'Bill No,Bill Date,Waybill No,Chargeable Weight (kg),Amount\n"B,1",2026-01-05,"W\n1",1,"1,000.00"\n'
    result = parse(text, bill_mapping)
    assert result.frame.select("bill_no", "waybill_no").row(0) == ("B,1", "W\n1")
    assert result.frame["amount"].to_list() == [Decimal("1000")]


def test_truncated_file_quarantines_the_cut_last_row_and_keeps_the_rest(bill_mapping):
    full = "\n".join([HEADER_ZH, *GOOD_ZH, "B1,2026/01/05,SF003,4,40.00,CNY"]) + "\n"
    cut = full[: full.index("SF003") + 4]  # the upload stopped mid-line
    result = parse(cut, bill_mapping)
    assert result.rows_read == 3 and result.rows_ok == 2 and result.rows_quarantined == 1
    q = result.quarantine.row(0, named=True)
    assert q["row_number"] == 3 and q["field"] == "计费重量(kg)" and "cut short" in q["reason"]
    assert q["source_field"] == "计费重量(kg)"
    assert "SF00" in q["raw_text"]
    assert q["source_file"].endswith("bill.csv")


def test_file_ending_inside_a_quote_quarantines_the_last_row(bill_mapping):
    text = "\n".join([HEADER_ZH, *GOOD_ZH]) + '\nB1,2026/01/05,SF003,4,"40'
    result = parse(text, bill_mapping)
    assert result.rows_ok == 2
    assert "ends inside a quoted field" in reasons(result)[3]


def test_row_with_extra_fields_is_quarantined_not_shifted(bill_mapping):
    text = "\n".join([HEADER_ZH, GOOD_ZH[0], "B1,2026/01/05,SF009,1,2,CNY,surprise", GOOD_ZH[1]])
    result = parse(text, bill_mapping)
    assert result.frame["row_number"].to_list() == [1, 3]
    assert result.quarantine.row(0, named=True)["field"] == "<row>"
    assert "7 fields, the header has 6" in reasons(result)[2]


def test_trailing_delimiters_and_blank_lines_are_harmless(bill_mapping):
    text = HEADER_ZH + ",\n" + GOOD_ZH[0] + ",\n\n" + GOOD_ZH[1] + "\n\n"
    result = parse(text, bill_mapping)
    assert result.rows_ok == 2 and result.rows_quarantined == 0
    assert result.frame["row_number"].to_list() == [1, 3]  # blank line 2 keeps its place


def test_bad_values_are_quarantined_with_every_problem_named(bill_mapping):
    text = "\n".join([HEADER_ZH, GOOD_ZH[0], "B1,2026/02/30,SF002,-2,abc,RMB", ",2026/01/05,SF003,1,1,CNY"])
    result = parse(text, bill_mapping)
    assert result.rows_ok == 1 and result.rows_quarantined == 2
    first = result.quarantine.filter(result.quarantine["row_number"] == 2).row(0, named=True)
    assert first["field"] == "bill_date" and first["source_field"] == "账单日期"
    for expected in ("bill_date: not a valid date: '2026/02/30'", "amount: not a number: 'abc'",
                     "billed_weight_kg: -2.0 is below the minimum 0", "currency: 'RMB' is not an allowed value"):
        assert expected in first["reason"]
    assert '"金额":"abc"' in first["raw_text"]
    assert reasons(result)[3] == "bill_no: required value is missing"


def test_missing_required_column_is_a_file_level_record(bill_mapping):
    text = "账单号,账单日期,运单号,计费重量(kg)\nB1,2026/01/05,W1,1\n"
    result = parse(text, bill_mapping)
    assert result.rows_read == 0 and result.rows_ok == 0
    assert "missing required column(s): amount" in result.file_error and "金额" in result.file_error
    q = result.quarantine.row(0, named=True)
    assert q["row_number"] is None and q["field"] == "<file>" and q["raw_text"].startswith("账单号")


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\x00\x01\x02\xff\xfe\x00"], ids=["empty", "blank", "binary"])
def test_unreadable_files_become_one_file_record(bill_mapping, data):
    result = parse(data, bill_mapping)
    assert result.file_error and result.rows_read == 0
    assert result.quarantine.height == 1 and result.quarantine["row_number"].to_list() == [None]


def test_header_only_file_reads_zero_rows(bill_mapping):
    result = parse(HEADER_ZH + "\n", bill_mapping)
    assert result.file_error is None and result.rows_read == 0 and result.frame.height == 0


def test_pinned_header_row_and_declared_encoding():
    from ingestion.mapping import loads_mapping

    mapping = loads_mapping("""
contract = "fx_rates"
encoding = "gbk"
header_row = 2
[columns.rate_date]
from = "日期"
[columns.base_currency]
from = "基准"
[columns.quote_currency]
value = "CNY"
[columns.rate]
from = "汇率"
""", name="fx")
    text = "人民币汇率中间价\n日期,基准,汇率\n2026-01-05,USD,7.1234\n2026-01-05,EUR,7.8\n"
    result = parse(text.encode("gbk"), mapping)
    assert result.frame.select("base_currency", "quote_currency", "rate").rows() == [
        ("USD", "CNY", 7.1234), ("EUR", "CNY", 7.8)]


def test_lineage_columns(bill_mapping):
    result = parse("\n".join([HEADER_ZH, *GOOD_ZH]), bill_mapping)
    row = result.frame.row(0, named=True)
    assert row["source"] == "test_source" and row["source_file"] == "test_source/2026-01-06/bill.csv"
    assert len(row["file_sha256"]) == 64 and row["row_number"] == 1 and str(row["business_date"]) == "2026-01-06"


def test_summary_rows_declared_by_the_layout_are_not_data(bill_mapping):
    from ingest_helpers import BILL_TOML

    from ingestion.mapping import loads_mapping

    mapping = loads_mapping('skip_rows_matching = ["^合计", "^Total"]\n' + BILL_TOML, name="sf")
    text = "\n".join([HEADER_ZH, *GOOD_ZH, "合计,,,3.5,\"1,246.50\",", "B1,2026/01/05,SF003,1,1,CNY"])
    result = parse(text, mapping)
    assert result.frame["row_number"].to_list() == [1, 2, 3]
    assert any("skipped 1 summary row" in n for n in result.notes)
    plain = parse(text, bill_mapping)  # without the rule the total line is a row, and it is rejected
    assert plain.rows_quarantined == 1 and reasons(plain)[3].startswith("bill_date: required value is missing")


def test_parse_file_records_the_path_relative_to_the_landing_root(tmp_path, bill_mapping):
    from ingest_helpers import BUSINESS_DATE

    from ingestion.parser import parse_file

    folder = tmp_path / "carrier_bills" / "2026-01-06"
    folder.mkdir(parents=True)
    (folder / "sf.csv").write_text("\n".join([HEADER_ZH, *GOOD_ZH]), encoding="gbk")
    result = parse_file(folder / "sf.csv", bill_mapping, source="carrier_bills", business_date=BUSINESS_DATE,
                        landing_root=tmp_path)
    assert result.rows_ok == 2 and result.frame["source_file"].unique().to_list() == ["carrier_bills/2026-01-06/sf.csv"]
    missing = parse_file(folder / "gone.csv", bill_mapping, source="carrier_bills", business_date=BUSINESS_DATE,
                         landing_root=tmp_path)
    assert missing.file_error.startswith("cannot open the file") and missing.quarantine.height == 1
    assert missing.quarantine["reason"].to_list() == [missing.file_error]

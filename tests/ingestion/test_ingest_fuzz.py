"""Property-based fuzzing of the standard parser: it never crashes, never loses a row, and agrees with an
oracle on which generated rows are valid.

Examples are bounded (max_examples, no deadline) so the suite stays fast on a 2-core machine.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import BUSINESS_DATE, bill_mapping

from ingestion.mapping import loads_mapping, shipped_mapping
from ingestion.parser import ParseResult, parse_bytes

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BILL = bill_mapping()
HEADERS = {"bill_no": "账单号", "bill_date": "账单日期", "waybill_no": "运单号", "weight": "计费重量(kg)",
           "amount": "金额", "currency": "币种"}


def run(data: bytes, mapping, filename: str) -> ParseResult:
    result = parse_bytes(data, mapping, source="fuzz", source_file=f"fuzz/{filename}", business_date=BUSINESS_DATE)
    check_invariants(result)
    return result


def check_invariants(result: ParseResult) -> None:
    """What must hold for any input whatsoever."""
    assert result.rows_read == result.rows_ok + result.rows_quarantined
    q = result.quarantine
    if result.file_error is not None:
        assert not result.file_error.startswith("unexpected read failure"), result.file_error
        assert result.rows_read == 0 and result.frame.height == 0
        assert q.height == 1 and q["row_number"].to_list() == [None] and q["field"].to_list() == ["<file>"]
    else:
        assert q["row_number"].null_count() == 0
        numbers = q["row_number"].to_list() + result.frame["row_number"].to_list()
        assert all(n >= 1 for n in numbers)
    assert q["source_file"].to_list() == [result.source_file] * q.height
    assert all(f for f in q["field"].to_list()) and all(r for r in q["reason"].to_list())
    frame = result.frame
    if "amount" in frame.columns and frame.height:
        assert frame["bill_no"].null_count() == 0 and frame["amount"].null_count() == 0
        weights = frame["billed_weight_kg"].drop_nulls()
        assert (weights >= 0).all()


# -- any bytes at all, in every format ----------------------------------------------------------------

EDI = shipped_mapping("ups_edi210")
JSON_MAP = loads_mapping(
    'contract = "fx_rates"\nformat = "json"\nrecords = "rates"\n[columns.rate_date]\nfrom = "d"\n'
    '[columns.base_currency]\nfrom = "b"\n[columns.quote_currency]\nfrom = "q"\n[columns.rate]\nfrom = "r"\n', name="j")
XML_MAP = loads_mapping(
    'contract = "fx_rates"\nformat = "xml"\nrecord_path = "Rate"\n[columns.rate_date]\nfrom = "@d"\n'
    '[columns.base_currency]\nfrom = "B"\n[columns.quote_currency]\nfrom = "Q"\n[columns.rate]\nfrom = "R"\n', name="x")


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes_never_crash_any_reader(data):
    for mapping, name in ((BILL, "f.csv"), (BILL, "f.xlsx"), (JSON_MAP, "f.json"), (XML_MAP, "f.xml"),
                          (BILL, "f.pdf"), (EDI, "f.edi")):
        run(data, mapping, name)


@FUZZ
@given(prefix=st.sampled_from([b"PK\x03\x04", b"%PDF-1.4\n", b"ISA*00*", b"<?xml version='1.0'?><Rates>", b'{"rates": [']),
       tail=st.binary(max_size=2000))
def test_plausible_openings_followed_by_garbage(prefix, tail):
    for mapping, name in ((BILL, "f.xlsx"), (BILL, "f.pdf"), (EDI, "f.edi"), (XML_MAP, "f.xml"), (JSON_MAP, "f.json")):
        run(prefix + tail, mapping, name)


@FUZZ
@given(records=st.lists(st.dictionaries(st.sampled_from(["d", "b", "q", "r", "zz"]),
                                        st.one_of(st.none(), st.text(max_size=12), st.integers(), st.floats(),
                                                  st.booleans(), st.lists(st.integers(), max_size=2)),
                                        max_size=5), max_size=20))
def test_json_records_of_any_shape(records):
    result = run(json.dumps({"rates": records}).encode(), JSON_MAP, "f.json")
    assert result.file_error is None and result.rows_read == len(records)


# -- generated bills with an oracle --------------------------------------------------------------------

def _amount_cells():
    """(cell text, value or None when the text is not a valid amount)."""
    def render(value: Decimal, style: int) -> str:
        text = f"{abs(value):,.2f}"
        sign = value < 0
        if style == 0:
            return ("-" if sign else "") + text.replace(",", "")
        if style == 1:
            return ("-" if sign else "") + text
        if style == 2:
            return f"({text})" if sign else f"¥{text}"
        return ("-" if sign else "") + f"{text} 元"

    good = st.builds(lambda v, s: (render(v, s), v),
                     st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
                     st.integers(0, 3))
    bad = st.sampled_from(["abc", "12abc", "1,2,3", "--1", "1.2.3", "n/a", "¥"]).map(lambda t: (t, None))
    return st.one_of(good, good, bad)


def _date_cells():
    good = st.builds(lambda d, f: (d.strftime(f), d), st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
                     st.sampled_from(["%Y/%m/%d", "%Y-%m-%d"]))
    bad = st.sampled_from(["2026/02/30", "2026-13-01", "1999-12-31", "yesterday", "2026/1/32", "0000-00-00"])
    return st.one_of(good, good, good, bad.map(lambda t: (t, None)))


def _weight_cells():
    good = st.floats(min_value=0, max_value=10_000, allow_nan=False).map(lambda w: (f"{w:.3f}", round(w, 3)))
    negative = st.floats(min_value=-10_000, max_value=-0.01).map(lambda w: (f"{w:.3f}", None))
    empty = st.just(("", "empty"))
    return st.one_of(good, good, negative, empty, st.just(("heavy", None)))


def _currency_cells():
    good = st.sampled_from(["CNY", "usd", " EUR ", "gbp"]).map(lambda c: (c, c.strip().upper()))
    return st.one_of(good, good, st.just(("", "CNY")), st.sampled_from(["RMB", "US$", "元"]).map(lambda c: (c, None)))


_TEXT = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd", "Lo"), max_codepoint=0x9FFF),
                min_size=0, max_size=8)

ROW = st.fixed_dictionaries({
    "bill_no": _TEXT.map(lambda t: (t, t or None)),
    "bill_date": _date_cells(),
    "waybill_no": _TEXT.map(lambda t: (t, t or None)),
    "weight": _weight_cells(),
    "amount": _amount_cells(),
    "currency": _currency_cells(),
})


def _valid(row: dict) -> bool:
    return all(row[k][1] is not None for k in ("bill_no", "bill_date", "amount", "currency")) and row["weight"][1] is not None


def _write(rows: list[dict], order: list[str], extra: bool, delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow([HEADERS[k] for k in order] + (["备注"] if extra else []))
    for row in rows:
        writer.writerow([row[k][0] for k in order] + (["note, with delimiter"] if extra else []))
    return out.getvalue()


@FUZZ
@given(rows=st.lists(ROW, min_size=1, max_size=25), order=st.permutations(list(HEADERS)), extra=st.booleans(),
       delimiter=st.sampled_from([",", "\t", ";"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_generated_bills_match_the_oracle(rows, order, extra, delimiter, encoding):
    text = _write(rows, list(order), extra, delimiter)
    result = run(text.encode(encoding), BILL, "bill.csv")
    assert result.file_error is None
    assert result.rows_read == len(rows)
    expected_ok = [i for i, row in enumerate(rows, start=1) if _valid(row)]
    assert result.frame["row_number"].to_list() == expected_ok
    for got in result.frame.iter_rows(named=True):
        row = rows[got["row_number"] - 1]
        assert got["amount"] == row["amount"][1]
        assert got["bill_date"] == row["bill_date"][1]
        assert got["currency"] == row["currency"][1]
        weight = row["weight"][1]
        assert got["billed_weight_kg"] == (None if weight == "empty" else weight)
    # Every rejected row names the first field the oracle would have flagged.
    for q in result.quarantine.iter_rows(named=True):
        assert q["row_number"] not in expected_ok and q["field"] in {
            "bill_no", "bill_date", "billed_weight_kg", "amount", "currency"}


@FUZZ
@given(rows=st.lists(ROW, min_size=1, max_size=15), order=st.permutations(list(HEADERS)),
       drop=st.sets(st.sampled_from(list(HEADERS)), min_size=1, max_size=3), cut=st.floats(0, 1),
       wrong_encoding=st.booleans())
def test_missing_columns_truncation_and_wrong_encodings_never_lose_rows(rows, order, drop, cut, wrong_encoding):
    kept = [k for k in order if k not in drop]
    text = _write(rows, kept, False, ",") if kept else ""
    data = text.encode("gb18030")
    if wrong_encoding:
        data = text.encode("utf-16-le")  # no BOM: reads as garbage or not at all
    data = data[: int(len(data) * cut)]
    result = run(data, BILL, "bill.csv")
    required_dropped = {"bill_no", "bill_date", "amount"} & drop
    if required_dropped and not wrong_encoding and result.file_error is None:
        # the header was still found, so the missing required column must have been reported
        raise AssertionError(f"missing {required_dropped} not reported")


@FUZZ
@given(rows=st.lists(ROW, min_size=2, max_size=15), cut_in_row=st.integers(1, 10))
def test_truncation_inside_the_last_row_quarantines_only_that_row(rows, cut_in_row):
    text = _write(rows, list(HEADERS), False, ",").rstrip("\n")
    last_line_start = text.rindex("\n") + 1
    last_line = text[last_line_start:]
    if "," not in last_line[:-1]:
        return
    # cut before the last field separator, so the last row is visibly short
    cut_at = last_line_start + min(cut_in_row, last_line.rindex(","))
    result = run(text[:cut_at].encode(), BILL, "bill.csv")
    n = len(rows)
    assert result.rows_read == n
    assert n not in result.frame["row_number"].to_list()
    assert n in result.quarantine["row_number"].to_list()
    expected_ok = [i for i, row in enumerate(rows[:-1], start=1) if _valid(row)]
    assert result.frame["row_number"].to_list() == expected_ok

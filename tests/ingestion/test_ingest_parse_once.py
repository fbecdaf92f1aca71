"""Work the parser does once per file, not once per copy: the hash off the critical path, a re-sent file's
rows reused under its own name, UTF-8 checked without building a Python str."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st
from ingest_helpers import BUSINESS_DATE

from ingestion.parser import RepeatedFiles, parse_bytes
from ingestion.readers import UnreadableFile
from ingestion.readers.encoding import decode, utf8_body, utf8_head

BILL = ("账单号,账单日期,运单号,计费重量(kg),金额,币种\n"
        "B1,2026/01/05,SF001,1.5,\"￥1,234.50\",CNY\n"
        "B1,2026/01/05,SF002,x,12.00,CNY\n"
        "B1,2026/01/05,SF003,2,7.00,CNY\n").encode()


def _parse(repeated: RepeatedFiles, data: bytes, name: str, mapping):
    return repeated.parse(data, mapping, source="carrier_bills", source_file=f"carrier_bills/2026-01-06/{name}",
                          business_date=BUSINESS_DATE)


def test_the_file_hash_is_the_sha256_of_its_bytes_on_every_row(bill_mapping):
    result = parse_bytes(BILL, bill_mapping, source="carrier_bills", source_file="b.csv", business_date=BUSINESS_DATE)
    digest = hashlib.sha256(BILL).hexdigest()
    assert result.file_sha256 == digest
    assert result.frame["file_sha256"].to_list() == [digest, digest]
    assert result.quarantine["file_sha256"].to_list() == [digest]


def test_a_resent_file_takes_the_first_parse_under_its_own_name(bill_mapping):
    repeated = RepeatedFiles()
    first = _parse(repeated, BILL, "SF_bill.csv", bill_mapping)
    again = _parse(repeated, bytes(BILL), "SF_bill_resend.csv", bill_mapping)
    assert again.source_file == "carrier_bills/2026-01-06/SF_bill_resend.csv"
    assert set(again.frame["source_file"]) == set(again.quarantine["source_file"]) == {again.source_file}
    assert set(first.frame["source_file"]) == {first.source_file}  # the first parse is not renamed
    assert again.frame.drop("source_file").equals(first.frame.drop("source_file"))
    assert again.quarantine.drop("source_file").equals(first.quarantine.drop("source_file"))
    assert (again.rows_read, again.rows_ok, again.rows_quarantined) == (3, 2, 1)
    assert again.file_sha256 == first.file_sha256 == hashlib.sha256(BILL).hexdigest()


def test_different_bytes_of_the_same_length_are_parsed_on_their_own(bill_mapping):
    repeated = RepeatedFiles()
    _parse(repeated, BILL, "a.csv", bill_mapping)
    other = BILL.replace(b"SF003", b"SF009")
    assert len(other) == len(BILL)
    result = _parse(repeated, other, "b.csv", bill_mapping)
    assert result.frame["waybill_no"].to_list() == ["SF001", "SF009"]
    assert result.file_sha256 == hashlib.sha256(other).hexdigest()


def test_the_same_bytes_under_another_extension_are_read_by_its_format(bill_mapping):
    repeated = RepeatedFiles()
    as_csv = _parse(repeated, BILL, "bill.csv", bill_mapping)
    as_tsv = _parse(repeated, BILL, "bill.tsv", bill_mapping)  # a .tsv is split at tabs: no header found
    assert as_csv.file_error is None and as_csv.rows_ok == 2
    assert as_tsv.file_error is not None and as_tsv.rows_ok == 0


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@given(text=_TEXT, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
       declared=st.sampled_from([None, "auto", "utf-8", "UTF8", "gbk"]))
def test_utf8_body_agrees_with_decode(text, encoding, declared):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    quick = utf8_body(data, declared)
    if quick is None:
        return  # decode decides (another encoding, or not UTF-8)
    body, name = quick
    assert decode(data, declared) == (body.decode("utf-8"), name)


@given(data=st.binary(max_size=40), declared=st.sampled_from([None, "utf-8"]))
def test_utf8_body_accepts_only_what_the_strict_codec_accepts(data, declared):
    quick = utf8_body(data, declared)
    try:
        expected = decode(data, declared)
    except UnreadableFile:
        assert quick is None
        return
    if expected[1] in ("utf-8", "utf-8-sig"):
        assert quick is not None and (quick[0].decode("utf-8"), quick[1]) == expected
    else:
        assert quick is None


@given(text=_TEXT, chars=st.integers(min_value=0, max_value=70))
def test_utf8_head_is_the_first_characters(text, chars):
    assert utf8_head(text.encode("utf-8"), chars) == text[:chars]

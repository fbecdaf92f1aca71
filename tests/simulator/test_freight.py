"""Freight simulator: rate cards and carrier bills in seven formats, and the planted freight errors.

Every bill is re-read with the standard reader of its format (csv with its encoding, openpyxl,
xml.etree, json, pdfplumber, and a plain X12 segment split) into one logical shape, then checked
against the contract oracle `expected_charge`: clean lines must equal it to the cent and every
planted error must sit in the file exactly where, and with the effect, the manifest says.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pdfplumber
import polars as pl
import pytest

from simulator.catalog import CARRIERS, by_id, zone_for
from simulator.frames import SHIPMENTS, conform
from simulator.freight import card_in_force, expected_charge, rate_cards, write_freight
from simulator.freight.bill_lines import CNY_PER_USD
from simulator.freight.formats.edi210 import L1_CODES, OTHER_L1_CODES
from simulator.freight.formats.flat import SPECS
from simulator.freight.formats.pdf_bill import COLUMNS as PDF_COLUMNS
from simulator.freight.formats.xml_bill import TAGS
from simulator.freight.rate_cards import ACCESSORIAL_CODES, version_dates
from simulator.manifest import TYPES, Manifest

START = date(2026, 9, 18)  # a Friday: one monthly close (Sep) and three weekly closes fall inside
DAYS = 21
END = START + timedelta(days=DAYS)
SEED = 11
PER_DAY = 300  # orders a day in the whole-simulator run
SYNTHETIC_PER_DAY = 150  # parcels a day in the synthetic run, spread evenly over all carriers

_REGIONS = {
    "CN": ("GD", "ZJ", "JS", "SH", "GX", "SC", "XJ", "XZ"),
    "US": ("CA", "TX", "NY", "FL", "WA", "AK"),
    "EU": ("DE", "FR", "NL"),
}
_XB_COUNTRIES = ("US", "GB", "DE", "FR")


def synthetic_shipments(start: date, days: int, per_day: int, seed: int) -> pl.DataFrame:
    """Parcels conforming to frames.SHIPMENTS for every carrier and service.

    Each day has its own generator, so a longer run has the same parcels on the same days (what the
    horizon-independence test relies on).
    """
    return pl.concat([_synthetic_day(start + timedelta(days=d), d, per_day, seed) for d in range(days)])


def _synthetic_day(day: date, ordinal: int, n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng([seed, ordinal])
    pairs = [(c.id, s) for c in CARRIERS for s in c.services]
    pick = rng.integers(0, len(pairs), n)
    carrier = [pairs[i][0] for i in pick]
    service = [pairs[i][1] for i in pick]
    country, region = [], []
    for c in carrier:  # small test frames only
        if c in ("SF", "ZTO", "YTO"):
            country.append("CN")
            region.append(_REGIONS["CN"][int(rng.integers(0, len(_REGIONS["CN"])))])
        elif c in ("UPS", "FEDEX", "USPS"):
            country.append("US")
            region.append(_REGIONS["US"][int(rng.integers(0, len(_REGIONS["US"])))])
        elif c in ("CAINIAO", "4PX"):
            country.append(_XB_COUNTRIES[int(rng.integers(0, len(_XB_COUNTRIES)))])
            region.append("X")
        elif c == "DHL":
            country.append(_REGIONS["EU"][int(rng.integers(0, len(_REGIONS["EU"])))])
            region.append("BY")
        else:
            country.append("GB")
            region.append("LND")
    frame = pl.DataFrame({
        "waybill_no": [f"{c[:2]}{ordinal:03d}{i:07d}" for i, c in enumerate(carrier)],
        "order_no": [f"ORD{ordinal:03d}{i:07d}" for i in range(n)],
        "channel": ["test"] * n,
        "warehouse_id": [by_id(CARRIERS, c).ships_from[0] for c in carrier],
        "carrier": carrier,
        "service": service,
        "ship_ts": [datetime(day.year, day.month, day.day, 9, tzinfo=UTC)] * n,
        "ship_date": [day] * n,
        "delivered_ts": [None] * n,
        "actual_weight_kg": np.round(rng.uniform(0.05, 9.0, n), 3),
        "length_cm": np.round(rng.uniform(8, 75, n), 1),
        "width_cm": np.round(rng.uniform(5, 40, n), 1),
        "height_cm": np.round(rng.uniform(1, 30, n), 1),
        "dest_country": country,
        "dest_region": region,
        "zone": [zone_for(c, k, r) for c, k, r in zip(carrier, country, region, strict=True)],
    })
    return conform(frame, SHIPMENTS)


@dataclass
class Run:
    out: Path
    shipments: pl.DataFrame
    manifest: pl.DataFrame
    counts: dict[str, int]
    seed: int = SEED
    end: date = END


def simulate_freight(out: Path, *, days: int = DAYS, per_day: int = SYNTHETIC_PER_DAY, seed: int = SEED) -> Run:
    shipments = synthetic_shipments(START, days, per_day, seed=1)
    manifest = Manifest()
    end = START + timedelta(days=days)
    counts = write_freight(shipments, start=START, end=end, seed=seed, out=out, manifest=manifest)
    manifest.write(out)
    return Run(out, shipments, manifest.frame(), counts, seed, end)


def simulate_business(out: Path) -> Run:
    """The whole simulator (S1's business core calls write_freight); parcels re-read from its waybill files."""
    from simulator import simulate

    summary = simulate(out, start=START, days=DAYS, orders_per_day=PER_DAY, seed=SEED)
    columns = ["waybill_no", "order_no", "carrier", "service", "ship_date", "actual_weight_kg", "length_cm",
               "width_cm", "height_cm", "dest_country", "dest_region", "zone"]
    frames = [pl.read_csv(path, schema_overrides={"ship_date": pl.Date, "waybill_no": pl.Utf8, "zone": pl.Utf8,
                                                  "order_no": pl.Utf8, "dest_region": pl.Utf8})
              .filter(pl.col("event") == "shipped").select(columns)
              for path in sorted((out / "shipments").rglob("*.csv"))]
    counts = {k: v for k, v in summary.rows.items() if k in ("rate_cards", "carrier_bills")}
    return Run(out, pl.concat(frames), pl.read_parquet(out / "_manifest" / "anomalies.parquet"), counts)


@pytest.fixture(scope="module", params=["synthetic", "simulate"])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Every file check runs on a synthetic parcel frame and on the real business core's parcels."""
    out = tmp_path_factory.mktemp(request.param)
    return simulate_freight(out) if request.param == "synthetic" else simulate_business(out)


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return simulate_freight(tmp_path_factory.mktemp("freight"))


@pytest.fixture(scope="module")
def cards(run: Run) -> dict:
    return rate_cards(run.seed, START, run.end)


# ---------------------------------------------------------------------------------------------
# Readers: each bill format back into logical lines, with the format's standard reader.


def parse_money(text: str) -> Decimal:
    return Decimal(text.replace("￥", "").replace(",", "").strip() or "0")


def _flat_record(row: dict, carrier: str) -> dict:
    """A CSV/XLSX row (header -> value) as a logical line."""
    spec = SPECS[carrier]
    field = {name: header for header, name in spec.columns}
    money = lambda name: parse_money(str(row[field[name]])) if name in field else Decimal(0)  # noqa: E731
    shipped = row[field["ship_date"]]
    if isinstance(shipped, datetime):
        shipped = shipped.date()
    elif isinstance(shipped, str):
        shipped = datetime.strptime(shipped, spec.date_format).date()
    return {
        "bill_no": str(row[field["bill_no"]]), "line_no": int(row[field["line_no"]]),
        "waybill_no": str(row[field["waybill_no"]]), "ship_date": shipped, "zone": str(row[field["zone"]]),
        "billed_weight": Decimal(str(row[field["billed_weight"]])), "base": money("base"), "fuel": money("fuel"),
        "remote": money("remote"), "oversize": money("oversize"), "residential": money("residential"),
        "other": money("other"), "other_code": row[field["other_code"]] or "", "total": money("total"),
        "currency": str(row[field["currency"]]),
    }


def read_csv_bill(path: Path, carrier: str) -> list[dict]:
    spec = SPECS[carrier]
    with path.open(encoding=spec.encoding, newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == [h for h, _ in spec.columns]
        return [_flat_record(row, carrier) for row in reader]


def read_xlsx_bill(path: Path, carrier: str) -> list[dict]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    headers = list(rows[0])
    assert headers == [h for h, _ in SPECS[carrier].columns]
    return [_flat_record(dict(zip(headers, r, strict=True)), carrier) for r in rows[1:]]


def read_xml_bill(path: Path, carrier: str) -> list[dict]:
    t = TAGS[carrier]
    root = ET.parse(path).getroot()
    assert root.tag == t["root"]
    bill_no = root.find(f"{t['header']}/{t['number']}").text
    lines = []
    for el in root.find(t["lines"]).findall(t["line"]):
        charges = {c.find(t["code"]).text: Decimal(c.find(t["value"]).text)
                   for c in el.find(t["charges"]).findall(t["charge"])}
        known = {"FREIGHT", "FUEL", *ACCESSORIAL_CODES}
        other = [code for code in charges if code not in known]
        lines.append({
            "bill_no": bill_no, "line_no": int(el.find(t["line_no"]).text),
            "waybill_no": el.find(t["waybill"]).text,
            "ship_date": date.fromisoformat(el.find(t["ship_date"]).text), "zone": el.find(t["zone"]).text,
            "billed_weight": Decimal(el.find(t["weight"]).text), "base": charges.get("FREIGHT", Decimal(0)),
            "fuel": charges.get("FUEL", Decimal(0)), "remote": charges.get("REMOTE", Decimal(0)),
            "oversize": charges.get("OVERSIZE", Decimal(0)), "residential": charges.get("RESIDENTIAL", Decimal(0)),
            "other": sum((charges[c] for c in other), Decimal(0)), "other_code": ",".join(other),
            "total": Decimal(el.find(t["total"]).text), "currency": el.find(t["currency"]).text,
        })
    return lines


def read_json_bill(path: Path, carrier: str) -> list[dict]:
    payload = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    assert payload["success"] is True and payload["code"] == "0000"
    data = payload["data"]
    assert data["totalCount"] == len(data["details"])
    lines = []
    for d in data["details"]:
        extra = {f["feeCode"]: f["amount"] for f in d["fees"]["extraFees"]}
        other = [code for code in extra if code not in ACCESSORIAL_CODES]
        lines.append({
            "bill_no": data["billNo"], "line_no": d["seq"], "waybill_no": d["mailNo"],
            "ship_date": date.fromisoformat(d["shipDate"]), "zone": d["zone"],
            "billed_weight": d["chargeWeight"], "base": d["fees"]["freight"], "fuel": d["fees"]["fuelSurcharge"],
            "remote": extra.get("REMOTE", Decimal(0)), "oversize": extra.get("OVERSIZE", Decimal(0)),
            "residential": extra.get("RESIDENTIAL", Decimal(0)),
            "other": sum((extra[c] for c in other), Decimal(0)), "other_code": ",".join(other),
            "total": d["totalFee"], "currency": d["currency"],
        })
    return lines


def edi_segments(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="ascii")
    assert text.endswith("|\n")
    return [segment.split("*") for segment in text[:-2].split("|\n")]


def read_edi_bill(path: Path, carrier: str) -> list[dict]:
    codes = {code: column.removesuffix("_cents").replace("base", "base") for code, column in L1_CODES}
    other_codes = {v: k for k, v in OTHER_L1_CODES.items()}
    lines: list[dict] = []
    invoice = currency = None
    for seg in edi_segments(path):
        tag = seg[0]
        if tag == "B3":
            invoice = seg[2]
        elif tag == "C3":
            currency = seg[1]
        elif tag == "LX":
            line = {"bill_no": invoice, "invoice_line": int(seg[1]), "line_no": len(lines) + 1,
                    "currency": currency, "other_code": "", "total": Decimal(0),
                    **{k: Decimal(0) for k in ("base", "fuel", "remote", "oversize", "residential", "other")}}
            lines.append(line)
        elif tag == "N9" and seg[1] == "CN":
            lines[-1]["waybill_no"] = seg[2]
            lines[-1]["ship_date"] = datetime.strptime(seg[4], "%Y%m%d").date()
        elif tag == "L0":
            lines[-1]["billed_weight"] = Decimal(seg[4])
            assert seg[5] == "B" and seg[11] == "L"
        elif tag == "L1":
            amount = Decimal(seg[4]) / 100
            if seg[8] in codes:
                lines[-1][codes[seg[8]]] += amount
            else:
                lines[-1]["other"] += amount
                lines[-1]["other_code"] = other_codes[seg[8]]
            lines[-1]["total"] += amount
        elif tag == "CD3":
            lines[-1]["zone"] = str(int(seg[3]))
    return lines


def read_pdf_bill(path: Path, carrier: str) -> list[dict]:
    headers = [h for h, _, _ in PDF_COLUMNS]
    lines = []
    with pdfplumber.open(path) as pdf:
        bill_no = pdf.pages[0].extract_text().splitlines()[0].rsplit(" ", 1)[1]
        for page in pdf.pages:
            table = page.extract_table()
            assert table[0] == headers
            for cells in table[1:]:
                row = dict(zip([n for _, n, _ in PDF_COLUMNS], cells, strict=True))
                lines.append({
                    "bill_no": bill_no, "line_no": int(row["line_no"]), "waybill_no": row["waybill_no"],
                    "ship_date": date.fromisoformat(row["ship_date"]), "zone": row["zone"],
                    "billed_weight": Decimal(row["billed_weight"]), "base": parse_money(row["base"]),
                    "fuel": parse_money(row["fuel"]), "remote": Decimal(0), "oversize": parse_money(row["oversize"]),
                    "residential": Decimal(0), "other": parse_money(row["other"]),
                    "other_code": row["other_code"] or "", "total": parse_money(row["total"]),
                    "currency": row["currency"],
                })
    return lines


READERS = {"csv_gbk_zh": read_csv_bill, "csv_en": read_csv_bill, "xlsx": read_xlsx_bill, "xml": read_xml_bill,
           "json": read_json_bill, "edi210": read_edi_bill, "pdf": read_pdf_bill}


def bill_files(run: Run) -> list[tuple[Path, str]]:
    """(path, carrier) of every original bill file (resent copies excluded)."""
    files = []
    for path in sorted((run.out / "carrier_bills").rglob("*")):
        if path.is_file() and "_resend" not in path.stem:
            files.append((path, path.name.split("_", 1)[0]))
    return files


def read_bill(path: Path, carrier: str) -> list[dict]:
    return READERS[by_id(CARRIERS, carrier).bill_format](path, carrier)


def bill_line_id(line: dict) -> str:
    return f"{line['bill_no']}-{line.get('invoice_line', line['line_no'])}"


@pytest.fixture(scope="module")
def bills(run: Run) -> dict[str, list[dict]]:
    return {path.relative_to(run.out).as_posix(): read_bill(path, carrier) for path, carrier in bill_files(run)}


def oracle(shipment: dict, cards: dict, zone: str | None = None):
    card = card_in_force(cards[shipment["carrier"]], shipment["ship_date"])
    return expected_charge(card, service=shipment["service"], zone=zone or shipment["zone"],
                           actual_weight_kg=shipment["actual_weight_kg"], length_cm=shipment["length_cm"],
                           width_cm=shipment["width_cm"], height_cm=shipment["height_cm"],
                           dest_region=shipment["dest_region"])


def shipment_index(run: Run) -> dict[str, dict]:
    return {row["waybill_no"]: row for row in run.shipments.iter_rows(named=True)}


# ---------------------------------------------------------------------------------------------
# The oracle itself.


def test_expected_charge_rounds_up_to_the_step_and_uses_volumetric_weight() -> None:
    cards = rate_cards(SEED, START, END)
    sf = card_in_force(cards["SF"], START)
    light = expected_charge(sf, service="standard", zone="Z1", actual_weight_kg=1.01, length_cm=10,
                            width_cm=10, height_cm=10, dest_region="GD")
    assert light.billed_weight == Decimal("1.5")  # SF rounds up to 0.5 kg
    first, additional = sf.services["standard"]["Z1"]
    assert light.base == first + additional
    bulky = expected_charge(sf, service="standard", zone="Z1", actual_weight_kg=0.5, length_cm=50,
                            width_cm=40, height_cm=30, dest_region="GD")
    assert bulky.billed_weight == Decimal("10.0")  # 60,000 cm3 / 6000 = 10 kg volumetric
    assert bulky.fuel == (bulky.base * sf.fuel_bp + 5000) // 10000
    remote = expected_charge(sf, service="standard", zone="Z4", actual_weight_kg=0.5, length_cm=10,
                             width_cm=10, height_cm=10, dest_region="XJ")
    assert remote.remote == sf.accessorials["REMOTE"] and remote.total > remote.base + remote.fuel


def test_expected_charge_converts_to_pounds_for_us_carriers() -> None:
    cards = rate_cards(SEED, START, END)
    ups = card_in_force(cards["UPS"], START)
    charge = expected_charge(ups, service="ground", zone="8", actual_weight_kg=2.0, length_cm=10,
                             width_cm=10, height_cm=10, dest_region="NY")
    assert charge.billed_weight == Decimal(5)  # 2 kg = 4.41 lb -> 5 lb
    assert charge.residential == ups.accessorials["RESIDENTIAL"]


def test_unknown_zone_is_a_clear_error(tmp_path: Path) -> None:
    shipments = synthetic_shipments(START, 1, 5, seed=3).with_columns(pl.lit("Z9").alias("zone"))
    with pytest.raises(ValueError, match=r"no contract rate for carrier=.* zone=Z9 \(waybill"):
        write_freight(shipments, start=START, end=START + timedelta(days=1), seed=1, out=tmp_path,
                      manifest=Manifest())


# ---------------------------------------------------------------------------------------------
# Files.


def test_every_bill_format_is_written(run: Run) -> None:
    formats = {by_id(CARRIERS, carrier).bill_format for _, carrier in bill_files(run)}
    assert formats == set(READERS)
    assert run.counts["carrier_bills"] > 0 and run.counts["rate_cards"] > 0


def test_bills_are_issued_after_their_period_closes(run: Run) -> None:
    for path, carrier in bill_files(run):
        issue = date.fromisoformat(path.parent.name)
        last_day = datetime.strptime(path.stem.split("_")[1].split("-")[1], "%Y%m%d").date()
        lag = 3 if by_id(CARRIERS, carrier).billing_period == "weekly" else 5
        assert issue == last_day + timedelta(days=lag) and issue < run.end


def test_csv_headers_encodings_and_money_formats(run: Run) -> None:
    sf = next(p for p, c in bill_files(run) if c == "SF")
    raw = sf.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    first = raw.decode("gbk").splitlines()[0]
    assert first.startswith("账单编号,序号,运单号,寄件日期")
    assert "计费重量" in first and "燃油附加费" in first and "金额" in first
    row = next(csv.DictReader(io.StringIO(raw.decode("gbk"))))
    assert row["金额"].startswith("￥") and row["寄件日期"].count("/") == 2
    usps = next(p for p, c in bill_files(run) if c == "USPS")
    assert usps.read_text(encoding="utf-8").startswith("Invoice Number,Line Number,Tracking Number")


def test_xlsx_has_typed_cells_and_fixed_properties(run: Run) -> None:
    for carrier in ("ZTO", "FEDEX"):
        path = next(p for p, c in bill_files(run) if c == carrier)
        workbook = openpyxl.load_workbook(path)
        assert workbook.properties.created == datetime(2026, 1, 1)
        assert workbook.properties.modified == datetime(2026, 1, 1)
        sheet = workbook.worksheets[0]
        assert isinstance(sheet.cell(2, 4).value, datetime)  # ship date is a real date cell
        assert isinstance(sheet.cell(2, 2).value, int)


def test_edi_envelope_and_segment_counts(run: Run) -> None:
    for path, carrier in bill_files(run):
        if carrier != "UPS":
            continue
        segments = edi_segments(path)
        assert segments[0][0] == "ISA" and len("*".join(segments[0])) == 105  # fixed-width ISA
        assert segments[1][0] == "GS" and segments[-2][0] == "GE" and segments[-1][0] == "IEA"
        assert segments[-1][2] == segments[0][13]  # IEA control = ISA control
        starts = [i for i, s in enumerate(segments) if s[0] == "ST"]
        assert int(segments[-2][1]) == len(starts) >= 1
        for st in starts:
            se = next(i for i in range(st, len(segments)) if segments[i][0] == "SE")
            assert int(segments[se][1]) == se - st + 1  # SE01 counts ST..SE inclusive
            assert segments[se][2] == segments[st][2]
            body = segments[st:se]
            l1_total = sum(int(s[4]) for s in body if s[0] == "L1")
            l3 = next(s for s in body if s[0] == "L3")
            b3 = next(s for s in body if s[0] == "B3")
            assert int(l3[5]) == l1_total == int(b3[7])
            assert {s[8] for s in body if s[0] == "L1"} >= {"400", "FUE", "295"}


def test_xml_json_pdf_headers(run: Run, bills: dict) -> None:
    for path, carrier in bill_files(run):
        fmt = by_id(CARRIERS, carrier).bill_format
        if fmt == "xml":
            root = ET.parse(path).getroot()
            t = TAGS[carrier]
            header = root.find(t["header"])
            count = int(header.find(t["count"]).text)
            assert count == len(root.find(t["lines"]).findall(t["line"]))
            total = sum(Decimal(e.text) for e in root.iter(t["total"]))
            assert Decimal(header.find(t["amount"]).text) == total
        elif fmt == "json":
            data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)["data"]
            assert data["totalAmount"] == sum(d["totalFee"] for d in data["details"])
            assert set(data["details"][0]) == {"seq", "mailNo", "shipDate", "productName", "receiverProvince",
                                               "zone", "chargeWeight", "fees", "totalFee", "currency"}
        elif fmt == "pdf":
            with pdfplumber.open(path) as pdf:
                lines = len(bills[path.relative_to(run.out).as_posix()])
                per_page = len(pdf.pages[0].extract_table()) - 1
                assert len(pdf.pages) >= -(-lines // per_page)  # as many pages as the lines need
                assert pdf.metadata["CreationDate"] == "D:20260101000000Z"
                assert "Freight Invoice" in pdf.pages[0].extract_text()


def test_rate_card_files_match_the_cards(run: Run, cards: dict) -> None:
    dates = version_dates(START, run.end)
    assert len(dates) >= 2  # at least one change of rates inside the run
    folders = sorted(p.name for p in (run.out / "rate_cards").iterdir())
    assert folders == [d.isoformat() for d in dates]
    for effective in dates:
        rates = pl.read_csv(run.out / "rate_cards" / effective.isoformat() / "rates.csv",
                            infer_schema_length=0)
        for row in rates.iter_rows(named=True):
            card = card_in_force(cards[row["carrier"]], effective)
            assert card.effective_from == effective
            first, additional = card.services[row["service"]][row["zone"]]
            assert Decimal(row["first_price"]) * 100 == first
            assert Decimal(row["additional_price"]) * 100 == additional
            assert Decimal(row["fuel_surcharge_pct"]) * 100 == card.fuel_bp
            assert row["weight_unit"] == card.weight_unit
        accessorials = pl.read_csv(run.out / "rate_cards" / effective.isoformat() / "accessorials.csv")
        assert set(accessorials["code"]) <= set(ACCESSORIAL_CODES)


# ---------------------------------------------------------------------------------------------
# Ground truth.


def planted_lines(run: Run) -> set[tuple[str, int]]:
    rows = run.manifest.filter(pl.col("row").is_not_null())
    return set(zip(rows["file"].to_list(), rows["row"].to_list(), strict=True))


def amounts(line: dict) -> dict[str, Decimal]:
    return {k: line[k] for k in ("base", "fuel", "remote", "oversize", "residential", "other", "total")}


def test_clean_lines_equal_the_contract_to_the_cent(run: Run, bills: dict, cards: dict) -> None:
    shipments = shipment_index(run)
    planted = planted_lines(run)
    checked = 0
    for file, lines in bills.items():
        for line in lines:
            assert line["total"] == line["base"] + line["fuel"] + line["remote"] + line["oversize"] \
                + line["residential"] + line["other"], (file, line["line_no"])
            if (file, line["line_no"]) in planted:
                continue
            parcel = shipments[line["waybill_no"]]
            charge = oracle(parcel, cards)
            assert line["ship_date"] == parcel["ship_date"] and line["zone"] == parcel["zone"]
            assert line["billed_weight"] == charge.billed_weight, (file, line["line_no"])
            expected = {k: charge.amount(k) for k in ("base", "fuel", "remote", "oversize", "residential")}
            assert {**expected, "other": Decimal(0), "total": charge.amount("total")} == amounts(line), \
                (file, line["line_no"])
            checked += 1
    assert checked > 0.8 * sum(len(lines) for lines in bills.values())


def test_every_freight_error_type_is_planted(run: Run) -> None:
    assert set(run.manifest.filter(pl.col("domain") == "freight")["type"]) == set(TYPES["freight"])


def test_manifest_rows_carry_the_keys_a_reconciliation_needs(run: Run) -> None:
    freight = run.manifest.filter(pl.col("domain") == "freight")
    for column in ("date", "file", "carrier", "expected_amount", "currency", "source"):
        assert freight[column].null_count() == 0, column
    line_level = freight.filter(~pl.col("type").is_in(["duplicate_bill_file", "shipped_not_billed"]))
    for column in ("row", "bill_line_id", "waybill_no", "field"):
        assert line_level[column].null_count() == 0, column
    assert freight.filter(pl.col("type") == "shipped_not_billed")["waybill_no"].null_count() == 0
    assert (freight["source"] == "carrier_bills").all()
    real = freight.filter(~pl.col("type").is_in(["duplicate_bill_file", "billed_not_shipped"]))
    assert real["order_no"].null_count() == 0  # parcels that exist are traced to their order


def test_no_parcels_means_rate_cards_and_no_bills(tmp_path: Path) -> None:
    empty = synthetic_shipments(START, 1, 1, seed=3).clear()
    manifest = Manifest()
    counts = write_freight(empty, start=START, end=END, seed=SEED, out=tmp_path, manifest=manifest)
    assert counts["carrier_bills"] == 0 and counts["rate_cards"] > 0
    assert not (tmp_path / "carrier_bills").exists() and manifest.rows == []


def test_planted_errors_are_in_the_files_as_the_manifest_says(run: Run, bills: dict, cards: dict) -> None:
    shipments = shipment_index(run)
    for item in run.manifest.filter(pl.col("domain") == "freight").iter_rows(named=True):
        kind, file = item["type"], item["file"]
        assert (run.out / file).is_file(), file
        if kind == "duplicate_bill_file":
            original = item["detail"].split("copy of ")[1].split(" ")[0]
            assert (run.out / file).read_bytes() == (run.out / original).read_bytes()
            assert Decimal(str(item["expected_amount"])) == sum(line["total"] for line in bills[original])
            continue
        lines = bills[file]
        if kind == "shipped_not_billed":
            parcel = shipments[item["waybill_no"]]
            assert item["waybill_no"] not in {line["waybill_no"] for line in lines}
            assert Decimal(str(item["expected_amount"])) == -oracle(parcel, cards).amount("total")
            continue
        line = lines[item["row"] - 1]
        assert line["line_no"] == item["row"] and line["waybill_no"] == item["waybill_no"]
        assert bill_line_id(line) == item["bill_line_id"]
        assert line["currency"] == item["currency"]
        if kind == "billed_not_shipped":
            assert item["waybill_no"] not in shipments
            assert Decimal(str(item["expected_amount"])) == line["total"]
            continue
        if kind == "duplicate_bill_line":  # the second copy has no contract behind it at all
            twins = [x for x in lines if x["waybill_no"] == item["waybill_no"]]
            assert len(twins) == 2 and amounts(twins[0]) == amounts(twins[1]) and twins[1] is line
            assert Decimal(str(item["expected_amount"])) == line["total"]
            continue
        parcel = shipments[item["waybill_no"]]
        contract = oracle(parcel, cards)
        effect = line["total"] - contract.amount("total")
        assert Decimal(str(item["expected_amount"])) == effect, item
        if kind == "overcharged_rate":
            assert line["billed_weight"] == contract.billed_weight and line["base"] > contract.amount("base")
        elif kind == "inflated_weight":
            assert line["billed_weight"] > contract.billed_weight and effect > 0
        elif kind == "wrong_zone":
            assert line["zone"] != parcel["zone"]
            assert line["base"] == oracle(parcel, cards, zone=line["zone"]).amount("base")
        elif kind == "surcharge_not_in_contract":
            assert line["other_code"] and line["other_code"] not in ACCESSORIAL_CODES
            assert effect == line["other"] > 0
        elif kind == "currency_error":
            factor = Decimal(1 / CNY_PER_USD if item["currency"] == "CNY" else CNY_PER_USD)
            assert abs(line["total"] - contract.amount("total") * factor) <= Decimal("0.04")


def test_rate_change_is_applied_by_ship_date_inside_a_period(run: Run, bills: dict, cards: dict) -> None:
    change = version_dates(START, run.end)[1]
    shipments = shipment_index(run)
    planted = planted_lines(run)
    straddling = differing = 0
    for file, lines in bills.items():
        dates = {line["ship_date"] for line in lines}
        if not (min(dates) < change <= max(dates)):
            continue
        straddling += 1
        for line in lines:
            if (file, line["line_no"]) in planted:
                continue
            parcel = shipments[line["waybill_no"]]
            versions = cards[parcel["carrier"]]
            in_force = versions[1] if line["ship_date"] >= change else versions[0]
            other = versions[0] if line["ship_date"] >= change else versions[1]
            kwargs = {"service": parcel["service"], "zone": parcel["zone"],
                      "actual_weight_kg": parcel["actual_weight_kg"], "length_cm": parcel["length_cm"],
                      "width_cm": parcel["width_cm"], "height_cm": parcel["height_cm"],
                      "dest_region": parcel["dest_region"]}
            assert line["total"] == expected_charge(in_force, **kwargs).amount("total")
            differing += line["total"] != expected_charge(other, **kwargs).amount("total")
    assert straddling >= 3  # the weekly US bills of the week of the change
    assert differing > 0  # the change matters: the wrong card would price these lines differently


# ---------------------------------------------------------------------------------------------
# Determinism, horizon independence and scale.


def tree_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "_manifest" not in p.parts}


def test_same_seed_same_bytes(synthetic_run: Run, tmp_path: Path) -> None:
    again = simulate_freight(tmp_path)
    assert tree_hashes(again.out) == tree_hashes(synthetic_run.out)
    assert again.manifest.equals(synthetic_run.manifest)


def test_longer_horizon_keeps_earlier_files_identical(synthetic_run: Run, tmp_path: Path) -> None:
    longer = simulate_freight(tmp_path, days=DAYS + 12)
    before, after = tree_hashes(synthetic_run.out), tree_hashes(longer.out)
    assert all(after[name] == digest for name, digest in before.items())
    assert len(after) > len(before)  # the later closes arrive


def test_volume_scales_with_parcels(tmp_path: Path) -> None:
    small = simulate_freight(tmp_path / "small", per_day=100)
    large = simulate_freight(tmp_path / "large", per_day=200)
    ratio = large.counts["carrier_bills"] / small.counts["carrier_bills"]
    assert 1.8 < ratio < 2.2

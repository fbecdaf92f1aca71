"""Freight side of the simulated business: contract rate cards and the carriers' bills.

`write_freight` turns the shipments ground truth into what a seller actually receives: rate card
files per effective date and, per carrier and billing period, a bill in that carrier's own format with
a few realistic errors planted and recorded in the manifest (see simulator/README.md, "Freight").
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from simulator.catalog import CARRIERS, Carrier
from simulator.frames import SHIPMENTS, conform
from simulator.freight.bill_lines import DEFAULT_LINE_ERROR_RATE, BillLines, build_bill_lines
from simulator.freight.formats import EXTENSIONS, WRITERS
from simulator.freight.formats.common import BillHeader
from simulator.freight.periods import BillingPeriod, issued_periods
from simulator.freight.rate_card_files import write_rate_cards
from simulator.freight.rate_cards import (
    Charge,
    RateCard,
    card_in_force,
    expected_charge,
    price_shipments,
    rate_cards,
    version_dates,
)
from simulator.manifest import Manifest

STREAM_BILLS = 2102  # rng stream id of bill planting
DEFAULT_DUPLICATE_FILE_RATE = 0.05  # share of bills delivered twice (plus one guaranteed, see below)
SOURCE = "carrier_bills"
BILL_INPUT_COLUMNS = (
    "carrier", "waybill_no", "order_no", "ship_date", "service", "zone", "dest_country", "dest_region", "version",
    "billed_weight_tenths", "base_cents", "fuel_cents", "remote_cents", "oversize_cents", "residential_cents",
    "total_cents",
)

ACCOUNTS = {"SF": "7551234567", "ZTO": "ZT0755889", "YTO": "K755123456", "CAINIAO": "CN2088123",
            "4PX": "SZ10086", "UPS": "A17X93", "FEDEX": "612345678", "USPS": "EPS90312",
            "DHL": "6312345678", "ROYALMAIL": "0123456789"}

__all__ = ["Charge", "RateCard", "card_in_force", "expected_charge", "rate_cards", "write_freight",
           "bill_number", "bill_file_name"]


def bill_number(carrier: str, period: BillingPeriod) -> str:
    """Bill numbers in each carrier's own style (they are what finance quotes in a dispute)."""
    last = period.last_day
    ym = f"{last:%Y%m}"
    iso_year, iso_week, _ = last.isocalendar()
    return {
        "SF": f"SFZD{ym}0001", "ZTO": f"ZTO{ym}00012", "YTO": f"YTO{ym}8801", "CAINIAO": f"CNB{ym}000071",
        "4PX": f"4PX-INV-{ym}-0031", "UPS": f"000000{ACCOUNTS['UPS']}{iso_week:02d}{iso_year % 10}",
        "FEDEX": f"7{last:%y%j}041", "USPS": f"USPS{last:%Y%m%d}", "DHL": f"DE{ym}00041",
        "ROYALMAIL": f"RM{ym}0007",
    }[carrier]


def bill_file_name(carrier: Carrier, period: BillingPeriod) -> str:
    return f"{carrier.id}_{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.{EXTENSIONS[carrier.bill_format]}"


def write_freight(shipments: pl.DataFrame, *, start: date, end: date, seed: int, out: Path,
                  manifest: Manifest, error_rate: float = DEFAULT_LINE_ERROR_RATE,
                  duplicate_file_rate: float = DEFAULT_DUPLICATE_FILE_RATE) -> dict[str, int]:
    """Write rate cards and every bill issued in [start, end); returns rows written per source.

    error_rate: extra planted errors of each line-level type per 1,000 bill lines (each bill of at
    least 40 lines gets one of every type regardless). duplicate_file_rate: chance a bill file is
    delivered a second time under another name.
    """
    shipments = conform(shipments, SHIPMENTS)
    cards = rate_cards(seed, start, end)
    card_rows = sum(write_rate_cards(cards, effective, out) for effective in version_dates(start, end))
    shipments = shipments.filter(pl.col("ship_date").is_between(start, end, closed="left"))
    _check_contracted(shipments, cards)
    bill_rows = 0
    forced_duplicate_done = False
    for index, carrier in enumerate(CARRIERS):
        periods = issued_periods(carrier, start, end)
        if not periods:
            continue
        parcels = shipments.filter((pl.col("carrier") == carrier.id)
                                   & (pl.col("ship_date") <= periods[-1].issue_date))
        for period_index, period in enumerate(periods):
            in_period = parcels.filter(pl.col("ship_date").is_between(period.first_day, period.last_day))
            if in_period.height == 0:
                continue  # nothing shipped, nothing billed
            rng = np.random.default_rng([seed, STREAM_BILLS, index, period.ordinal])
            duplicate = bool(rng.random() < duplicate_file_rate)
            if carrier.billing_period == "weekly" and period_index == 0 and not forced_duplicate_done:
                duplicate = forced_duplicate_done = True  # so every run with a weekly bill has one
            known = parcels.filter(pl.col("ship_date") <= period.issue_date)["waybill_no"]
            priced = price_shipments(in_period, cards).select(BILL_INPUT_COLUMNS)
            bill = build_bill_lines(priced, cards[carrier.id], carrier.currency, rng, known, error_rate=error_rate)
            bill_rows += _write_bill(carrier, period, start, bill, priced, out, manifest, duplicate)
    return {"rate_cards": card_rows, SOURCE: bill_rows}


def _check_contracted(shipments: pl.DataFrame, cards: dict[str, list[RateCard]]) -> None:
    """Fail on the first parcel no contract prices, naming it, before any bill is written."""
    combos = shipments.group_by("carrier", "service", "zone").agg(pl.col("waybill_no").min()).sort(
        "carrier", "service", "zone")
    for carrier, service, zone, waybill in combos.iter_rows():
        versions = cards.get(carrier)
        if versions is None or zone not in versions[0].services.get(service, {}):
            raise ValueError(f"no contract rate for carrier={carrier} service={service} zone={zone} "
                             f"(waybill {waybill})")


def _write_bill(carrier: Carrier, period: BillingPeriod, start: date, bill: BillLines, parcels: pl.DataFrame,
                out: Path, manifest: Manifest, duplicate: bool) -> int:
    lines = bill.lines
    header = BillHeader(
        carrier=carrier.id, carrier_name=carrier.name, bill_no=bill_number(carrier.id, period),
        account_no=ACCOUNTS[carrier.id], period_start=max(period.first_day, start), period_end=period.last_day,
        issue_date=period.issue_date, due_date=period.due_date, currency=carrier.currency,
        weight_unit=carrier.weight_unit, total_cents=int(lines["total_cents"].sum()), line_count=lines.height,
    )
    folder = out / SOURCE / period.issue_date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / bill_file_name(carrier, period)
    written_ids = WRITERS[carrier.bill_format](lines, header, path)

    def line_id(line_no: int | None) -> str | None:
        if line_no is None:
            return None
        return written_ids[line_no - 1] if written_ids is not None else f"{header.bill_no}-{line_no}"
    relative = path.relative_to(out).as_posix()
    orders = dict(parcels.filter(pl.col("waybill_no").is_in([p.waybill_no for p in bill.planted]))
                  .select("waybill_no", "order_no").iter_rows())
    for item in bill.planted:
        manifest.add(
            item.type, item.ship_date, source=SOURCE, file=relative, row=item.line_no, field=item.field,
            waybill_no=item.waybill_no, order_no=orders.get(item.waybill_no) if item.type != "billed_not_shipped"
            else None, bill_line_id=line_id(item.line_no),
            carrier=carrier.id, expected_amount=item.effect_cents / 100, currency=carrier.currency,
            detail=item.detail,
        )
    if duplicate:
        copy = path.with_name(f"{path.stem}_resend{path.suffix}")
        shutil.copyfile(path, copy)
        manifest.add("duplicate_bill_file", period.issue_date, source=SOURCE, file=copy.relative_to(out).as_posix(),
                     carrier=carrier.id, expected_amount=header.total_cents / 100, currency=carrier.currency,
                     detail=f"byte-identical copy of {relative} ({header.bill_no})")
    return lines.height * (2 if duplicate else 1)

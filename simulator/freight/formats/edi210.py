"""ANSI X12 EDI 210 (motor carrier freight invoice) as UPS sends it, shaped like the real sample.

One interchange (ISA/GS) per weekly bill, one transaction set (ST..SE) per service, as UPS splits
invoices. Per parcel: LX, N9*CN (tracking no and ship date), L0 (billed weight), one L1 per charge
(amount in cents in L104, charge code in L108: 400 base, FUE fuel, 295 residential, ...), N1/N4 for
the consignee, CD3 (billed weight and zone); L3 carries the invoice total and SE the segment count.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from simulator.freight.formats.common import BillHeader

SEGMENT_END = "|\n"
# L108 special charge codes (3 characters); NOT_IN_CONTRACT codes get their own.
L1_CODES = (("400", "base_cents"), ("FUE", "fuel_cents"), ("295", "residential_cents"),
            ("DAS", "remote_cents"), ("AHC", "oversize_cents"))
OTHER_L1_CODES = {"PEAK": "PKS", "ADDRESS_CORRECTION": "ADC", "SIGNATURE": "SIG"}
SERVICE_CODES = {"ground": "GND", "2day": "2DA"}
SHIPPER = ("TALLYHOUSE TRADING", "1200 E OLYMPIC BLVD", "LOS ANGELES", "CA", "90021", "US")
RECEIVER_ID = "TALLYHOUSE"


def invoice_numbers(header: BillHeader, services: list[str]) -> dict[str, str]:
    """One invoice per service: the bill no with the service's ordinal as a suffix."""
    return {service: f"{header.bill_no}{i}" for i, service in enumerate(sorted(services), start=1)}


def _l1(n: pl.Expr, code: pl.Expr, column: str) -> pl.Expr:
    """An L1 segment when the charge is non-zero (null otherwise, dropped before joining)."""
    segment = pl.concat_str([pl.lit("L1*"), n, pl.lit("***"), pl.col(column).cast(pl.Utf8), pl.lit("****"),
                             code, pl.lit(SEGMENT_END)])
    return pl.when(pl.col(column) != 0).then(segment).otherwise(None)


def line_segments(lines: pl.DataFrame) -> pl.DataFrame:
    """Text of each parcel's LX loop and its segment count, for lines of one invoice (column lx set)."""
    n = pl.col("lx").cast(pl.Utf8)
    weight = (pl.col("billed_weight_tenths") // 10).cast(pl.Utf8)
    l1 = [_l1(n, pl.lit(code), column) for code, column in L1_CODES]
    l1.append(_l1(n, pl.col("other_code").replace_strict(OTHER_L1_CODES, default=pl.lit("ZZZ")), "other_cents"))
    charges = pl.concat_str(l1, ignore_nulls=True)
    charge_count = pl.sum_horizontal([(pl.col(c) != 0).cast(pl.Int64) for _, c in L1_CODES]
                                     + [(pl.col("other_cents") != 0).cast(pl.Int64)])
    zone = pl.col("zone").str.zfill(3)
    service = pl.col("service").replace_strict(SERVICE_CODES, default=pl.col("service"))
    text = pl.concat_str([
        pl.lit("LX*"), n, pl.lit(SEGMENT_END),
        pl.lit("N9*CN*"), pl.col("waybill_no"), pl.lit("**"), pl.col("ship_date").dt.strftime("%Y%m%d"),
        pl.lit(SEGMENT_END),
        pl.lit("L0*"), n, pl.lit("***"), weight, pl.lit("*B***1*PCS**L"), pl.lit(SEGMENT_END),
        charges,
        pl.lit("N1*CN*CONSIGNEE"), pl.lit(SEGMENT_END),
        pl.lit("N4**"), pl.col("dest_region"), pl.lit("**"), pl.col("dest_country"), pl.lit(SEGMENT_END),
        pl.lit("CD3*B*"), weight, pl.lit("*"), zone, pl.lit("**"), service, pl.lit(SEGMENT_END),
    ])
    return lines.select(text.alias("text"), (charge_count + 6).alias("segments"))


def write_edi210(lines: pl.DataFrame, header: BillHeader, path: Path) -> list[str]:
    """Write the interchange; returns each line's bill_line_id ("<invoice no>-<LX>") in line order."""
    stamp = header.issue_date
    control = stamp.toordinal() % 1_000_000_000
    invoices = invoice_numbers(header, lines["service"].unique().to_list())
    lines = lines.with_columns(
        pl.col("service").replace_strict(invoices).alias("invoice_no"),
        pl.int_range(1, pl.len() + 1).over("service").alias("lx"),
    )
    out = [
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*02*{'UPSN':<15}*ZZ*{RECEIVER_ID:<15}*{stamp:%y%m%d}*0600*U*00400*"
        f"{control:09d}*0*P*>",
        f"GS*IM*UPSD*{RECEIVER_ID}*{stamp:%Y%m%d}*0600*{control % 100000}*X*004030",
    ]
    text = [SEGMENT_END.join(out) + SEGMENT_END]
    for st_index, (service, invoice_no) in enumerate(sorted(invoices.items()), start=1):
        part = lines.filter(pl.col("service") == service)
        loops = line_segments(part)
        st_control = f"{control % 100000:05d}{st_index:04d}"
        name, street, city, state, postal, country = SHIPPER
        head = [
            f"ST*210*{st_control}",
            f"B3**{invoice_no}**PP**{stamp:%Y%m%d}*{int(part['total_cents'].sum())}****UPSN*"
            f"{header.due_date:%Y%m%d}",
            f"C3*{header.currency}", "ITD*01", f"N9*18*{header.account_no}",
            f"N1*BT*{name}", f"N3*{street}", f"N4*{city}*{state}*{postal}*{country}",
            f"N1*SH*{name}*25*{header.account_no}", f"N3*{street}", f"N4*{city}*{state}*{postal}*{country}",
        ]
        segments = len(head) + int(loops["segments"].sum()) + 2  # + L3 + SE
        text.append(SEGMENT_END.join(head) + SEGMENT_END)
        text.append("".join(loops["text"].to_list()))
        text.append(f"L3*****{int(part['total_cents'].sum())}{SEGMENT_END}SE*{segments}*{st_control}{SEGMENT_END}")
    text.append(f"GE*{len(invoices)}*{control % 100000}{SEGMENT_END}IEA*1*{control:09d}{SEGMENT_END}")
    path.write_bytes("".join(text).encode("ascii"))
    return lines.select(pl.concat_str([pl.col("invoice_no"), pl.lit("-"), pl.col("lx").cast(pl.Utf8)]))[
        "invoice_no"].to_list()

"""EDI 210 charge lines computed column-wise: the same table `edi210.read_edi210` builds, without a
Python step per segment.

A weekly UPS bill is ~400k segments; the segment-by-segment state machine of `edi210` costs several
seconds where the insert of its rows costs a fraction of one. Here every segment is a row of a polars
frame: transaction sets and LX loops are running counts of their opening segments, a loop's N9 / L0 /
CD3 values reach its L1 charges by a join, and only the invoice envelope (ST, B3, C3, N9*18, L3, SE:
a handful per file) is walked in Python, by the same rules as `edi210`.

The column path declines (the caller uses `read_edi210`) when an interchange has a shape whose rows
would depend on the order the state machine sees segments in: a charge outside an LX loop, invoice
headers (B3, C3, N9*18) repeated or placed after the first loop, an N9 after an invoice's L3.
"""

from __future__ import annotations

import polars as pl

from ingestion.edi210 import COLUMNS, Invoice, _is_int, read_edi210, separators
from ingestion.readers.base import ROW, BrokenRow, RawTable, row_text

_ENVELOPE = ("ST", "B3", "C3", "L3", "SE")
_OPENERS = ("ST", "LX", "L3", "SE")


def edi210_table(data: bytes) -> RawTable:
    """The charge-line table of an EDI 210 interchange (the parser's entry point)."""
    fast = _column_table(data)
    return fast if fast is not None else read_edi210(data).table


_ELEMENTS = (1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13)


def _element(raw: pl.Expr) -> pl.Expr:
    value = raw.str.strip_chars()
    return pl.when(value.str.len_chars() > 0).then(value)


def _segments(text: str, segment: str, element: str) -> pl.DataFrame:
    raw = pl.Series("s", [text], dtype=pl.Utf8).str.split(segment).explode()
    raw = raw.filter(raw.str.strip_chars("\r\n \t").str.len_chars() > 0).str.strip_chars("\r\n")
    # one split into fixed fields (elements past the 13th are not read; missing ones are null)
    parts = pl.DataFrame(raw).select(pl.col("s").str.split_exact(element, max(_ELEMENTS))).unnest("s")
    frame = parts.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias("pos"),
        pl.col("field_0").str.strip_chars().alias("tag"),
        *(_element(pl.col(f"field_{k}")).alias(f"e{k}") for k in _ELEMENTS),
    )
    # running counts instead of windows: an invoice is the segments since its ST; a segment is "closed"
    # (ignored until the next ST) once an SE came after that ST
    is_st = pl.col("tag") == "ST"
    ses_before = pl.col("tag").eq("SE").cast(pl.UInt32).cum_sum() - pl.col("tag").eq("SE").cast(pl.UInt32)
    frame = frame.with_columns(is_st.cast(pl.UInt32).cum_sum().alias("inv"), ses_before.alias("ses_before"))
    frame = frame.with_columns(pl.when(is_st).then(pl.col("ses_before")).forward_fill().alias("ses_at_st"))
    frame = frame.filter((pl.col("inv") > 0) & (pl.col("ses_before") == pl.col("ses_at_st")))
    opener = pl.col("tag").is_in(_OPENERS)
    return frame.with_columns(opener.cast(pl.UInt32).cum_sum().alias("grp"),
                              pl.when(opener).then(pl.col("tag")).forward_fill().alias("opener"))


def _shape_ok(seg: pl.DataFrame) -> bool:
    """Whether every row's values are independent of segment order (see the module docstring)."""
    orphan_l1 = seg.filter((pl.col("tag") == "L1") & (pl.col("opener") != "LX")).height
    headers = seg.filter(pl.col("tag").is_in(["B3", "C3"]) | ((pl.col("tag") == "N9") & (pl.col("opener") == "ST")))
    late_headers = headers.filter(pl.col("opener") != "ST").height
    repeated = headers.group_by("inv", "tag").len().filter(pl.col("len") > 1).height
    stray_n9 = seg.filter((pl.col("tag") == "N9") & pl.col("opener").is_in(["L3", "SE"])).height
    return orphan_l1 == 0 and late_headers == 0 and repeated == 0 and stray_n9 == 0


def _invoices(seg: pl.DataFrame) -> dict[int, Invoice]:
    """The envelope walk of `read_edi210`, over the few envelope segments."""
    envelope = seg.filter(pl.col("tag").is_in(_ENVELOPE) | ((pl.col("tag") == "N9") & (pl.col("e1") == "18")
                                                            & (pl.col("opener") == "ST")))
    invoices: dict[int, Invoice] = {}
    closed: set[int] = set()
    start = 0
    for row in envelope.iter_rows(named=True):
        tag, inv = row["tag"], row["inv"]
        if tag == "ST":
            invoice = Invoice(st_control_no=row["e2"] or "?")
            invoices[inv] = invoice
            start = row["pos"]
            if row["e1"] != "210":
                invoice.problem = f"transaction set {row['e1']!r} is not a 210 freight invoice"
            continue
        invoice = invoices[inv]
        if tag == "B3":
            invoice.invoice_no, invoice.invoice_date, invoice.scac = row["e2"], row["e6"], row["e11"]
            invoice.net_cents = int(row["e7"]) if _is_int(row["e7"]) else None
        elif tag == "C3":
            invoice.currency = row["e1"]
        elif tag == "N9":
            invoice.reference = row["e2"]
        elif tag == "L3":
            invoice.total_cents = int(row["e5"]) if _is_int(row["e5"]) else None
        elif tag == "SE":
            closed.add(inv)
            actual = row["pos"] - start + 1
            if row["e2"] != invoice.st_control_no:
                invoice.problem = f"SE control number {row['e2']} does not close ST {invoice.st_control_no}"
            elif not _is_int(row["e1"]) or int(row["e1"]) != actual:
                invoice.warnings.append(f"SE01 says {row['e1']} segments, the transaction set has {actual}")
            invoice.complete = invoice.problem is None
    numbers = sorted(invoices)
    for k, inv in enumerate(numbers):
        invoice = invoices[inv]
        if inv in closed:
            continue
        if k < len(numbers) - 1:  # the next ST found it open (whatever else was wrong)
            invoice.problem = f"transaction set {invoice.st_control_no} has no SE segment"
        else:
            invoice.problem = invoice.problem or f"transaction set {invoice.st_control_no} has no SE segment (cut?)"
    return invoices


def _lines(seg: pl.DataFrame) -> pl.DataFrame:
    """One row per L1 charge with its loop's reference, weights and zone."""
    loops = seg.filter(pl.col("tag") == "LX").select("grp", pl.col("e1").alias("lx_no"))
    refs = (seg.filter((pl.col("tag") == "N9") & (pl.col("opener") == "LX"))
            .group_by("grp", pl.col("e1").fill_null("").alias("q"), maintain_order=True)
            .agg(pl.col("e2").first().alias("ref"), pl.col("e4").first().alias("date")))
    cn = refs.filter(pl.col("q") == "CN").drop("q")
    p8 = refs.filter(pl.col("q") == "P8").drop("q")
    l0 = (seg.filter((pl.col("tag") == "L0") & (pl.col("opener") == "LX")).group_by("grp")
          .agg(pl.col("e8").last().alias("pieces"), pl.col("e4").last().alias("weight"),
               pl.col("e11").last().alias("weight_unit")))
    cd3 = (seg.filter((pl.col("tag") == "CD3") & (pl.col("opener") == "LX")).group_by("grp")
           .agg(pl.col("e2").last().alias("billed_weight"), pl.col("e3").last().alias("zone")))
    charges = seg.filter(pl.col("tag") == "L1").select(
        "inv", "grp", "pos", pl.col("e4").alias("charge_cents"), pl.col("e8").alias("charge_code"),
        pl.col("e12").alias("charge_description"),
        (pl.int_range(pl.len(), dtype=pl.UInt32).over("grp") + 1).alias("k"))
    joined = (charges.join(loops, on="grp", how="left", maintain_order="left")
              .join(cn, on="grp", how="left", maintain_order="left")
              .join(p8, on="grp", how="left", maintain_order="left", suffix="_p8")
              .join(l0, on="grp", how="left", maintain_order="left")
              .join(cd3, on="grp", how="left", maintain_order="left"))
    has_cn = pl.col("grp").is_in(cn["grp"].implode())
    has_p8 = pl.col("grp").is_in(p8["grp"].implode())
    return joined.with_columns(
        pl.when(has_cn).then(pl.lit("CN")).when(has_p8).then(pl.lit("P8")).alias("tracking_qualifier"),
        pl.when(has_cn).then(pl.col("ref")).when(has_p8).then(pl.col("ref_p8")).alias("tracking_no"),
        pl.when(has_cn).then(pl.col("date")).when(has_p8).then(pl.col("date_p8")).alias("ship_date"),
    )


def _column_table(data: bytes) -> RawTable | None:
    try:
        text = data.decode("utf-8-sig").lstrip()
    except UnicodeDecodeError:
        text = data.decode("latin-1").lstrip()
    sep = separators(text)
    if len(sep.segment) != 1 or len(sep.element) != 1 or sep.segment == sep.element:
        return None
    first = text.split(sep.segment, 1)[0].strip("\r\n").split(sep.element)
    isa_control = first[13].strip() or None if len(first) > 13 else None
    seg = _segments(text, sep.segment, sep.element)
    if seg.height == 0 or not _shape_ok(seg):
        return None
    invoices = _invoices(seg)
    header = pl.DataFrame(
        {"inv": list(invoices), "st_control_no": [i.st_control_no for i in invoices.values()],
         "scac": [i.scac for i in invoices.values()], "invoice_no": [i.invoice_no for i in invoices.values()],
         "invoice_date": [i.invoice_date for i in invoices.values()],
         "invoice_net_cents": [None if i.net_cents is None else str(i.net_cents) for i in invoices.values()],
         "invoice_total_cents": [None if i.total_cents is None else str(i.total_cents) for i in invoices.values()],
         "invoice_reference": [i.reference for i in invoices.values()],
         "currency": [i.currency for i in invoices.values()],
         "complete": [i.complete for i in invoices.values()]},
        schema_overrides={"inv": pl.UInt32, **{c: pl.Utf8 for c in COLUMNS if c in (
            "st_control_no", "scac", "invoice_no", "invoice_date", "invoice_net_cents", "invoice_total_cents",
            "invoice_reference", "currency")}},
    )
    lines = _lines(seg).join(header, on="inv", how="left", maintain_order="left").with_columns(
        pl.lit(isa_control, pl.Utf8).alias("interchange_control_no"),
        pl.concat_str(pl.col("invoice_no").fill_null("None"), pl.lit("/"), pl.col("lx_no").fill_null("None"),
                      pl.lit("/"), pl.col("k").cast(pl.Utf8)).alias("line_id"),
    )
    good = lines.filter(pl.col("complete")).select(*(pl.col(c).cast(pl.Utf8) for c in COLUMNS),
                                                    pl.col("pos").alias(ROW))
    broken = [
        BrokenRow(row[ROW], "<invoice>", f"invoice {invoices[inv].invoice_no}: {invoices[inv].problem}",
                  row_text([row[c] for c in COLUMNS]))
        for inv, row in ((r["inv"], r) for r in lines.filter(~pl.col("complete")).select(
            "inv", *(pl.col(c).cast(pl.Utf8) for c in COLUMNS), pl.col("pos").alias(ROW)).iter_rows(named=True))
    ]
    table = RawTable(good, broken=broken, encoding="ascii", keyed=True)
    table.notes.append(f"{len(invoices)} transaction sets, {lines.height} L1 charge lines")
    table.notes.extend(f"invoice {inv.invoice_no}: {w}" for inv in invoices.values() for w in inv.warnings)
    return table

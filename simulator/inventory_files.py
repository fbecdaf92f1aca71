"""Stock files: purchase receipts, movement documents (ERP book), WMS and ERP day-close snapshots.

The WMS snapshot is the physical count and the ERP snapshot the book, both at the same day close, so
T-1 accuracy is a plain join. They differ only where the manifest says: a count error, unrecorded damage
or a document the ERP booked a day late. Rows are sorted the same way every run, which is what lets the
manifest point at a 1-based row.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from simulator.landing import Landing, csv_bytes
from simulator.manifest import Manifest
from simulator.params import SimParams
from simulator.stock import Ledger

DOC_PREFIX = {"OPENING": "OB", "PURCHASE_RECEIPT": "GR", "SALES_SHIPMENT": "DO", "POS_SALE": "PS",
              "SALES_RETURN": "RT", "TRANSFER_OUT": "TO", "TRANSFER_IN": "TI", "ADJUSTMENT": "AJ"}
RECEIPT_COLUMNS = ["receipt_no", "receipt_date", "received_date", "doc_type", "supplier", "warehouse_id", "sku",
                   "lot_id", "qty", "unit_cost", "currency", "inbound_freight", "duty"]
MOVEMENT_COLUMNS = ["doc_no", "doc_type", "doc_date", "warehouse_id", "sku", "lot_id", "qty", "ref_no"]
WMS_COLUMNS = ["snapshot_date", "warehouse_id", "location", "sku", "lot_id", "on_hand", "available", "reserved",
               "damaged"]
ERP_COLUMNS = ["snapshot_date", "warehouse_id", "sku", "lot_id", "book_qty", "landed_unit_cost_cny",
               "book_value_cny"]


def movement_table(ledger: Ledger) -> pl.DataFrame:
    """All movement rows with document numbers and their 1-based row in their day's file.

    A document is a run of rows with the same (type, reference, warehouse) once sorted; numbering runs
    per day avoids a costly dense rank over millions of rows."""
    moves = ledger.movements.with_columns(
        pl.col("doc_type").replace_strict(list(DOC_PREFIX), list(range(len(DOC_PREFIX))),
                                          return_dtype=pl.Int32).alias("_type_order"),
    ).sort("doc_date", "_type_order", "ref_no", "warehouse_id", "sku", "lot_id", maintain_order=True)
    new_doc = ((pl.col("_type_order") != pl.col("_type_order").shift(1))
               | (pl.col("ref_no") != pl.col("ref_no").shift(1))
               | (pl.col("warehouse_id") != pl.col("warehouse_id").shift(1))
               | (pl.col("doc_date") != pl.col("doc_date").shift(1))).fill_null(True)
    return moves.with_columns(new_doc.alias("_new")).with_columns(
        pl.concat_str(
            pl.col("doc_type").replace_strict(DOC_PREFIX, return_dtype=pl.Utf8),
            pl.col("doc_date").dt.strftime("%Y%m%d"),
            pl.col("_new").cast(pl.Int64).cum_sum().over("doc_date").cast(pl.Utf8).str.zfill(6),
        ).alias("doc_no"),
        (pl.int_range(pl.len()).over("doc_date") + 1).alias("file_row"),
    )


def wms_table(ledger: Ledger) -> pl.DataFrame:
    """Physical rows with their bin location (a SKU's slot, one level per lot) and 1-based file row."""
    aisle = (pl.col("sku_idx") % 40 + 1).cast(pl.Utf8).str.zfill(2)
    rack = (pl.col("sku_idx") // 40 % 30 + 1).cast(pl.Utf8).str.zfill(2)
    level = (pl.col("lot") % 4 + 1).cast(pl.Utf8)
    return ledger.physical.sort("snapshot_date", "warehouse_id", "sku", "lot_id", maintain_order=True).with_columns(
        pl.concat_str(pl.lit("A"), aisle, pl.lit("-"), rack, pl.lit("-"), level).alias("location"),
        (pl.int_range(pl.len()).over("snapshot_date", "warehouse_id") + 1).alias("file_row"))


def erp_table(ledger: Ledger) -> pl.DataFrame:
    return ledger.book.sort("snapshot_date", "warehouse_id", "sku", "lot_id", maintain_order=True).with_columns(
        (pl.col("book_qty") * pl.col("landed_unit_cost_cny")).round(2).alias("book_value_cny"))


def wms_name(warehouse_id: str, day: date) -> str:
    return f"wms_snapshot_{warehouse_id}_{day:%Y%m%d}.csv"


def write_inventory(landing: Landing, ledger: Ledger, manifest: Manifest, params: SimParams) -> None:
    with landing.timed("purchase_receipts"):
        _write_receipts(landing, ledger, params.end)
    with landing.timed("inventory_movements"):
        moves = movement_table(ledger)
        _write_daily(landing, moves, "inventory_movements", "doc_date", MOVEMENT_COLUMNS)
    with landing.timed("wms_snapshot"):
        wms = wms_table(ledger)
        for (day, wh), part in wms.partition_by("snapshot_date", "warehouse_id", as_dict=True,
                                                maintain_order=True).items():
            if landing.wants(day):
                landing.write_bytes("wms_snapshot", day, wms_name(wh, day), csv_bytes(part.select(WMS_COLUMNS)),
                                    part.height)
    with landing.timed("erp_snapshot"):
        _write_daily(landing, erp_table(ledger), "erp_snapshot", "snapshot_date", ERP_COLUMNS)
    _record_errors(landing, ledger, manifest, wms, moves)


def _write_receipts(landing: Landing, ledger: Ledger, end: date) -> None:
    receipts = ledger.receipts.filter(pl.col("receipt_date") < end).sort("receipt_date", "receipt_no",
                                                                         maintain_order=True)
    _write_daily(landing, receipts, "purchase_receipts", "receipt_date", RECEIPT_COLUMNS)


def _write_daily(landing: Landing, frame: pl.DataFrame, source: str, date_column: str, columns: list[str]) -> None:
    for (day,), part in frame.partition_by(date_column, as_dict=True, maintain_order=True).items():
        if landing.wants(day):
            landing.write_bytes(source, day, f"{source}_{day:%Y%m%d}.csv", csv_bytes(part.select(columns)),
                                part.height)


def _record_errors(landing: Landing, ledger: Ledger, manifest: Manifest, wms: pl.DataFrame,
                   moves: pl.DataFrame) -> None:
    wms_rows = {(d, w, lot): r for d, w, lot, r in wms.select("snapshot_date", "warehouse_id", "lot_id", "file_row")
                .iter_rows()}
    for e in ledger.errors:
        day, wh, lot_id = e["date"], e["warehouse_id"], e["lot_id"]
        common = {"source": "wms_snapshot", "sku": e["sku"], "warehouse_id": wh, "lot_id": lot_id,
                  "expected_qty": float(e["qty"])}
        if e["type"] == "late_document":
            book_day: date = e["book_date"]
            hit = moves.filter((pl.col("doc_date") == book_day) & (pl.col("ref_no") == e["ref_no"])
                               & (pl.col("lot_id") == lot_id) & (pl.col("warehouse_id") == wh)
                               & (pl.col("doc_type") == e["doc_type"]))
            row = int(hit["file_row"][0]) if hit.height else None
            manifest.add("late_document", day, **{**common, "source": "inventory_movements"},
                         file=landing.path("inventory_movements", book_day,
                                           f"inventory_movements_{book_day:%Y%m%d}.csv"),
                         row=row, field="doc_date",
                         detail=f"{e['doc_type']} {e['ref_no']} physically on {day}, booked {book_day}; "
                                f"physical - book = {e['qty']} on {day} only")
        elif e["type"] == "unrecorded_damage":
            manifest.add("unrecorded_damage", day, **common, file=landing.path("wms_snapshot", day, wms_name(wh, day)),
                         row=wms_rows[(day, wh, lot_id)], field="damaged",
                         detail=f"{-e['qty']} units damaged with no ERP document (book {e['book_qty']}); "
                                "usable physical = on_hand - damaged")
        else:
            manifest.add(e["type"], day, **common, file=landing.path("wms_snapshot", day, wms_name(wh, day)),
                         row=wms_rows[(day, wh, lot_id)], field="on_hand",
                         within_tolerance=bool(e["within_tolerance"]),
                         detail=f"book {e['book_qty']}, counted {e['book_qty'] + e['qty']}")



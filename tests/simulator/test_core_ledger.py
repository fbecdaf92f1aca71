"""The stock ledger balances: the ERP book snapshot is exactly what the movement documents imply, the
documents agree with receipts, shipments and order files, and the WMS physical count equals the book
everywhere except at the planted items of the manifest."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest


def _read(out: Path, source: str) -> pl.DataFrame:
    return pl.concat([pl.read_csv(p, try_parse_dates=True) for p in sorted((out / source).glob("*/*.csv"))],
                     how="vertical_relaxed")


@pytest.fixture(scope="module")
def files(sim_run) -> dict[str, pl.DataFrame]:
    out, _ = sim_run
    return {s: _read(out, s) for s in ("inventory_movements", "erp_snapshot", "wms_snapshot", "purchase_receipts",
                                       "shipments")}


def test_book_equals_running_sum_of_documents(files) -> None:
    moves, book = files["inventory_movements"], files["erp_snapshot"]
    days = sorted(book["snapshot_date"].unique().to_list())
    assert len(days) == 15
    key = ["warehouse_id", "sku", "lot_id"]
    for day in days:
        implied = (moves.filter(pl.col("doc_date") <= day).group_by(key).agg(pl.col("qty").sum().alias("implied"))
                   .filter(pl.col("implied") != 0))
        snap = book.filter(pl.col("snapshot_date") == day).select(*key, "book_qty")
        joined = implied.join(snap, on=key, how="full", coalesce=True).fill_null(0)
        assert joined.height > 100
        assert (joined["implied"] == joined["book_qty"]).all(), day
        assert (snap["book_qty"] > 0).all()


def test_ledger_formula_by_document_type(files) -> None:
    """book = receipts - shipments + returns +/- transfers and adjustments (on the last close)."""
    moves, book = files["inventory_movements"], files["erp_snapshot"]
    last = book["snapshot_date"].max()
    by_type = dict(moves.group_by("doc_type").agg(pl.col("qty").sum()).iter_rows())
    assert by_type["OPENING"] > 0 and by_type["PURCHASE_RECEIPT"] > 0
    assert by_type["SALES_SHIPMENT"] < 0 and by_type["POS_SALE"] < 0 and by_type["SALES_RETURN"] > 0
    assert by_type["TRANSFER_OUT"] < 0 and by_type["TRANSFER_IN"] > 0
    assert by_type["TRANSFER_IN"] <= -by_type["TRANSFER_OUT"]  # the rest is still in transit
    assert sum(by_type.values()) == book.filter(pl.col("snapshot_date") == last)["book_qty"].sum()


def test_receipts_file_matches_receipt_documents(files) -> None:
    receipts, moves = files["purchase_receipts"], files["inventory_movements"]
    docs = moves.filter(pl.col("doc_type").is_in(["OPENING", "PURCHASE_RECEIPT"]))
    left = receipts.select(pl.col("receipt_no").alias("ref_no"), "lot_id", "warehouse_id", "qty",
                           pl.col("receipt_date").alias("doc_date")).sort(pl.all())
    right = docs.select("ref_no", "lot_id", "warehouse_id", "qty", "doc_date").sort(pl.all())
    assert left.equals(right)
    assert receipts["lot_id"].is_unique().all()
    assert (receipts.filter(pl.col("doc_type") == "OPENING")["received_date"] < receipts["receipt_date"].min()).all()
    assert (receipts["unit_cost"] > 0).all() and set(receipts["currency"]) >= {"CNY", "USD"}


def test_transfers_move_lots_between_warehouses(files) -> None:
    moves = files["inventory_movements"]
    out_ = moves.filter(pl.col("doc_type") == "TRANSFER_OUT")
    in_ = moves.filter(pl.col("doc_type") == "TRANSFER_IN")
    assert set(out_["warehouse_id"]) == {"CN-SZX"}
    assert set(in_["warehouse_id"]) <= {"US-LAX", "EU-FRA", "3PL-UK"} and in_.height
    sent = out_.group_by("ref_no", "lot_id").agg((-pl.col("qty")).sum().alias("sent"))
    got = in_.group_by("ref_no", "lot_id").agg(pl.col("qty").sum().alias("got"))
    both = got.join(sent, on=["ref_no", "lot_id"], how="left")
    assert (both["got"] == both["sent"]).all()  # the same lot arrives, in full


def test_shipment_documents_match_waybills(files) -> None:
    moves, ships = files["inventory_movements"], files["shipments"]
    shipped = ships.filter(pl.col("event") == "shipped")
    docs = moves.filter(pl.col("doc_type") == "SALES_SHIPMENT").group_by("ref_no").agg(
        pl.col("doc_date").first(), pl.col("warehouse_id").first())
    joined = shipped.select(pl.col("order_no").cast(pl.Utf8), "ship_date", "warehouse_id").join(
        docs.rename({"ref_no": "order_no"}).with_columns(pl.col("order_no").cast(pl.Utf8)), on="order_no", how="full",
        coalesce=True)
    assert joined.null_count().sum_horizontal().item() == 0
    assert (joined["ship_date"] == joined["doc_date"]).all()
    assert (joined["warehouse_id"] == joined["warehouse_id_right"]).all()


def test_physical_equals_book_except_manifest(sim_run, files) -> None:
    out, _ = sim_run
    key = ["snapshot_date", "warehouse_id", "sku", "lot_id"]
    wms = files["wms_snapshot"].with_columns((pl.col("on_hand") - pl.col("damaged")).alias("usable"))
    both = wms.join(files["erp_snapshot"], on=key, how="full", coalesce=True).fill_null(0)
    diff = both.filter(pl.col("usable") != pl.col("book_qty")).select(
        *key, (pl.col("usable") - pl.col("book_qty")).alias("variance"))
    manifest = pl.read_parquet(out / "_manifest" / "anomalies.parquet").filter(pl.col("domain") == "inventory")
    expected = manifest.select(pl.col("date").alias("snapshot_date"), "warehouse_id", "sku", "lot_id",
                               pl.col("expected_qty").cast(pl.Int64).alias("variance"))
    assert diff.sort(key).equals(expected.sort(key))
    assert (wms["available"] == wms["on_hand"] - wms["reserved"] - wms["damaged"]).all()
    assert (wms["available"] >= 0).all() and wms["reserved"].sum() > 0

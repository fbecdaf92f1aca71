"""Every planted inventory error and data fault is in the files exactly where the manifest says."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from simulator.skus import ABC_TOLERANCE

ENCODING = {"orders_tmall": "gbk", "orders_jd": "utf-8-sig"}
DELIMITER = {"orders_amazon": "\t"}


@pytest.fixture(scope="module")
def manifest(sim_run) -> pl.DataFrame:
    out, _ = sim_run
    return pl.read_parquet(out / "_manifest" / "anomalies.parquet")


def _row(out: Path, rel: str, row: int) -> dict[str, str]:
    source = rel.split("/")[0]
    text = (out / rel).read_bytes().decode(ENCODING.get(source, "utf-8"))
    rows = list(csv.DictReader(io.StringIO(text), delimiter=DELIMITER.get(source, ",")))
    return rows[row - 1]


def test_every_inventory_and_data_type_is_planted(manifest) -> None:
    types = set(manifest["type"])
    assert {"count_over", "count_under", "unrecorded_damage", "late_document", "malformed_row",
            "truncated_file"} <= types
    counts = manifest.filter(pl.col("type").is_in(["count_over", "count_under"]))
    assert set(counts["within_tolerance"]) == {True, False}
    assert manifest.filter(pl.col("type") == "truncated_file").height == 1


def test_count_errors_sit_on_the_named_row(sim_run, manifest) -> None:
    out, _ = sim_run
    master = pl.read_csv(next((out / "sku_master").glob("*/*.csv")))
    abc = dict(master.select("sku", "abc_class").iter_rows())
    items = manifest.filter(pl.col("type").is_in(["count_over", "count_under", "unrecorded_damage"]))
    assert items.height >= 4
    for item in items.iter_rows(named=True):
        row = _row(out, item["file"], item["row"])
        assert (row["sku"], row["lot_id"], row["warehouse_id"]) == (item["sku"], item["lot_id"], item["warehouse_id"])
        assert row["snapshot_date"] == item["date"].isoformat()
        erp = pl.read_csv(out / "erp_snapshot" / item["date"].isoformat() / f"erp_snapshot_{item['date']:%Y%m%d}.csv")
        book = erp.filter((pl.col("lot_id") == item["lot_id"]) & (pl.col("warehouse_id") == item["warehouse_id"]))
        book_qty = book["book_qty"].item()
        if item["type"] == "unrecorded_damage":
            assert int(row["damaged"]) == -item["expected_qty"] > 0
            assert int(row["on_hand"]) == book_qty
        else:
            variance = int(row["on_hand"]) - book_qty
            assert variance == item["expected_qty"]
            assert (variance > 0) == (item["type"] == "count_over")
            assert item["within_tolerance"] == (abs(variance) <= ABC_TOLERANCE[abc[item["sku"]]] * book_qty)


def test_late_documents_differ_for_exactly_one_day(sim_run, manifest) -> None:
    out, _ = sim_run
    late = manifest.filter(pl.col("type") == "late_document")
    assert late.height >= 1
    last_day = max(p.name for p in (out / "erp_snapshot").iterdir())
    for item in late.iter_rows(named=True):
        day: date = item["date"]
        if item["row"] is None:  # booked the day after the horizon: the file does not exist yet
            assert day.isoformat() == last_day and not (out / item["file"]).exists()
            continue
        row = _row(out, item["file"], item["row"])
        assert row["doc_date"] == (day + timedelta(days=1)).isoformat()
        assert (row["lot_id"], row["warehouse_id"]) == (item["lot_id"], item["warehouse_id"])
        assert int(row["qty"]) == item["expected_qty"] > 0
        for d, expected in ((day, item["expected_qty"]), (day + timedelta(days=1), 0)):
            wms = out / "wms_snapshot" / d.isoformat() / f"wms_snapshot_{item['warehouse_id']}_{d:%Y%m%d}.csv"
            erp = out / "erp_snapshot" / d.isoformat() / f"erp_snapshot_{d:%Y%m%d}.csv"
            if not wms.exists():
                continue
            on_hand = pl.read_csv(wms).filter(pl.col("lot_id") == item["lot_id"])["on_hand"].sum()
            book = pl.read_csv(erp).filter((pl.col("lot_id") == item["lot_id"])
                                           & (pl.col("warehouse_id") == item["warehouse_id"]))["book_qty"].sum()
            assert on_hand - book == expected


def test_malformed_rows_hold_the_bad_value(sim_run, manifest) -> None:
    out, _ = sim_run
    bad = manifest.filter(pl.col("type") == "malformed_row")
    assert bad.height >= 2
    for item in bad.iter_rows(named=True):
        value = _row(out, item["file"], item["row"])[item["field"]]
        assert repr(value) in item["detail"]
        if "qty" in item["detail"][:20]:
            with pytest.raises(ValueError):
                int(value)
        else:
            fmt = {"\t": "%Y-%m-%dT%H:%M:%S%z"}.get(DELIMITER.get(item["source"], ","))
            with pytest.raises(ValueError):
                datetime.strptime(value, fmt or ("%Y/%m/%d %H:%M:%S" if "/" in value else
                                                 "%Y-%m-%d %H:%M:%S" if " " in value else "%Y-%m-%d"))


def test_truncated_file_ends_mid_row(sim_run, manifest) -> None:
    out, _ = sim_run
    item = manifest.filter(pl.col("type") == "truncated_file").row(0, named=True)
    raw = (out / item["file"]).read_bytes()
    assert not raw.endswith(b"\n")
    lines = raw.decode("utf-8").split("\n")
    header = next(csv.reader([lines[0]]))
    assert len(lines) - 1 == item["row"]  # the cut row is the last, incomplete one
    last = next(csv.reader([lines[-1]]))
    assert len(last) < len(header)
    assert last[0] == item["order_no"]
    complete = list(csv.DictReader(io.StringIO("\n".join(lines[:-1]))))
    assert len(complete) == item["row"] - 1

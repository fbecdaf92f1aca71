"""The stock ledger: receipts -> stock -> shipments -> returns -> transfers and adjustments, day by day.

The ERP book is exactly what the movement documents imply; the WMS physical count equals the book
except where an error is planted (and recorded). Day d's outcome depends only on days <= d, because
every decision (reorder, transfer, adjustment, planted error) is taken from that day's state and that
day's generator. Everything per row is vectorised; Python loops only run over days and over the
handful of planted errors and adjustments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from simulator import inventory_errors
from simulator import rng as streams
from simulator.fifo import allocate, take_fifo
from simulator.orders import CHANNEL_SHARE, LINE_COUNTS, LINE_PROBS, QTY, QTY_PROBS
from simulator.params import SimParams
from simulator.skus import ABC_TOLERANCE

WAREHOUSE_IDS = ("CN-SZX", "US-LAX", "EU-FRA", "3PL-UK")
WH_INDEX = {w: i for i, w in enumerate(WAREHOUSE_IDS)}
WH_CODE = {"CN-SZX": "CN", "US-LAX": "US", "EU-FRA": "EU", "3PL-UK": "UK"}
TRANSFER_DAYS = {"US-LAX": 12, "EU-FRA": 10, "3PL-UK": 11}
# Days of forecast demand: reorder point and order-up-to level.
CN_ROP, CN_UPTO = 14, 35
OVERSEAS_ROP, OVERSEAS_UPTO = 16, 40
OPENING_COVER = {"CN-SZX": 30, "US-LAX": 30, "EU-FRA": 30, "3PL-UK": 30}
SUPPLIERS_CN = ("深圳市宏达电子有限公司", "义乌市佳美日用品有限公司", "东莞市华盛制衣厂", "宁波市海宝塑料制品有限公司")
SUPPLIERS_IMPORT = ("Nordic Home Supply AB", "Pacific Gear Inc.")
SHIP_CHANNEL_DEMAND = {  # expected share of a channel's units landing in each warehouse
    "amazon": {"US-LAX": 1.0},
    "shopify": {"EU-FRA": 0.75 * 0.94, "3PL-UK": 0.25 * 0.94, "CN-SZX": 0.06},
    "tmall": {"CN-SZX": 1.0}, "jd": {"CN-SZX": 1.0}, "douyin": {"CN-SZX": 1.0}, "pos": {"CN-SZX": 1.0},
}


@dataclass
class Ledger:
    """Everything the stock simulation produced, as frames for the writers."""

    lots: pl.DataFrame
    receipts: pl.DataFrame  # one row per receipt line (lot)
    movements: pl.DataFrame  # signed book documents, doc_date is the book date
    book: pl.DataFrame  # ERP snapshot rows per close
    physical: pl.DataFrame  # WMS snapshot rows per close
    errors: list[dict] = field(default_factory=list)  # planted inventory items (no file rows yet)


def forecast(params: SimParams, catalog: pl.DataFrame) -> np.ndarray:
    """Expected units per day per (warehouse, SKU): planning input, not a draw."""
    units_per_order = float((LINE_COUNTS * LINE_PROBS).sum() * (QTY * QTY_PROBS).sum())
    pop = catalog["popularity"].to_numpy()
    fc = np.zeros((len(WAREHOUSE_IDS), len(pop)))
    for ch, share in CHANNEL_SHARE.items():
        for wh, w_share in SHIP_CHANNEL_DEMAND[ch].items():
            fc[WH_INDEX[wh]] += params.orders_per_day * share * w_share * units_per_order * pop
    return fc


class _Stock:
    """Stock rows (group = warehouse * n_sku + sku, lot index, qty) kept sorted by (group, lot)."""

    def __init__(self, n_sku: int) -> None:
        self.n_sku = n_sku
        self.g = np.zeros(0, dtype=np.int64)
        self.lot = np.zeros(0, dtype=np.int64)
        self.qty = np.zeros(0, dtype=np.int64)

    def add(self, g: np.ndarray, lot: np.ndarray, qty: np.ndarray) -> None:
        key = np.concatenate([self.g, g]).astype(np.int64) << 32 | np.concatenate([self.lot, lot])
        q = np.concatenate([self.qty, qty]).astype(np.int64)
        uniq, inv = np.unique(key, return_inverse=True)
        total = np.bincount(inv, weights=q, minlength=len(uniq)).astype(np.int64)
        keep = total != 0
        self.g, self.lot, self.qty = uniq[keep] >> 32, uniq[keep] & 0xFFFFFFFF, total[keep]
        if (self.qty < 0).any():
            raise AssertionError("stock went negative: the ledger logic is broken")

    def by_group(self) -> np.ndarray:
        return np.bincount(self.g, weights=self.qty, minlength=len(WAREHOUSE_IDS) * self.n_sku).astype(np.int64)


class StockSimulation:
    def __init__(self, params: SimParams, catalog: pl.DataFrame, fx_map: dict[tuple[date, str], float]) -> None:
        self.p = params
        self.catalog = catalog
        self.n_sku = catalog.height
        self.fx = fx_map
        self.fc = forecast(params, catalog)
        self.tolerance = catalog["abc_class"].replace_strict(ABC_TOLERANCE, return_dtype=pl.Float64).to_numpy()
        self.cost = catalog["base_cost_cny"].to_numpy()
        self.weight = catalog["weight_kg"].to_numpy()
        self.sku_ids = catalog["sku"].to_numpy()
        self.stock = _Stock(self.n_sku)
        self.lot_rows: list[pl.DataFrame] = []
        self.n_lots = 0
        self.in_transit: list[tuple[date, np.ndarray, np.ndarray, np.ndarray, str]] = []
        self.receipt_rows: list[pl.DataFrame] = []
        self.move_rows: list[pl.DataFrame] = []
        self.book_rows: list[pl.DataFrame] = []
        self.phys_rows: list[pl.DataFrame] = []
        self.errors: list[dict] = []
        # Shipment / POS pieces (g, lot, qty, order_no) of lines that will come back, by return date.
        self.returning: dict[date, list[pl.DataFrame]] = {}
        self.deferred: pl.DataFrame | None = None  # late book documents for the next day
        self.opening_moves: list[pl.DataFrame] = []  # booked on the first day

    # ---- lots and receipts -------------------------------------------------------------------------
    def _new_lots(self, day: date, wh: str, sku: np.ndarray, qty: np.ndarray, doc_type: str,
                  rng: np.random.Generator, received: np.ndarray | None = None) -> np.ndarray:
        n = len(sku)
        idx = np.arange(self.n_lots, self.n_lots + n, dtype=np.int64)
        self.n_lots += n
        received_days = received if received is not None else np.full(n, np.datetime64(day))
        imported = rng.random(n) < (0.15 if wh == "CN-SZX" else 0.0)
        local_cur = {"CN-SZX": "CNY", "US-LAX": "USD", "EU-FRA": "EUR", "3PL-UK": "GBP"}[wh]
        currency = np.where(imported, "USD", local_cur)
        rate = np.array([self.fx.get((day, c), 1.0) for c in ("USD", "EUR", "GBP")])
        cur_rate = np.where(currency == "USD", rate[0], np.where(currency == "EUR", rate[1],
                            np.where(currency == "GBP", rate[2], 1.0)))
        unit_cost = np.round(self.cost[sku] * rng.uniform(0.95, 1.08, n) / cur_rate * (1.25 if wh != "CN-SZX" else 1.0), 2)
        freight = np.round(qty * self.weight[sku] * np.where(wh == "CN-SZX", 1.8, 6.0) / cur_rate
                           * np.where(imported, 4.0, 1.0), 2)
        duty = np.round(np.where(imported | (wh != "CN-SZX"), 0.08, 0.0) * unit_cost * qty, 2)
        suppliers = np.array(SUPPLIERS_IMPORT if wh != "CN-SZX" else SUPPLIERS_CN, dtype=object)
        supplier = suppliers[rng.integers(0, len(suppliers), n)]
        supplier = np.where(imported, np.array(SUPPLIERS_IMPORT, dtype=object)[rng.integers(0, 2, n)], supplier)
        ymd = day.strftime("%Y%m%d")
        lot_id = pl.select(pl.concat_str(
            pl.lit("L"), pl.lit(pl.Series(received_days.astype("datetime64[D]"))).dt.strftime("%y%m%d"),
            pl.lit(WH_CODE[wh]), pl.lit(pl.Series(idx)).cast(pl.Utf8).str.zfill(7))).to_series()
        receipt_no = pl.select(pl.concat_str(
            pl.lit("GR" if doc_type != "OPENING" else "OB"), pl.lit(ymd), pl.lit(WH_CODE[wh]),
            pl.lit(pl.Series(idx)).cast(pl.Utf8).str.zfill(7))).to_series()
        frame = pl.DataFrame({
            "lot": idx, "lot_id": lot_id, "receipt_no": receipt_no, "doc_type": doc_type,
            "receipt_date": np.full(n, np.datetime64(day)), "received_date": received_days,
            "warehouse_id": wh, "sku_idx": sku.astype(np.int64), "sku": self.sku_ids[sku],
            "qty": qty.astype(np.int64), "supplier": supplier.astype(str), "currency": currency.astype(str),
            "unit_cost": unit_cost, "inbound_freight": freight, "duty": duty,
        }).with_columns(pl.col("receipt_date").cast(pl.Date), pl.col("received_date").cast(pl.Date))
        frame = frame.with_columns(
            (((pl.col("unit_cost") * pl.col("qty") + pl.col("inbound_freight") + pl.col("duty"))
              * pl.Series(cur_rate)) / pl.col("qty")).round(4).alias("landed_unit_cost_cny")
        )
        self.lot_rows.append(frame)
        return idx

    def _receipt(self, day: date, wh: str, sku: np.ndarray, qty: np.ndarray, doc_type: str,
                 rng: np.random.Generator, received: np.ndarray | None = None) -> pl.DataFrame:
        lots = self._new_lots(day, wh, sku, qty, doc_type, rng, received)
        g = WH_INDEX[wh] * self.n_sku + sku
        return pl.DataFrame({"g": g.astype(np.int64), "lot": lots, "qty": qty.astype(np.int64)})

    # ---- the day -----------------------------------------------------------------------------------
    def opening(self) -> None:
        """Opening balance on the first day: 1-3 lots per warehouse x SKU, received over the past year."""
        rng = streams.static_rng(self.p.seed, streams.OPENING_STOCK)
        day = self.p.start
        for w, wh in enumerate(WAREHOUSE_IDS):
            cover = OPENING_COVER[wh] * self.fc[w] + (self.fc[1:].sum(axis=0) * 20 if wh == "CN-SZX" else 0)
            total = np.maximum(np.ceil(cover), 6).astype(np.int64)
            n_lots = rng.integers(1, 4, self.n_sku)
            sku = np.repeat(np.arange(self.n_sku), n_lots)
            pos = np.arange(len(sku)) - np.repeat(np.cumsum(n_lots) - n_lots, n_lots)
            k = n_lots[sku]
            qty = (total[sku] * (pos + 1)) // k - (total[sku] * pos) // k
            age = np.sort(rng.integers(1, 420, len(sku)))[::-1]
            received = (np.datetime64(day) - age.astype("timedelta64[D]"))
            order = np.lexsort((sku, received))
            sku, qty, received = sku[order], qty[order], received[order]
            keep = qty > 0
            rec = self._receipt(day, wh, sku[keep], qty[keep], "OPENING", rng, received[keep])
            self._book_receipts(rec)
            self.opening_moves.append(self._receipt_moves(rec))

    def _book_receipts(self, rec: pl.DataFrame) -> None:
        self.stock.add(rec["g"].to_numpy(), rec["lot"].to_numpy(), rec["qty"].to_numpy())

    def run_day(self, day: date, day_index: int, demand: pl.DataFrame, pending: pl.DataFrame) -> None:
        """Simulate one day. `demand`: lines leaving stock today (line_id, g, qty, order_no, channel,
        return_date, sorted by service order); `pending`: (g, qty) of lines placed but not shipped at
        close (reservations). Returned lines come back to the warehouse and lots they left from."""
        rng = streams.day_rng(self.p.seed, streams.RECEIPTS, day)
        moves: list[pl.DataFrame] = self.opening_moves if day_index == 0 else []
        if self.deferred is not None:
            moves.append(self.deferred.with_columns(pl.lit(day).alias("doc_date")))
            self.deferred = None
        inbound_late_candidates: list[pl.DataFrame] = []

        # 1. emergency purchases where today's demand exceeds stock (available the same day).
        need = np.bincount(demand["g"].to_numpy(), weights=demand["qty"].to_numpy(),
                           minlength=len(WAREHOUSE_IDS) * self.n_sku).astype(np.int64)
        short = need - self.stock.by_group()
        for w, wh in enumerate(WAREHOUSE_IDS):
            gs = np.flatnonzero(short[w * self.n_sku:(w + 1) * self.n_sku] > 0)
            if len(gs):
                qty = short[w * self.n_sku + gs] + np.ceil(self.fc[w, gs] * 10).astype(np.int64) + 5
                rec = self._receipt(day, wh, gs, qty, "PURCHASE", rng)
                self._book_receipts(rec)
                moves.append(self._receipt_moves(rec))

        # 2. shipments and POS sales, FIFO by lot.
        d_idx, s_idx, q = allocate(demand["g"].to_numpy(), demand["qty"].to_numpy(), self.stock.g, self.stock.qty)
        seg = demand.select("order_no", "channel", "return_date")[d_idx].with_columns(
            pl.Series("g", self.stock.g[s_idx]), pl.Series("lot", self.stock.lot[s_idx]), pl.Series("qty", q))
        if seg["qty"].sum() != demand["qty"].sum():
            raise AssertionError("demand not fully allocated after emergency purchases")
        for (back_day,), part in seg.filter(pl.col("return_date").is_not_null()).partition_by(
                "return_date", as_dict=True, maintain_order=True).items():
            self.returning.setdefault(back_day, []).append(part.select("g", "lot", "qty", "order_no"))
        self.stock.add(seg["g"].to_numpy(), seg["lot"].to_numpy(), -seg["qty"].to_numpy())
        moves.append(
            seg.select(
                pl.when(pl.col("channel") == "pos").then(pl.lit("POS_SALE")).otherwise(pl.lit("SALES_SHIPMENT"))
                .alias("doc_type"),
                "g", "lot", (-pl.col("qty")).alias("qty"), pl.col("order_no").alias("ref_no"),
            )
        )

        # 3. transfers CN-SZX -> overseas (the lot travels), arriving after the transit time.
        moves.extend(self._transfers(day))

        # 4. documented adjustments (found stock, damage written off).
        moves.append(self._adjustments(day))

        # 5. inbound at day end: purchase receipts at CN-SZX, transfer arrivals, customer returns.
        cn = self.stock.by_group()[: self.n_sku]
        overseas_fc = self.fc[1:].sum(axis=0)
        rop = CN_ROP * (self.fc[0] + overseas_fc)
        gs = np.flatnonzero(cn < rop)
        if len(gs):
            qty = np.maximum(np.ceil(CN_UPTO * (self.fc[0, gs] + overseas_fc[gs]) - cn[gs]), 10).astype(np.int64)
            rec = self._receipt(day, "CN-SZX", gs, qty, "PURCHASE", rng)
            self._book_receipts(rec)
            rm = self._receipt_moves(rec)
            moves.append(rm)
            inbound_late_candidates.append(rm)
        arriving = [t for t in self.in_transit if t[0] == day]
        self.in_transit = [t for t in self.in_transit if t[0] != day]
        for _, g, lot, qty, ref in arriving:
            self.stock.add(g, lot, qty)
            tm = pl.DataFrame({"doc_type": "TRANSFER_IN", "g": g, "lot": lot, "qty": qty, "ref_no": ref})
            moves.append(tm)
            inbound_late_candidates.append(tm)
        if day in self.returning:
            back = pl.concat(self.returning.pop(day))
            self.stock.add(back["g"].to_numpy(), back["lot"].to_numpy(), back["qty"].to_numpy())
            moves.append(back.select(pl.lit("SALES_RETURN").alias("doc_type"), "g", "lot", "qty",
                                     pl.col("order_no").alias("ref_no")))

        day_moves = pl.concat([m.select("doc_type", "g", "lot", pl.col("qty").cast(pl.Int64), "ref_no")
                               for m in moves if m.height], how="vertical")
        day_moves, late = self._maybe_late_document(day, day_index, day_moves, inbound_late_candidates)
        self.move_rows.append(day_moves.with_columns(pl.lit(day).alias("doc_date")))
        self._close(day, day_index, late, pending)

    def _receipt_moves(self, rec: pl.DataFrame) -> pl.DataFrame:
        lots = self.lot_rows[-1].select("lot", "receipt_no", "doc_type")
        return rec.join(lots, on="lot", how="left", maintain_order="left").select(
            pl.when(pl.col("doc_type") == "OPENING").then(pl.lit("OPENING")).otherwise(pl.lit("PURCHASE_RECEIPT"))
            .alias("doc_type"), "g", "lot", "qty", pl.col("receipt_no").alias("ref_no"))

    def _transfers(self, day: date) -> list[pl.DataFrame]:
        out: list[pl.DataFrame] = []
        by_g = self.stock.by_group()
        transit = np.zeros(len(WAREHOUSE_IDS) * self.n_sku, dtype=np.int64)
        for _, g, _, qty, _ in self.in_transit:
            np.add.at(transit, g, qty)
        cn_left = by_g[: self.n_sku] - np.ceil(5 * self.fc[0]).astype(np.int64)
        for w in range(1, len(WAREHOUSE_IDS)):
            wh = WAREHOUSE_IDS[w]
            sl = slice(w * self.n_sku, (w + 1) * self.n_sku)
            position = by_g[sl] + transit[sl]
            want = np.where(position < OVERSEAS_ROP * self.fc[w],
                            np.ceil(OVERSEAS_UPTO * self.fc[w] - position), 0).astype(np.int64)
            want = np.minimum(want, np.maximum(cn_left, 0))
            skus = np.flatnonzero(want > 0)
            if not len(skus):
                continue
            cn_left[skus] -= want[skus]
            d_idx, s_idx, q = allocate(skus, want[skus], self.stock.g, self.stock.qty)
            lot = self.stock.lot[s_idx]
            src_g = self.stock.g[s_idx]
            self.stock.add(src_g, lot, -q)
            ref = f"TO{day.strftime('%Y%m%d')}{wh.replace('-', '')}"
            out.append(pl.DataFrame({"doc_type": "TRANSFER_OUT", "g": src_g, "lot": lot, "qty": -q, "ref_no": ref}))
            dest_g = w * self.n_sku + skus[d_idx]
            self.in_transit.append((day + timedelta(days=TRANSFER_DAYS[wh]), dest_g, lot, q, ref))
        return out

    def _adjustments(self, day: date) -> pl.DataFrame:
        rng = streams.day_rng(self.p.seed, streams.ADJUSTMENTS, day)
        n = min(int(rng.poisson(self.p.adjustments_per_day)), len(self.stock.qty))
        if n == 0:
            return pl.DataFrame()
        rows = np.sort(rng.choice(len(self.stock.qty), size=n, replace=False))
        sign = np.where(rng.random(n) < 0.6, -1, 1)
        size = rng.integers(1, 4, n)
        qty = np.where(sign < 0, -np.minimum(size, self.stock.qty[rows]), size)
        g, lot = self.stock.g[rows], self.stock.lot[rows]
        self.stock.add(g, lot, qty)
        ref = pl.select(pl.concat_str(pl.lit(f"ADJ{day.strftime('%Y%m%d')}"),
                                      pl.lit(pl.Series(np.arange(n))).cast(pl.Utf8).str.zfill(3))).to_series()
        return pl.DataFrame({"doc_type": "ADJUSTMENT", "g": g, "lot": lot, "qty": qty, "ref_no": ref})

    def _maybe_late_document(self, day: date, day_index: int, moves: pl.DataFrame,
                             candidates: list[pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
        kept, late, errors = inventory_errors.late_documents(self.p, day, day_index, moves, candidates)
        if late.height:
            self.deferred = late
        self.errors.extend(errors)
        return kept, late

    def _close(self, day: date, day_index: int, late: pl.DataFrame, pending: pl.DataFrame) -> None:
        g, lot, qty = self.stock.g, self.stock.lot, self.stock.qty
        book_q = qty.copy()
        if late.height:
            key = g << 32 | lot
            late_key = late["g"].to_numpy() << 32 | late["lot"].to_numpy()
            pos = np.searchsorted(key, late_key)
            np.subtract.at(book_q, pos, late["qty"].to_numpy())
        want = pending.group_by("g").agg(pl.col("qty").sum()).sort("g")
        reserved = take_fifo(g, qty, want["g"].to_numpy(), want["qty"].to_numpy())
        on_hand = qty.copy()
        damaged = np.zeros_like(qty)
        tolerance = self.tolerance[g % self.n_sku] if len(g) else np.zeros(0)
        self.errors.extend(inventory_errors.count_errors(self.p, day, day_index, g, lot, book_q, on_hand, damaged,
                                                         late, tolerance))
        reserved = np.minimum(reserved, np.maximum(on_hand - damaged, 0))
        wh = g // self.n_sku
        sku = g % self.n_sku
        self.book_rows.append(pl.DataFrame({
            "snapshot_date": np.full(len(g), np.datetime64(day)), "wh": wh, "sku_idx": sku, "lot": lot,
            "book_qty": book_q}).filter(pl.col("book_qty") != 0))
        self.phys_rows.append(pl.DataFrame({
            "snapshot_date": np.full(len(g), np.datetime64(day)), "wh": wh, "sku_idx": sku, "lot": lot,
            "on_hand": on_hand, "available": on_hand - reserved - damaged, "reserved": reserved,
            "damaged": damaged}))

    def result(self) -> Ledger:
        lots = pl.concat(self.lot_rows, how="vertical")
        lot_ids = lots.select("lot", "lot_id", "sku")
        sku_ids = pl.DataFrame({"sku_idx": np.arange(self.n_sku), "sku": self.sku_ids})

        def label(frame: pl.DataFrame) -> pl.DataFrame:
            if "g" in frame.columns:
                frame = frame.with_columns((pl.col("g") // self.n_sku).alias("wh"),
                                           (pl.col("g") % self.n_sku).alias("sku_idx")).drop("g")
            return frame.join(lot_ids.drop("sku"), on="lot", how="left", maintain_order="left")\
                .join(sku_ids, on="sku_idx", how="left", maintain_order="left") \
                .with_columns(pl.col("wh").replace_strict(dict(enumerate(WAREHOUSE_IDS)),
                                                          return_dtype=pl.Utf8).alias("warehouse_id"))

        moves = label(pl.concat(self.move_rows, how="vertical"))
        book = label(pl.concat(self.book_rows)).join(
            lots.select("lot", "landed_unit_cost_cny"), on="lot", how="left", maintain_order="left")
        phys = label(pl.concat(self.phys_rows))
        late_receipts = {(e["ref_no"], e["lot"]): e["book_date"] for e in self.errors
                         if e["type"] == "late_document" and e["doc_type"] in ("PURCHASE_RECEIPT", "OPENING")}
        if late_receipts:
            late = pl.DataFrame({"lot": [k[1] for k in late_receipts], "late_date": list(late_receipts.values())})
            lots = lots.join(late, on="lot", how="left", maintain_order="left").with_columns(
                pl.coalesce("late_date", "receipt_date").alias("receipt_date")).drop("late_date")
        errors = []
        lot_map = dict(zip(lots["lot"].to_list(), lots["lot_id"].to_list(), strict=True))
        for e in self.errors:
            errors.append({**e, "warehouse_id": WAREHOUSE_IDS[e["g"] // self.n_sku],
                           "sku": str(self.sku_ids[e["g"] % self.n_sku]), "lot_id": lot_map[e["lot"]]})
        return Ledger(lots=lots, receipts=lots, movements=moves, book=book, physical=phys, errors=errors)

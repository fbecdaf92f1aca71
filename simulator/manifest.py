"""The ground truth: every error the simulator plants, with the keys and effect a test needs.

Reconciliation marts are proven by precision and recall against this manifest, so each planted item
names where it lives (file and 1-based data row where it is a row) and the business keys a mart would
report it under, plus the expected effect (quantity and/or amount in the stated currency).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

# The controlled vocabulary of planted error types, by domain.
TYPES: dict[str, tuple[str, ...]] = {
    "inventory": ("count_over", "count_under", "unrecorded_damage", "late_document"),
    "freight": (
        "duplicate_bill_line", "duplicate_bill_file", "overcharged_rate", "inflated_weight", "wrong_zone",
        "surcharge_not_in_contract", "billed_not_shipped", "shipped_not_billed", "currency_error",
    ),
    "settlement": ("missing_settlement", "short_payment", "wrong_commission", "refund_not_deducted"),
    "data": ("malformed_row", "truncated_file"),
}
DOMAIN_OF = {t: d for d, ts in TYPES.items() for t in ts}

SCHEMA: dict[str, pl.DataType] = {
    "anomaly_id": pl.Utf8,
    "type": pl.Utf8,
    "domain": pl.Utf8,
    "date": pl.Date,  # business date the error shows on (snapshot, ship, bill or settlement date)
    "source": pl.Utf8,  # landing source folder, e.g. carrier_bills
    "file": pl.Utf8,  # path relative to the landing root
    "row": pl.Int64,  # 1-based data row in the file (header excluded); null for file-level items
    "field": pl.Utf8,  # the field that is wrong, where one is
    "order_no": pl.Utf8,
    "waybill_no": pl.Utf8,
    "bill_line_id": pl.Utf8,
    "sku": pl.Utf8,
    "warehouse_id": pl.Utf8,
    "lot_id": pl.Utf8,
    "carrier": pl.Utf8,
    "channel": pl.Utf8,
    "expected_qty": pl.Float64,  # signed effect on quantity (e.g. physical - book)
    "expected_amount": pl.Float64,  # signed effect on money (e.g. billed - contract)
    "currency": pl.Utf8,
    "within_tolerance": pl.Boolean,  # inventory counts: whether the variance is inside the ABC tolerance
    "detail": pl.Utf8,
}


@dataclass
class Manifest:
    """Collects planted items while files are written; written once at the end."""

    rows: list[dict] = field(default_factory=list)

    def add(self, type: str, date: date, **keys: object) -> None:
        if type not in DOMAIN_OF:
            raise ValueError(f"unknown anomaly type {type!r}")
        unknown = set(keys) - set(SCHEMA)
        if unknown:
            raise ValueError(f"unknown manifest keys {sorted(unknown)}")
        self.rows.append({"type": type, "domain": DOMAIN_OF[type], "date": date, **keys})

    def frame(self) -> pl.DataFrame:
        rows = [{**r, "anomaly_id": f"A{i:07d}"} for i, r in enumerate(self.rows, start=1)]
        full = [{c: r.get(c) for c in SCHEMA} for r in rows]
        return pl.DataFrame(full, schema=SCHEMA).sort(["date", "type", "anomaly_id"])

    def write(self, out: Path) -> Path:
        """Write `_manifest/anomalies.parquet` and a JSON summary (counts by type) under `out`."""
        folder = out / "_manifest"
        folder.mkdir(parents=True, exist_ok=True)
        frame = self.frame()
        frame.write_parquet(folder / "anomalies.parquet", statistics=False)
        summary = {
            "total": frame.height,
            "by_type": dict(sorted(Counter(frame["type"].to_list()).items())),
            "by_domain": dict(sorted(Counter(frame["domain"].to_list()).items())),
        }
        (folder / "anomalies.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
        return folder

"""Every shipped layout on the simulator's landing files: each file has exactly one layout, row counts
equal what the simulator wrote, and the quarantine holds exactly the planted bad rows and the truncated
file's cut row (nothing more, nothing less). The simulator is the oracle here, so only tests import it.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from ingestion.mapping import mapping_for, shipped_mappings
from ingestion.parser import ParseResult, parse_file

simulator_run = pytest.importorskip("simulator.run")

# Sources whose layouts change the grain: one file row becomes several charge rows (amount and fee,
# freight and fuel), or one JSON order becomes one row per line item; counted differently below.
REGRAINED = {"carrier_bills", "settlements/shopify_transactions", "orders_shopify"}


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("landing")
    summary = simulator_run.simulate(out, start=date(2026, 1, 1), days=36, orders_per_day=25, seed=5, skus=60)
    return out, summary


@pytest.fixture(scope="module")
def parsed(landing) -> list[ParseResult]:
    root, _ = landing
    layouts = shipped_mappings()
    results = []
    for path in sorted(root.glob("*/*/*")):
        source = path.parts[-3]
        if source.startswith("_"):
            continue
        mapping = mapping_for(source, path.name, layouts)
        assert mapping is not None, f"no layout reads {path.relative_to(root)}"
        results.append(parse_file(path, mapping, source=source, business_date=date.fromisoformat(path.parent.name),
                                  landing_root=root))
    return results


def _summary_key(result: ParseResult) -> str:
    if result.source != "settlements":
        return result.source
    name = Path(result.source_file).name
    for prefix, key in (("amazon_settlement", "amazon_v2"), ("alipay", "alipay_bill"),
                        ("shopify_payouts", "shopify_payouts"), ("shopify_balance", "shopify_transactions")):
        if name.startswith(prefix):
            return f"settlements/{key}"
    raise AssertionError(f"unexpected settlement file {name}")


def test_every_file_reads_and_balances(parsed):
    assert parsed
    assert [r.source_file for r in parsed if r.file_error] == []
    assert all(r.balanced for r in parsed)


def test_row_counts_equal_what_the_simulator_wrote(landing, parsed):
    root, summary = landing
    manifest = pl.read_parquet(root / "_manifest" / "anomalies.parquet")
    lost = Counter()
    for item in manifest.filter(pl.col("type") == "truncated_file").iter_rows(named=True):
        lost[item["source"]] += int(re.search(r"(\d+) rows lost", item["detail"]).group(1))
    read = Counter()
    for result in parsed:
        read[_summary_key(result)] += result.rows_read
    expected = {k: v - lost[k] for k, v in summary.rows.items() if k not in REGRAINED}
    assert {k: read[k] for k in expected} == expected
    shopify = pl.concat([r.frame for r in parsed if r.source == "orders_shopify"])
    assert shopify.select("source_file", "order_no").n_unique() == summary.rows["orders_shopify"]


def test_quarantine_is_exactly_the_planted_data_faults(landing, parsed):
    root, _ = landing
    manifest = pl.read_parquet(root / "_manifest" / "anomalies.parquet").filter(pl.col("domain") == "data")
    assert manifest.height > 0
    planted = {(r["file"], r["row"]): r["field"] for r in manifest.iter_rows(named=True)}
    quarantined = {(q["source_file"], q["row_number"]): q["source_field"]
                   for r in parsed for q in r.quarantine.iter_rows(named=True)}
    assert set(quarantined) == set(planted)
    for key, field in planted.items():
        if field is not None:  # a malformed cell: the record names the same column of the file
            assert field in quarantined[key].split(" + "), key  # (a joined date + time names both)


def test_carrier_bills_every_carrier_and_charge_sums(parsed):
    bills = pl.concat([r.frame for r in parsed if r.contract == "carrier_bill_lines"])
    assert set(bills["carrier"].unique()) >= {"SF", "ZTO", "YTO", "CAINIAO", "4PX", "UPS", "FEDEX", "USPS", "DHL",
                                               "ROYALMAIL"}
    assert bills["amount"].null_count() == 0 and bills["bill_no"].null_count() == 0
    ups = bills.filter(pl.col("carrier") == "UPS").group_by("source_file", "bill_no").agg(
        pl.col("amount").sum(), pl.col("bill_total").first())
    assert (ups["amount"] == ups["bill_total"]).all()  # every EDI invoice's L1 lines add up to its L3

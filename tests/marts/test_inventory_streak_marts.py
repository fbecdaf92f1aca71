"""A nightly run continues each open variance's streak from the accuracy mart's own day before.

fct_inventory_accuracy counts `days_open` (consecutive inaccurate day closes) without re-reading the
history: an incremental run adds its window's days to the streak the mart holds for the day before the
window (a full build counts back var variance_streak_lookback_days instead). The simulated business
plants one-day variances only, so the day before is set here to a long open streak in the mart itself;
the next nightly run must continue it, and re-running both days restores the built marts exactly.

Runs after test_inventory_marts.py (name order), on the same business, and leaves it as it found it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from marts_dbt import dbt

pytestmark = pytest.mark.slow

MART = "marts.fct_inventory_accuracy"
SELECTOR = ["--select", "fct_inventory_accuracy"]
CARRIED = 41  # the streak the doctored day before ends with


def checksum(client) -> tuple[int, int]:
    return client.query(f"select count(), sum(cityHash64(*)) from {MART}").first_row


def night(business, day: date) -> None:
    """The nightly T-1 run of the accuracy mart for `day`."""
    window = {"min_date": str(day), "max_date": str(day + timedelta(days=1))}
    run = dbt(["run", *SELECTOR], business.dbt_dir, window)
    assert run.success, (day, run.failures)


def test_a_nightly_run_continues_the_streak_of_the_day_before(business, ch_client) -> None:
    built = checksum(ch_client)
    # the latest day with an inaccurate line that the mart also holds the day before
    found = ch_client.query(
        f"""select snapshot_date, warehouse_id, sku, lot_id from {MART}
            where not is_accurate
              and (warehouse_id, sku, lot_id, snapshot_date - 1) in (
                  select warehouse_id, sku, lot_id, snapshot_date from {MART})
            order by snapshot_date desc, warehouse_id, sku, lot_id limit 1""").first_row
    assert found, "the business has no inaccurate line the mart holds on the day before too"
    day, line = found[0], found[1:]
    before = day - timedelta(days=1)
    key = {"warehouse_id": line[0], "sku": line[1], "lot_id": line[2], "day": day, "before": before}
    where = "warehouse_id = {warehouse_id:String} and sku = {sku:String} and lot_id = {lot_id:String}"
    days_open = f"select days_open from {MART} where {where} and snapshot_date = {{day:Date}}"
    assert ch_client.query(days_open, parameters=key).first_row[0] == 1

    try:
        # the mart's day before now says: inaccurate, open for CARRIED days
        ch_client.command(
            f"alter table {MART} update is_accurate = false, days_open = {CARRIED}"
            f" where {where} and snapshot_date = {{before:Date}}",
            parameters=key, settings={"mutations_sync": 2})
        night(business, day)
        assert ch_client.query(days_open, parameters=key).first_row[0] == CARRIED + 1
        # every other line of the day keeps its own streak: the carry touched only this one
        others = ch_client.query(
            f"select countIf(days_open > 1) from {MART} where snapshot_date = {{day:Date}} and not ({where})",
            parameters=key).first_row[0]
        assert others == 0
    finally:
        # the day before re-run from its own day before, then the day: the built mart again
        night(business, before)
        night(business, day)
    assert ch_client.query(days_open, parameters=key).first_row[0] == 1
    assert checksum(ch_client) == built

"""The order-margin marts against the simulator's ground truth and the other marts they draw on.

Shares the session's business (conftest.py: 14 days, 300 orders/day, every source loaded, one
`dbt build`). The simulator's public truth (`simulator.truth`) gives its own order lines and the fees
each marketplace deducted, so revenue (per order, and per channel and day in the base currency),
refunds (per order to the cent, per line where the export states lines, and the returned goods) and
settled fees (per channel and day) are compared with what it knows, not with another SQL query. COGS
must be the valuation mart's unit cost, freight must add up to the freight audit's original bill lines
and the rate card's charges, and margin = revenue - refunds - (COGS - COGS reversed) - freight - fees
on every line and every daily row. Refunds a settlement stands in for (Amazon) need a closed Amazon
period: test_settlement_marts.py proves those on its three-week business.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from margin_truth import (
    MARGIN_REFUND_SQL,
    at_rate,
    excluded_orders,
    fx_rates,
    order_lines,
    refund_problems,
    refund_summary,
    refunds_side_by_side,
    settled_fees,
)
from marts_dbt import dbt

pytestmark = pytest.mark.slow

ORDER_KEY = ["channel", "order_no"]


def frame(client, sql: str) -> pl.DataFrame:
    return pl.from_arrow(client.query_arrow(sql))


@pytest.fixture(scope="module")
def truth(business) -> dict[str, pl.DataFrame]:
    lines = order_lines(business.landing)
    return {"lines": lines, "fees": settled_fees(business.landing, lines), "fx": fx_rates(business.landing),
            "excluded": excluded_orders(business.landing)}


@pytest.fixture(scope="module")
def margin(business, ch_client) -> pl.DataFrame:
    return frame(ch_client, "select *, order_id as order_no from marts.fct_order_margin").with_columns(
        pl.col(c).cast(pl.Float64) for c in (
            "revenue", "revenue_base", "cogs_base", "landed_cost_base", "outbound_freight_billed_base",
            "outbound_freight_expected_base", "outbound_freight_base", "channel_fees_base",
            "contribution_margin_base", "unit_cost_base", "refund", "refund_base", "net_revenue_base",
            "cogs_reversal_base"))


def truth_revenue(truth: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per order: revenue net of discounts in cents of its currency, and in the base currency."""
    lines = truth["lines"].filter(pl.col("status") != "cancelled").with_columns(
        ((pl.col("qty") * pl.col("unit_price") - pl.col("discount")) * 100).round(0).cast(pl.Int64).alias("cents"))
    lines = at_rate(lines, truth["fx"], "order_date", "cents", "base_cents")
    return lines.group_by(*ORDER_KEY, "order_date").agg(
        pl.col("cents").sum(), (pl.col("base_cents") / 100).sum().alias("revenue_base"), pl.len().alias("lines"))


def test_revenue_is_what_the_simulator_sold(business, truth, margin) -> None:
    """Every order the warehouse holds has the simulator's revenue to the cent; only orders a planted
    malformed row or truncated file touched may differ or be missing, and per channel and day the base
    currency revenue of the others is the simulator's."""
    expected = truth_revenue(truth)
    got = margin.group_by(ORDER_KEY).agg(
        (pl.col("revenue") * 100).round(0).cast(pl.Int64).sum().alias("got_cents"),
        pl.col("revenue_base").sum().alias("got_base"), pl.len().alias("got_lines"))
    both = expected.join(got, on=ORDER_KEY, how="full", coalesce=True)
    excluded = truth["excluded"].with_columns(pl.lit(True).alias("excluded"))
    both = both.join(excluded, on=ORDER_KEY, how="left").with_columns(pl.col("excluded").fill_null(False))

    differing = both.filter(~pl.col("excluded") & (
        pl.col("cents").is_null() | pl.col("got_cents").is_null() | (pl.col("cents") != pl.col("got_cents"))
        | (pl.col("lines") != pl.col("got_lines"))))
    compared = both.filter(~pl.col("excluded"))
    print(f"\norders compared {compared.height}, excluded (planted bad rows) {both.height - compared.height}, "
          f"differing {differing.height}")
    assert compared.height > 2000
    assert differing.is_empty(), differing.head(10)

    daily = compared.group_by("channel", "order_date").agg(
        pl.col("revenue_base").sum().alias("truth"), pl.col("got_base").sum().alias("mart"), pl.len().alias("orders"))
    print(daily.sort("channel", "order_date"))
    off = daily.filter((pl.col("truth") - pl.col("mart")).abs() > 0.0001 * pl.col("orders") * 3)
    assert off.is_empty(), off  # each line rounds to 4 places once


def test_settled_fees_are_what_the_marketplaces_deducted(business, truth, margin) -> None:
    """Per channel and order date, the settled fees on the lines add up to the commission and
    fulfilment fees the simulator's settlements deducted (planted wrong commissions included), at the
    settlement date's rate; orders not settled yet carry the contract's fees, never settled ones."""
    fees = at_rate(truth["fees"], truth["fx"], "settle_date", "fee_cents", "fee_base_cents")
    per_order = fees.group_by(ORDER_KEY).agg((pl.col("fee_base_cents") / 100).sum().alias("truth_fees"))
    dates = truth["lines"].select(*ORDER_KEY, "order_date").unique(ORDER_KEY)
    settled = margin.filter(pl.col("fee_basis") == "settled").group_by(ORDER_KEY).agg(
        pl.col("channel_fees_base").sum().alias("mart_fees"))
    both = per_order.join(settled, on=ORDER_KEY, how="full", coalesce=True).join(dates, on=ORDER_KEY, how="left")
    both = both.join(truth["excluded"].with_columns(pl.lit(True).alias("excluded")), on=ORDER_KEY, how="left")
    both = both.filter(pl.col("excluded").is_null())
    assert both.filter(pl.col("mart_fees").is_null()).is_empty(), "settled in the simulator, not in the mart"
    assert both.filter(pl.col("truth_fees").is_null()).is_empty(), "settled in the mart, not in the simulator"
    daily = both.group_by("channel", "order_date").agg(
        pl.col("truth_fees").sum(), pl.col("mart_fees").sum(), pl.len().alias("orders"))
    print(daily.sort("channel", "order_date"))
    # 14 days: Shopify (daily payouts) and Tmall (Alipay, T+7) have settled; Amazon's 14-day period has not
    assert daily.height >= 10 and set(daily["channel"]) == {"shopify", "tmall"}
    off = daily.filter((pl.col("truth_fees") - pl.col("mart_fees")).abs() > 0.0001 * pl.col("orders") * 3)
    assert off.is_empty(), off
    others = margin.filter(~pl.col("channel").is_in(["amazon", "shopify", "tmall"]))
    assert (others["fee_basis"] == "none").all() and (others["channel_fees_base"] == 0).all()


def test_cogs_is_the_valuation_unit_cost(business, ch_client, margin) -> None:
    """A line leaves at the moving average the valuation mart reports for its warehouse, SKU and the
    close of the day it left, and the landed add-on is a part of it."""
    valuation = frame(ch_client, "select valuation_date as cost_date, warehouse_id, sku, toFloat64(unit_cost)"
                                 " as valuation_unit_cost from marts.fct_inventory_valuation")
    joined = margin.join(valuation, on=["cost_date", "warehouse_id", "sku"], how="inner")
    assert joined.height > 0.5 * margin.height  # most lines leave on a day the book still holds the SKU
    off = joined.filter((pl.col("unit_cost_base") - pl.col("valuation_unit_cost")).abs() > 1e-9)
    assert off.is_empty(), off.head()
    assert (margin["cogs_base"] > 0).mean() > 0.99
    assert ((margin["landed_cost_base"] >= 0) & (margin["landed_cost_base"] <= margin["cogs_base"])).all()
    assert margin["landed_cost_base"].sum() > 0


def test_freight_adds_up_to_bills_and_rate_card(business, ch_client, margin) -> None:
    """Billed freight on the lines is the freight audit's original lines of the orders' parcels, and
    expected freight is the contract's charge of every parcel, both in the base currency."""
    billed = frame(ch_client, """
        select toFloat64(sum(a.billed_charge_base)) from marts.fct_freight_audit as a
        inner join staging.stg_tms__shipments as s on a.carrier = s.carrier and a.waybill_no = s.waybill_no
        where not a.is_duplicate_file and not a.is_duplicate_line and not a.is_billed_not_shipped
            and (s.channel, s.order_no) in (select channel, order_id from marts.fct_order_margin)""").item()
    assert billed > 0
    assert margin["outbound_freight_billed_base"].sum() == pytest.approx(billed, abs=0.01)
    basis = margin.group_by("freight_basis").len()
    print(basis)
    assert {"billed", "expected", "none"} <= set(basis["freight_basis"])
    pos = margin.filter(pl.col("channel") == "pos")
    assert (pos["freight_basis"] == "none").all() and (pos["outbound_freight_base"] == 0).all()


def test_refunds_are_what_the_buyers_got_back(business, truth, ch_client) -> None:
    """Every refunded line carries the simulator's refund, to the cent per order (per line where the export
    states lines), with the basis the order record gives it: the export's amount, a whole line for an
    Amazon return, pending for an Amazon partial refund no settlement has deducted yet (14 days: no Amazon
    period has closed). Returned goods, and only they, have their COGS reversed; net revenue per channel
    and day is the simulator's revenue less its refunds in the base currency."""
    margin = frame(ch_client, MARGIN_REFUND_SQL)
    both = refunds_side_by_side(business.landing, truth["lines"], margin)
    with pl.Config(tbl_rows=30):
        print(refund_summary(both))
    problems = {rule: rows for rule, rows in refund_problems(both).items() if not rows.is_empty()}
    assert not problems, problems
    refunded = both.filter(pl.col("refund_cents") > 0)
    assert set(refunded["channel"]) == {"amazon", "shopify", "tmall", "jd", "douyin", "pos"}
    assert {"order_export", "return", "pending", "none"} <= set(both["refund_basis"])
    assert both.filter(pl.col("returned"))["channel"].n_unique() >= 5  # returns on (almost) every channel

    truth_net = at_rate(_with_net_cents(both, truth["lines"]), truth["fx"], "order_date", "net_cents",
                        "net_base_cents")
    daily = truth_net.group_by("channel", "order_date").agg(
        (pl.col("net_base_cents") / 100).sum().alias("truth"), pl.col("net_revenue_base").sum().alias("mart"),
        pl.len().alias("lines"))
    off = daily.filter((pl.col("truth") - pl.col("mart")).abs() > 0.0001 * 2 * pl.col("lines"))
    assert off.is_empty(), off  # revenue and refund round to 4 places once each per line

    report = frame(ch_client, "select toFloat64(sum(refund_base)) as refunds, toFloat64(sum(net_revenue_base)) as net,"
                              " toFloat64(sum(cogs_reversal_base)) as reversed, sum(returned_quantity) as returned"
                              " from marts.rpt_margin_daily")
    assert report["refunds"].item() == pytest.approx(margin["refund_base"].sum(), abs=0.01)
    assert report["net"].item() == pytest.approx(margin["net_revenue_base"].sum(), abs=0.01)
    assert report["reversed"].item() == pytest.approx(margin["cogs_reversal_base"].sum(), abs=0.01)
    assert report["returned"].item() == margin["returned_quantity"].sum() > 0


def _with_net_cents(both: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """The compared lines with the simulator's revenue less refund, in cents of the order currency."""
    revenue = lines.select("channel", "order_no", "line_no", (
        ((pl.col("qty") * pl.col("unit_price") - pl.col("discount")) * 100).round(0).cast(pl.Int64)).alias("cents"))
    joined = both.join(revenue, on=["channel", "order_no", "line_no"], how="left")
    return joined.with_columns((pl.col("cents") - pl.col("refund_cents")).alias("net_cents"))


def test_margin_identity_on_lines_and_days(business, ch_client, margin) -> None:
    lines = margin.with_columns((pl.col("revenue_base") - pl.col("refund_base") - pl.col("cogs_base")
                                 + pl.col("cogs_reversal_base") - pl.col("outbound_freight_base")
                                 - pl.col("channel_fees_base") - pl.col("contribution_margin_base")).alias("gap"))
    assert lines["gap"].abs().max() < 1e-6
    assert (margin["net_revenue_base"] - (margin["revenue_base"] - margin["refund_base"])).abs().max() < 1e-6
    daily = frame(ch_client, "select * from marts.rpt_margin_daily")
    for column, line_column in (("revenue_base", "revenue_base"), ("freight_base", "outbound_freight_base"),
                                ("refund_base", "refund_base"), ("cogs_reversal_base", "cogs_reversal_base"),
                                ("contribution_margin_base", "contribution_margin_base")):
        assert daily[column].cast(pl.Float64).sum() == pytest.approx(margin[line_column].sum(), abs=0.01)
    margin_pct = daily.filter(pl.col("net_revenue_base") > 0)["margin_pct"]
    assert margin_pct.is_not_null().all() and margin_pct.min() > -1 and margin_pct.max() < 1


MARGIN_MARTS = ("fct_order_margin", "rpt_margin_daily")


def margin_checksums(client) -> dict[str, tuple[int, int]]:
    return {t: client.query(f"select count(), sum(cityHash64(*)) from marts.{t}").first_row for t in MARGIN_MARTS}


def test_day_by_day_runs_equal_the_full_build(business, ch_client) -> None:
    """From nothing: a first window, then T-1 runs (the last one twice) give the full build's margin
    marts, because each run restates margin_restatement_days before its window (bills and settlements
    that arrived since change older orders' margin)."""
    full = margin_checksums(ch_client)
    assert all(count > 0 for count, _ in full.values()), full
    dates = business.dates
    for table in MARGIN_MARTS:
        ch_client.command(f"DROP TABLE marts.{table}")
    selector = ["--select", *MARGIN_MARTS]
    first = dbt(["run", *selector], business.dbt_dir, {"min_date": str(dates[0]), "max_date": str(dates[-2])})
    assert first.success, first.failures
    assert all(margin_checksums(ch_client)[t][0] < full[t][0] for t in MARGIN_MARTS)
    # the T-1 runs restate (and so read the order exports of) 3 days only: raw already holds every
    # bill and settlement, so the first run's older days need no restating, and the bounded scan of
    # exports must give the same lines as the full build's
    for day in (dates[-2], dates[-1], dates[-1]):
        run = dbt(["run", *selector], business.dbt_dir, {"min_date": str(day), "max_date": str(day + timedelta(days=1)),
                                                         "margin_restatement_days": 3})
        assert run.success, (day, run.failures)
    assert margin_checksums(ch_client) == full

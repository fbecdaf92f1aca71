"""Every dashboard in headless Chromium: all charts rendered, no error panel, and numbers that match.

Each chart's data comes from the chart data API exactly as the frontend asks for it; beyond "rows and
no error", a few answers are checked against the marts themselves: the T-1 tile is the latest close
and its value, the daily axis carries the mart's own dates (no day shifted by a time zone), and the
dispute list downloads as CSV with every flagged bill line and its amount.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import yaml
from browser import RenderedDashboard, browser_page, log_in, open_dashboard

from dashboards import bundle


def _bundle_dashboards() -> dict[str, int]:
    """slug -> number of charts, from the committed bundle."""
    found = {}
    for path, text in bundle.read_bundle().items():
        if path.startswith("dashboards/"):
            data = yaml.safe_load(text)
            found[data["slug"]] = sum(1 for n in data["position"].values()
                                      if isinstance(n, dict) and n.get("type") == "CHART")
    return found


DASHBOARDS = _bundle_dashboards()


@pytest.fixture(scope="module")
def rendered(superset, artifacts) -> dict[str, RenderedDashboard]:
    with browser_page(superset.url) as page:
        assert log_in(page, superset.username, superset.password)
        return {slug: open_dashboard(page, slug, artifacts / f"{slug}.png") for slug in DASHBOARDS}


def _chart_ids(superset, slug: str) -> dict[str, int]:
    charts = superset.api.get(f"/api/v1/dashboard/{slug}/charts")["result"]
    return {chart["slice_name"]: chart["id"] for chart in charts}


def _answer(rendered, superset, slug: str, name: str):
    return rendered[slug].charts[_chart_ids(superset, slug)[name]]


def _day(epoch_ms: int) -> date:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    assert (moment.hour, moment.minute, moment.second) == (0, 0, 0), moment  # a day, not a shifted instant
    return moment.date()


@pytest.mark.parametrize("slug", sorted(DASHBOARDS))
def test_dashboard_renders_every_chart_without_error(rendered, superset, slug: str) -> None:
    page = rendered[slug]
    expected = _chart_ids(superset, slug)
    assert len(expected) == DASHBOARDS[slug]
    assert page.holders == page.rendered == len(expected), (page.holders, page.rendered)
    assert not page.alerts, page.alerts
    assert page.screenshot is not None and page.screenshot.stat().st_size > 10_000
    # Seen, not just present: each chart visible on the page, drawing its data, and painted in the screenshot.
    names = {chart_id: name for name, chart_id in expected.items()}
    assert set(page.views) == set(expected.values())
    unseen = {names[chart_id]: problems for chart_id, view in page.views.items()
              if (problems := view.problems(*page.page_size))}
    assert not unseen, unseen
    assert set(page.charts) == set(expected.values())
    for chart_id, answer in page.charts.items():
        assert answer.status == 200, (names[chart_id], answer.body)
        assert answer.results, names[chart_id]
        for result in answer.results:
            assert not result.get("error"), (names[chart_id], result["error"])
            assert result["rowcount"] > 0, f"{names[chart_id]}: no rows"


def test_t1_tile_is_the_latest_close_with_its_accuracy(rendered, superset, ch_client, dash_business) -> None:
    answer = _answer(rendered, superset, "inventory-accuracy", "Record accuracy (T-1)")
    rows = answer.results[0]["data"]
    latest = max(rows, key=lambda row: row["snapshot_date"])
    assert _day(latest["snapshot_date"]) == dash_business.end
    accurate, lines = ch_client.query(
        "SELECT sum(accurate_lines), sum(lines) FROM marts.rpt_inventory_accuracy_daily "
        "WHERE snapshot_date = {day:Date}", parameters={"day": dash_business.end}).first_row
    assert lines > 0
    assert latest["Record accuracy"] == pytest.approx(accurate / lines, abs=1e-9)


def test_daily_axis_carries_the_marts_own_dates(rendered, superset, ch_client, dash_business) -> None:
    answer = _answer(rendered, superset, "inventory-accuracy", "Accuracy trend (30 days)")
    charted = {_day(row["snapshot_date"]) for row in answer.results[0]["data"]}
    in_mart = {row[0] for row in ch_client.query(
        "SELECT DISTINCT snapshot_date FROM marts.rpt_inventory_accuracy_daily").result_rows}
    assert charted == in_mart
    assert max(charted) == dash_business.end


def test_dispute_list_downloads_as_csv_for_the_carrier(rendered, superset, ch_client) -> None:
    answer = _answer(rendered, superset, "freight-reconciliation", "Dispute list")
    response = superset.api.post("/api/v1/chart/data", json={**answer.request, "result_format": "csv",
                                                             "result_type": "full"})
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    flagged, disputed = ch_client.query(
        "SELECT count(), sum(dispute_amount) FROM marts.fct_freight_audit WHERE is_flagged").first_row
    assert flagged > 0 and len(rows) == flagged
    amount_column = next(c for c in rows[0] if c in ("dispute_amount", "Dispute amount"))
    assert sum(Decimal(row[amount_column]) for row in rows) == pytest.approx(Decimal(disputed))
    assert {"Carrier", "Bill line", "Waybill"} <= set(rows[0]) or {"carrier", "bill_line_id", "waybill_no"} <= set(rows[0])

"""Drive Debian's Chromium through Playwright: log in like a user, open a dashboard, see what it shows.

What a dashboard "renders" is judged two ways: every chart's request to the chart data API (the one
the frontend builds from the saved chart) answered with rows and no error, and the page holding one
rendered chart container per chart and no error alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ERROR_SELECTOR = '.ant-alert-error, [role="alert"]'


@dataclass
class ChartResponse:
    slice_id: int
    status: int
    body: dict[str, Any]
    request: dict[str, Any]

    @property
    def results(self) -> list[dict[str, Any]]:
        return self.body.get("result") or []


@dataclass
class RenderedDashboard:
    slug: str
    holders: int
    rendered: int
    alerts: list[str]
    charts: dict[int, ChartResponse] = field(default_factory=dict)
    screenshot: Path | None = None


@contextmanager
def browser_page(base_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200}, base_url=base_url)
            page.set_default_timeout(90_000)
            yield page
        finally:
            browser.close()


def log_in(page: Any, username: str, password: str) -> bool:
    """Submit the login form; True when Superset let us past it."""
    page.goto("/login/")
    page.fill("input#username", username)
    page.fill("input#password", password)
    page.keyboard.press("Enter")
    try:
        page.wait_for_url(lambda url: "/login" not in url, timeout=15_000)
    except Exception:  # noqa: BLE001 - Playwright's timeout: still on the login page
        return False
    return True


def open_dashboard(page: Any, slug: str, screenshot: Path) -> RenderedDashboard:
    """Open /superset/dashboard/<slug>/, wait until every chart settled, capture its chart data answers."""
    answers: dict[int, ChartResponse] = {}

    def on_response(response: Any) -> None:
        if "/api/v1/chart/data" not in response.url or response.request.method != "POST":
            return
        request = response.request.post_data_json or {}
        slice_id = (request.get("form_data") or {}).get("slice_id")
        if slice_id is None:  # a native filter's options query, not a chart
            return
        try:
            body = response.json()
        except Exception:  # noqa: BLE001 - a non-JSON error page is itself the failure to report
            body = {"message": response.text()[:500]}
        answers[int(slice_id)] = ChartResponse(int(slice_id), response.status, body, request)

    page.on("response", on_response)
    try:
        page.goto(f"/superset/dashboard/{slug}/")
        page.wait_for_selector('[data-test="dashboard-component-chart-holder"]')
        page.wait_for_load_state("networkidle")
        page.wait_for_function("document.querySelectorAll('[data-test=\"loading-indicator\"], .loading').length === 0")
        page.wait_for_timeout(1_000)  # let ECharts finish painting before the screenshot
        holders = page.locator('[data-test="dashboard-component-chart-holder"]').count()
        rendered = page.locator('[data-test="chart-container"]').count()
        alerts = page.locator(ERROR_SELECTOR).all_inner_texts()
        page.screenshot(path=str(screenshot), full_page=True)
    finally:
        page.remove_listener("response", on_response)
    return RenderedDashboard(slug, holders, rendered, alerts, answers, screenshot)

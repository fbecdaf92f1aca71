"""Drive Debian's Chromium through Playwright: log in like a user, open a dashboard, see what it shows.

What a dashboard "renders" is judged three ways, per chart id: its request to the chart data API (the
one the frontend builds from the saved chart) answered with rows and no error; its container on the
page visible, with a size, on top, and showing content of its kind (an ECharts canvas, table rows, a
big number); and its area of the saved screenshot not a blank fill. Counting chart holders is not
enough: a run once passed with three dashboards whose screenshots showed only an empty grey grid.

The viewport is made as tall as the dashboard before anything is measured, so the screenshot is taken
without the resize a full-page capture does (a resize makes Superset lay the grid out again, and a
capture during that re-layout shows no charts).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ERROR_SELECTOR = '.ant-alert-error, [role="alert"]'
WIDTH = 1600
CHART_SELECTOR = ".chart-slice[data-test-chart-id]"
# A function, not an expression: Superset's CSP forbids the eval Playwright would poll an expression with.
LOADING = "() => document.querySelectorAll('[data-test=\"loading-indicator\"], .loading').length === 0"

# Per chart: where it is, whether it is what a user sees at its centre, and what it holds.
_CHART_VIEWS_JS = """() => [...document.querySelectorAll('.chart-slice[data-test-chart-id]')].map(slice => {
  const box = slice.getBoundingClientRect();
  const centre = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  const canvases = [...slice.querySelectorAll('canvas')].filter(c => {
    const r = c.getBoundingClientRect(); return c.width > 0 && c.height > 0 && r.width > 0 && r.height > 0; });
  const error = slice.querySelector('.ant-alert-error, [role="alert"]');
  return {
    chart_id: Number(slice.getAttribute('data-test-chart-id')),
    viz_type: slice.getAttribute('data-test-viz-type') || '',
    x: box.x + window.scrollX, y: box.y + window.scrollY, width: box.width, height: box.height,
    visible: slice.checkVisibility({opacityProperty: true, visibilityProperty: true}),
    on_top: centre !== null && slice.contains(centre),
    canvases: canvases.length,
    table_rows: slice.querySelectorAll('table tbody tr:not(.dt-no-results)').length,
    big_number: (slice.querySelector('.header-line') || {}).innerText || '',
    empty_state: slice.querySelector('.ant-empty') !== null,
    error: error ? error.innerText : '',
  };
})"""


@dataclass
class ChartResponse:
    slice_id: int
    status: int
    body: dict[str, Any]
    request: dict[str, Any]

    @property
    def results(self) -> list[dict[str, Any]]:
        return self.body.get("result") or []


@dataclass(frozen=True)
class ChartView:
    """One chart as the page showed it when the screenshot was taken."""

    chart_id: int
    viz_type: str
    x: float
    y: float
    width: float
    height: float
    visible: bool
    on_top: bool
    canvases: int
    table_rows: int
    big_number: str
    empty_state: bool
    error: str
    painted_share: float = 0.0  # share of its screenshot area not in the area's most common colour

    def problems(self, page_width: int, page_height: int) -> list[str]:
        """What a user would miss in this chart; empty when it visibly shows data of its kind."""
        found = []
        if not (self.visible and self.width > 0 and self.height > 0):
            found.append(f"not visible ({self.width:.0f}x{self.height:.0f})")
        if self.x < 0 or self.y < 0 or self.x + self.width > page_width or self.y + self.height > page_height:
            found.append(f"outside the page at ({self.x:.0f},{self.y:.0f})")
        if not self.on_top:
            found.append("covered by another element")
        if self.error:
            found.append(f"error panel: {self.error[:200]}")
        if self.empty_state:
            found.append("shows 'No results'")
        if self.viz_type.startswith("big_number"):
            if not any(ch.isdigit() for ch in self.big_number):
                found.append(f"big number without a number: {self.big_number!r}")
        elif self.viz_type == "table":
            if self.table_rows == 0:
                found.append("table without rows")
        elif self.canvases == 0:
            found.append("no drawn ECharts canvas")
        if self.painted_share < MIN_PAINTED_SHARE:
            found.append(f"blank in the screenshot ({self.painted_share:.1%} painted)")
        return found


# A chart card holds a title and its data: well over this share of its pixels differ from its background.
# An unpainted area (the empty grey grid) is one colour: 0%.
MIN_PAINTED_SHARE = 0.01


@dataclass
class RenderedDashboard:
    slug: str
    holders: int
    rendered: int
    alerts: list[str]
    charts: dict[int, ChartResponse] = field(default_factory=dict)
    views: dict[int, ChartView] = field(default_factory=dict)
    page_size: tuple[int, int] = (0, 0)
    screenshot: Path | None = None


@contextmanager
def browser_page(base_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 1200}, base_url=base_url)
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


def painted_share(screenshot: Path, view: ChartView) -> float:
    """Share of the chart's screenshot area that is not its most common colour (0.0 = a blank fill)."""
    from PIL import Image

    with Image.open(screenshot) as image:
        box = (max(0, int(view.x)), max(0, int(view.y)), min(image.width, int(view.x + view.width)),
               min(image.height, int(view.y + view.height)))
        if box[2] <= box[0] or box[3] <= box[1]:
            return 0.0
        area = image.convert("RGB").crop(box)
        pixels = area.width * area.height
        colours = area.getcolors(maxcolors=pixels) or []
        return 1.0 - max(count for count, _ in colours) / pixels


def _settle(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function(LOADING)


def _wait_for_chart_content(page: Any, timeout_ms: int = 60_000) -> None:
    """Give every chart time to draw (a canvas, rows or a number); a chart that never does is reported by
    the caller's per-chart check, not by a timeout here."""
    script = """() => [...document.querySelectorAll('.chart-slice[data-test-chart-id]')].every(s =>
        s.querySelector('canvas, table tbody tr, .header-line, .ant-empty, .ant-alert-error, [role="alert"]'))"""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(script, timeout=timeout_ms)


def open_dashboard(page: Any, slug: str, screenshot: Path) -> RenderedDashboard:
    """Open /superset/dashboard/<slug>/, wait until every chart settled, capture what each chart shows."""
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
        page.set_viewport_size({"width": WIDTH, "height": 1200})
        page.goto(f"/superset/dashboard/{slug}/")
        page.wait_for_selector('[data-test="dashboard-component-chart-holder"]')
        _settle(page)
        # The whole dashboard in the viewport: nothing below the fold, no resize during the capture.
        height = page.evaluate("() => document.documentElement.scrollHeight")
        page.set_viewport_size({"width": WIDTH, "height": height})
        _settle(page)
        _wait_for_chart_content(page)
        page.wait_for_timeout(1_000)  # let ECharts finish its animation before the screenshot
        holders = page.locator('[data-test="dashboard-component-chart-holder"]').count()
        rendered = page.locator('[data-test="chart-container"]').count()
        alerts = page.locator(ERROR_SELECTOR).all_inner_texts()
        raw_views = page.evaluate(_CHART_VIEWS_JS)
        page_size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        page.screenshot(path=str(screenshot), full_page=False)
    finally:
        page.remove_listener("response", on_response)
    views = {}
    for raw in raw_views:
        view = ChartView(**raw)
        views[view.chart_id] = ChartView(**{**raw, "painted_share": painted_share(screenshot, view)})
    return RenderedDashboard(slug, holders, rendered, alerts, answers, views, tuple(page_size), screenshot)

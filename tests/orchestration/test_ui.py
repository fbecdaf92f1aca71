"""The Dagster UI the demo starts (webserver + daemon on loopback) loads in headless Chromium and draws
the lineage of a mart from the raw ingestion assets; a screenshot is kept in test-artifacts/."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
def dagster_ui(pipeline_business):
    from orchestration import ui

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    current = ui.start(port)
    try:
        yield current
    finally:
        stopped = ui.stop()
        assert set(stopped) == {"webserver", "daemon"}
        assert not ui.status().running


def test_ui_shows_the_lineage_from_raw_to_a_mart(dagster_ui):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    assert dagster_ui.url.startswith("http://127.0.0.1:")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"{dagster_ui.url}/assets/marts/fct_inventory_accuracy"
                      "?view=lineage&lineageScope=upstream&lineageDepth=4", timeout=180_000)
            skip = page.get_by_role("button", name="Skip")  # Dagster's first-visit newsletter dialog
            with contextlib.suppress(PlaywrightTimeout):  # not shown once dismissed
                skip.click(timeout=15_000)
            for label in ("wms_snapshot", "erp_snapshot", "sku_master", "int_in…__positions"):
                page.get_by_text(label, exact=True).first.wait_for(state="visible", timeout=120_000)
            page.screenshot(path=str(ARTIFACTS / "dagster-asset-lineage.png"))
            body = page.inner_text("body")
        finally:
            browser.close()
    for group in ("raw", "staging", "intermediate", "marts"):
        assert group in body.split("\n")
    assert (ARTIFACTS / "dagster-asset-lineage.png").stat().st_size > 20_000

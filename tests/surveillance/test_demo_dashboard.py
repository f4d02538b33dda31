"""The demo's first minute as a supervisor sees it: `tcx up --demo` in its own process and
the dashboard in headless Chromium. The morning since 09:30 is already traded, so the chart
is full of bars at once, and the spoofing alerts read like real episodes: the large bid
rested seconds before it was pulled.

Screenshots, and how long the chart took to fill, go to test-artifacts/demo/.
"""

import re
import signal
import time

import pytest
from playwright.sync_api import Page, expect

from gateway.demo.market import DEMO_SUPERVISOR
from tests.gateway.exchange_fixtures import free_port, start_tcx_up, wait_until_healthy
from tests.surveillance.test_dashboard import (  # noqa: F401 (browser and page are fixtures)
    ARTIFACTS,
    browser,
    page,
)

DEMO_ARTIFACTS = ARTIFACTS.parent / "demo"
pytestmark = pytest.mark.slow


def screenshot(shown: Page, name: str) -> None:
    DEMO_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shown.mouse.move(0, 0)
    shown.wait_for_timeout(300)  # let the charts draw their last frame
    shown.screenshot(path=DEMO_ARTIFACTS / f"{name}.png", full_page=True)


def test_the_demo_opens_on_a_traded_morning_with_alerts_paced_like_people(tmp_path, page):  # noqa: F811
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    process = start_tcx_up(tmp_path, port, "--demo")
    try:
        wait_until_healthy(base_url)
        page.goto(f"{base_url}/dashboard/#/market/TJEA25")
        page.fill("#login-form input[name=user]", DEMO_SUPERVISOR[0])
        page.fill("#login-form input[name=password]", DEMO_SUPERVISOR[1])
        page.click("#login-form button")
        chart = page.locator("#price-chart")
        # ≥ 30 bars; the morning's replay takes seconds, more on a loaded machine
        expect(chart).to_have_attribute(
            "data-bars", re.compile(r"^([3-9]\d|\d{3,})$"), timeout=30_000
        )
        populated = time.monotonic() - started
        DEMO_ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (DEMO_ARTIFACTS / "first-populated-chart.txt").write_text(
            f"{populated:.1f} s from starting tcx up --demo to a chart of "
            f"{chart.get_attribute('data-bars')} bars\n"
        )
        expect(page.locator("#tape tbody tr")).not_to_have_count(0)
        screenshot(page, "market")

        page.goto(f"{base_url}/dashboard/#/alerts")
        page.select_option("select[name=pattern]", "spoofing")
        spoofs = page.locator("tr[data-alert^='spoofing-']")
        expect(spoofs.first).to_contain_text("MX1")
        screenshot(page, "alert-queue")
        spoofs.first.locator("a").first.click()
        reason = page.locator("#alert-reason")
        expect(reason).to_contain_text("cancelled it after")
        rested = float(re.search(r"cancelled it after ([\d.]+) s", reason.inner_text())[1])
        assert 1.0 <= rested <= 10.0, reason.inner_text()  # seconds, as a person spoofs
        measure = page.locator("#evidence tr", has_text="Seconds to cancel").locator("td").nth(1)
        assert float(measure.inner_text()) == pytest.approx(rested, abs=0.05)
        screenshot(page, "spoofing-alert")

        page.goto(f"{base_url}/dashboard/#/accounts/MX1")
        expect(page.locator("#trades tbody tr")).not_to_have_count(0)
        expect(page.locator("#account-alerts")).to_contain_text("spoofing")
        screenshot(page, "account")

        page.goto(f"{base_url}/dashboard/#/bulletin/TJEA25")
        today = page.locator("#bulletin-latest tbody tr", has_text="TJEA25").locator("td").last
        expect(today).not_to_have_text(re.compile(r"^0 t"))  # the morning's volume so far
        screenshot(page, "bulletin")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output

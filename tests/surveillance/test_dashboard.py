"""The supervisors' dashboard in a real browser (headless Chromium driven by playwright)
against the embedded exchange: members trade over FIX, supervisors watch and work alerts.

Screenshots of each main page go to test-artifacts/dashboard/ for people to look at.
"""

import asyncio
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from websockets.asyncio.client import connect

from engine.commands import CancelOrder, NewOrder
from engine.orders import OrderType, Side, TimeInForce
from tests.gateway.exchange_fixtures import (
    SUPERVISOR,
    TRADER,
    FixedClock,
    limit_order,
    running_exchange,
)
from tests.gateway.fix_harness import SimpleFixMember, text
from tests.gateway.test_member_trading import GATEWAY, open_and_fund, order, reports_until

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 20_000

pytestmark = pytest.mark.skipif(  # in CI a missing browser is a failure, not a skip
    shutil.which(CHROMIUM) is None and not os.environ.get("CI"),
    reason="needs Chromium (scripts/test.sh installs it)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)  # no crosshair or hover in the picture
    page.wait_for_timeout(300)  # let the charts draw their last frame
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def log_in(page: Page, base_url: str, where: str = "#/market") -> None:
    page.goto(f"{base_url}/dashboard/{where}")
    page.fill("#login-form input[name=user]", SUPERVISOR[0])
    page.fill("#login-form input[name=password]", SUPERVISOR[1])
    page.click("#login-form button")
    expect(page.locator("#user")).to_have_text(SUPERVISOR[0])


def trade_over_fix(fix_url: str, price: str) -> None:
    """M1 sells 300 t at `price` and buys 200 t against it, over its FIX session."""

    async def trade() -> None:
        async with connect(fix_url) as connection:
            member = SimpleFixMember(connection, comp_id=TRADER[0], gateway=GATEWAY)
            await member.send("A", (98, "0"), (108, "30"), (553, TRADER[0]), (554, TRADER[1]))
            assert text(await member.receive(), 35) == "A"
            await member.send("D", *order("s1", "SELLER", "2", 300, price))
            await reports_until(member, 1)
            await member.send("D", *order("b1", "BUYER", "1", 200, price))
            reports = await reports_until(member, 3)
            assert {text(r, 150) for r in reports} == {"0", "F"}

    with ThreadPoolExecutor(1) as elsewhere:  # playwright's loop runs on this thread
        elsewhere.submit(asyncio.run, trade()).result()


def test_login_is_refused_with_a_wrong_password(tmp_path, page):
    with running_exchange(tmp_path) as running:
        page.goto(f"{running.base_url}/dashboard/")
        screenshot(page, "login")
        page.fill("#login-form input[name=user]", SUPERVISOR[0])
        page.fill("#login-form input[name=password]", "not-the-password")
        page.click("#login-form button")
        expect(page.locator("#login-error")).to_have_text("Unknown user or wrong password.")
        expect(page.locator("#top")).to_be_hidden()


def test_a_trade_placed_over_fix_shows_on_the_market_panel_and_in_the_bulletin(tmp_path, page):
    with running_exchange(tmp_path) as running:
        open_and_fund(running.base_url)
        log_in(page, running.base_url, "#/market/TJEA25")
        chart = page.locator("#price-chart")
        expect(page.locator("#state")).to_have_text("TRADING")
        expect(chart).to_have_attribute("data-band", "45.00-55.00")
        expect(chart).to_have_attribute("data-bars", "0")

        trade_over_fix(running.fix_url, "51.20")

        expect(page.locator("#last-price")).to_have_text("51.20")
        expect(page.locator("#volume")).to_have_text("200")
        expect(chart).to_have_attribute("data-bars", "1")
        expect(chart).to_have_attribute("data-last-close", "51.20")
        expect(page.locator("#tape tbody tr").first).to_contain_text("51.20")
        screenshot(page, "market")

        page.fill("input[name=reason]", "test halt")
        page.click("#halt")
        expect(page.locator("#state")).to_have_text("HALTED")
        page.fill("input[name=reason]", "test over")
        page.click("#resume")
        expect(page.locator("#state")).to_have_text("TRADING")

        with httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20) as api:
            closed = api.post("/api/admin/end-of-day", json={"trading_date": "2026-11-24"})
            assert closed.status_code == 200, closed.text
        page.goto(f"{running.base_url}/dashboard/#/bulletin/TJEA25")
        row = page.locator("#bulletin-history tbody tr").first
        expect(row).to_contain_text("2026-11-24")
        expect(row).to_contain_text("51.20")
        screenshot(page, "bulletin")


def spoofing_episode(running) -> None:
    """Normal quoting first (the median top-of-book size is then 100 t), then SELLER bids
    2,000 t, sells 100 t into BUYER's bid and pulls the big bid: spoofing."""
    with httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20) as api:
        for account, amount in (("BUYER", "1000000"), ("SELLER", "200000")):
            cash = {
                "account": account,
                "kind": "deposit",
                "amount": amount,
                "reference": f"D2-{account}",
            }
            assert api.post("/api/admin/cash", json=cash).status_code == 201
    quotes = [
        limit_order("BUYER", f"q{i}", "TJEA25", Side.BUY, 4_900 + 4 * i, 100) for i in range(24)
    ]
    quotes += [
        limit_order("SELLER", f"a{i}", "TJEA25", Side.SELL, 5_100 + 4 * i, 100) for i in range(8)
    ]
    running.submit(quotes)
    lure = limit_order("SELLER", "lure", "TJEA25", Side.BUY, 4_990, 2_000)
    sale = NewOrder(
        FixedClock().now() + 1_000_000_000, "SELLER", "sale", "TJEA25", Side.SELL,
        OrderType.LIMIT, TimeInForce.IOC, 4_980, 100,
    )  # fmt: skip
    pull = CancelOrder(FixedClock().now() + 2_000_000_000, "SELLER", "pull", "TJEA25", "lure")
    running.submit([lure, sale, pull])


def test_a_spoofing_alert_appears_live_and_is_worked_to_closed_with_an_audit_trail(tmp_path, page):
    with running_exchange(tmp_path) as running:
        open_and_fund(running.base_url)
        log_in(page, running.base_url, "#/alerts")
        expect(page.locator("#queue-summary")).to_have_text("0 alerts.")

        spoofing_episode(running)

        row = page.locator("tr[data-alert^='spoofing-']")
        expect(row).to_have_count(1)  # arrived over the websocket: no reload
        expect(row).to_contain_text("SELLER")
        screenshot(page, "alert-queue")
        page.select_option("select[name=pattern]", "self_trade")
        expect(row).to_have_count(0)
        page.select_option("select[name=pattern]", "spoofing")
        expect(row).to_have_count(1)
        row.locator("a").first.click()

        expect(page.locator("#alert-reason")).to_contain_text("SELLER")
        chart = page.locator("#window-chart")
        expect(chart).not_to_have_attribute("data-markers", "0")
        expect(page.locator("#subject-events")).to_contain_text("cancelled")
        expect(page.locator("#book tr.bid.subject")).to_contain_text("49.90")
        expect(page.locator("#book tr.bid.subject")).to_contain_text("2,000")

        steps = [
            ("#assign", "Looks like a lure: taking it.", "in review"),
            ("#escalate", "Repeats the 2025 pattern; for a decision.", "escalated"),
            ("#close", "Warning letter sent.", "closed"),
        ]
        for button, comment, status in steps:
            if button == "#close":
                page.select_option("#disposition", "warning_letter")
            page.fill("#comment", comment)
            page.click(button)
            expect(page.locator("#action-error")).to_have_text("")
            expect(page.locator(".title-row .status")).to_have_text(status)
            expect(page.locator("#trail")).to_contain_text(comment)
        expect(page.locator("#action-error")).to_have_text("")
        screenshot(page, "alert")

        page.goto(f"{running.base_url}/dashboard/#/audit")
        for action, comment in (
            ("assign", steps[0][1]),
            ("escalate", steps[1][1]),
            ("close", steps[2][1]),
        ):
            entry = page.locator(f"#audit-list tr[data-action='{action}']")
            expect(entry).to_contain_text(comment)
            expect(entry).to_contain_text(SUPERVISOR[0])
        screenshot(page, "audit")

        page.goto(f"{running.base_url}/dashboard/#/accounts/SELLER")
        expect(page.locator("#orders")).to_contain_text("lure")
        expect(page.locator("#trades")).to_contain_text("BUYER")
        expect(page.locator("#account-alerts")).to_contain_text("spoofing")
        expect(page.locator("#holdings")).to_contain_text("TJEA25")
        screenshot(page, "account")


def group_spoofing_episode(running) -> None:
    """SELLER and LINKED, one control group, bid 1,000 t each at adjacent prices (one lure
    split in two), SELLER sells into BUYER's bid, both bids are pulled."""
    with httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20) as api:
        linked = {"account": "LINKED", "member": "M1", "kind": "investor", "allocation": 0}
        assert api.post("/api/admin/accounts", json=linked | {"control_group": "G1"}).is_success
        group = {"control_group": "G1"}
        assert api.put("/api/admin/accounts/SELLER/control-group", json=group).is_success
        for account, amount in (("BUYER", "1000000"), ("SELLER", "200000"), ("LINKED", "200000")):
            cash = {
                "account": account,
                "kind": "deposit",
                "amount": amount,
                "reference": f"D3-{account}",
            }
            assert api.post("/api/admin/cash", json=cash).status_code == 201
    quotes = [
        limit_order("BUYER", f"q{i}", "TJEA25", Side.BUY, 4_900 + 4 * i, 100) for i in range(24)
    ]
    quotes += [
        limit_order("SELLER", f"a{i}", "TJEA25", Side.SELL, 5_100 + 4 * i, 100) for i in range(8)
    ]
    running.submit(quotes)
    lures = [
        limit_order("SELLER", "lure", "TJEA25", Side.BUY, 4_990, 1_000),
        limit_order("LINKED", "lure2", "TJEA25", Side.BUY, 4_989, 1_000),
    ]
    later = FixedClock().now() + 1_000_000_000
    sale = NewOrder(
        later, "SELLER", "sale", "TJEA25", Side.SELL, OrderType.LIMIT, TimeInForce.IOC, 4_980, 100
    )
    pulls = [
        CancelOrder(later + 1_000_000_000, "SELLER", "pull", "TJEA25", "lure"),
        CancelOrder(later + 1_000_000_000, "LINKED", "pull2", "TJEA25", "lure2"),
    ]
    running.submit([*lures, sale, *pulls])


def test_a_group_alert_shows_each_accounts_share_of_the_evidence(tmp_path, page):
    with running_exchange(tmp_path) as running:
        open_and_fund(running.base_url)
        log_in(page, running.base_url, "#/alerts")
        group_spoofing_episode(running)
        row = page.locator("tr[data-alert^='spoofing-']")
        expect(row).to_have_count(1)
        row.locator("a").first.click()
        shares = page.locator("#evidence-shares")
        expect(shares.locator("tr[data-account='SELLER']")).to_contain_text("50.0 %")
        expect(shares.locator("tr[data-account='LINKED']")).to_contain_text("50.0 %")
        expect(shares).to_contain_text("group G1")
        expect(page.locator("#evidence")).not_to_contain_text("share percent")
        screenshot(page, "alert-group-shares")

"""The dashboard's auctions page in headless Chromium against a running exchange: the
authority creates an auction through the form (a comment is required), members bid over
REST, the live demand curve and the bidders' caps follow, and after the close the curve
shows the clearing price with the allotments and the results; the creation is audited.
A screenshot goes to test-artifacts/dashboard/auction.png."""

import httpx
from playwright.sync_api import Page, expect

from tests.gateway.auction_exchange import ENTITY, INVESTOR, SUPERVISOR, auction_exchange, ns, wait
from tests.surveillance import test_dashboard as dashboard

browser, page, pytestmark = dashboard.browser, dashboard.page, dashboard.pytestmark  # fixtures


def test_create_watch_the_demand_curve_and_the_clearing(tmp_path, page: Page) -> None:
    with auction_exchange(tmp_path) as (running, admin):
        page.goto(f"{running.base_url}/dashboard/#/auctions")
        page.fill("#login-form input[name=user]", SUPERVISOR[0])
        page.fill("#login-form input[name=password]", SUPERVISOR[1])
        page.click("#login-form button")
        form = page.locator("#create-auction")
        for name, value in {
            "auction_id": "DASH-1", "seller": "GOV", "volume": "50000", "floor_price": "48.00",
            "announce_at": "2026-11-24T10:00", "open_at": "2026-11-24T10:00",
            "close_at": "2026-11-24T10:30", "results_at": "2026-11-24T10:45",
            "group_cap_percent": "80", "investor_cap": "40000",
            "entities": "E1:1500000:30000",
        }.items():  # fmt: skip
            form.locator(f"[name={name}]").fill(value)
        form.locator("button").click()  # no comment: the browser does not send it
        expect(page).to_have_url(f"{running.base_url}/dashboard/#/auctions")
        assert admin.get("/api/admin/auctions").json() == []
        form.locator("[name=comment]").fill("first auction of the year")
        form.locator("button").click()
        expect(page.locator("#auction-state")).to_have_text("open")

        path = "/api/member/auctions/DASH-1/bids"
        for credentials, account, client_id, price, quantity in (
            (ENTITY, "E1", "e1", "52.00", 30_000),
            (INVESTOR, "I1", "i1", "49.50", 20_000),
            (INVESTOR, "I1", "i2", "48.50", 10_000),
        ):
            body = {"account": account, "client_bid_id": client_id, "price": price,
                    "quantity": quantity}  # fmt: skip
            placed = httpx.post(f"{running.base_url}{path}", json=body, auth=credentials)
            assert placed.status_code == 201, placed.text
        curve = page.locator("svg.demand-curve path.demand")
        expect(curve).to_have_attribute("data-points", "3")
        expect(page.locator("tr[data-bidder=E1] td").nth(3)).to_have_text("30,000")  # its cap
        expect(page.locator("tr[data-bidder=I1] td").nth(2)).to_have_text("30,000")

        running.exchange.clock.ts = ns(10, 30)
        expect(page.locator("#auction-results")).to_contain_text("Clearing price 49.50")
        expect(page.locator("svg.demand-curve text.clearing")).to_have_text("clearing 49.50")
        expect(page.locator("#auction-state")).to_have_text("settled")
        running.exchange.clock.ts = ns(10, 45)
        expect(page.locator("#auction-results")).to_contain_text("2 bidders, 2 winners")
        dashboard.screenshot(page, "auction")

        audit = wait(
            lambda: [
                e for e in admin.get("/api/admin/audit").json() if e["kind"] == "auction_create"
            ],
            "the creation in the registry's audit",
        )
        assert audit[0]["actor"] == SUPERVISOR[0]
        assert audit[0]["detail"] == "first auction of the year"

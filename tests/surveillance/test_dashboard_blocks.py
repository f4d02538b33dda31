"""The block-trades page in a real browser (headless Chromium driven by playwright) against
the embedded exchange in the block session: an open allegation with its expiry, today's
block trade with its price against the market, a supervisor's cancellation that needs a
comment and lands in the audit log, and the block on the account page."""

import httpx
from playwright.sync_api import Page, expect

from engine.commands import AcceptBlock, ReportBlock
from engine.orders import Side
from tests.gateway.exchange_fixtures import SUPERVISOR, running_exchange
from tests.gateway.test_block_trades_fix import afternoon, logins, open_and_fund
from tests.surveillance.test_dashboard import browser, log_in, page, pytestmark, screenshot

__all__ = ["browser", "page", "pytestmark"]  # the browser fixtures, and the skip without one


def test_the_block_page_shows_allegations_and_trades_and_cancels_with_a_comment(
    tmp_path, page: Page
):
    clock = afternoon()
    with running_exchange(tmp_path, clock=clock, logins=logins()) as running:
        open_and_fund(running.base_url)
        now = clock.ts
        running.submit(
            [
                ReportBlock(now, "MS", "r1", "TJEA25", Side.SELL, "S1", "B1", 200_000, 5600),
                AcceptBlock(now + 10**9, "MB", "a1", 1),
                ReportBlock(
                    now + 2 * 10**9, "MS", "r2", "TJEA25", Side.SELL, "S1", "B1", 150_000, 4900
                ),
            ]
        )
        log_in(page, running.base_url, "#/blocks")
        traded = page.locator("#block-trades tbody tr").first
        expect(traded).to_contain_text("200,000")
        expect(traded).to_contain_text("56.00")
        expect(traded).to_contain_text("50.00")  # no book trade: the reference price
        expect(traded).to_contain_text("12.00%")
        allegation = page.locator("#open-blocks tbody tr[data-block='2']")
        expect(allegation).to_contain_text("150,000")
        expect(allegation).to_contain_text("13:45:02")  # 15 minutes after the report
        screenshot(page, "blocks")

        allegation.locator("button").click()  # no comment: the form will not send
        expect(allegation).to_be_visible()
        allegation.locator("input[name=comment]").fill("reported at the wrong price")
        allegation.locator("button").click()
        expect(page.locator("#open-blocks tbody")).to_contain_text("None.")
        ended = page.locator("#ended-blocks tbody tr").first
        expect(ended).to_contain_text("cancelled")
        expect(ended).to_contain_text("reported at the wrong price")
        expect(ended).to_contain_text(SUPERVISOR[0])

        page.goto(f"{running.base_url}/dashboard/#/accounts/B1")
        block = page.locator("#account-blocks tbody tr").first
        expect(block).to_contain_text("buy")
        expect(block).to_contain_text("S1")
        screenshot(page, "account-blocks")

        with httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20) as api:
            again = api.post("/api/admin/blocks/2/cancel", json={"comment": "twice"})
            assert again.status_code == 422
            assert again.json()["detail"]["reason"] == "block_not_open"
            blank = api.post("/api/admin/blocks/2/cancel", json={"comment": ""})
            assert blank.status_code == 422
            entries = api.get("/api/admin/audit", params={"account": "S1"}).json()
            (cancelled,) = [e for e in entries if e["kind"] == "cancel_block"]
            assert cancelled["actor"] == SUPERVISOR[0]
            assert "reported at the wrong price" in cancelled["detail"]

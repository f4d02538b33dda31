"""The restriction controls in a real browser: restrict the subject of a spoofing alert
from the alert page, see it on the account page and in the register, lift it there."""

import httpx
from playwright.sync_api import Page, expect

from engine.events import OrderRejected
from engine.reasons import Reason
from tests.gateway.exchange_fixtures import SUPERVISOR, limit_order, running_exchange
from tests.gateway.test_member_trading import open_and_fund
from tests.surveillance.test_dashboard import (  # noqa: F401 - fixtures
    browser,
    log_in,
    page,
    pytestmark,
    screenshot,
    spoofing_episode,
)


def test_restrict_from_an_alert_see_it_on_the_account_and_lift_it_in_the_register(
    tmp_path,
    page: Page,  # noqa: F811 - the fixture
):
    with running_exchange(tmp_path) as running:
        open_and_fund(running.base_url)
        rejections: list[OrderRejected] = []
        running.exchange.gateway.listeners.append(
            lambda events: rejections.extend(e for e in events if isinstance(e, OrderRejected))
        )
        log_in(page, running.base_url, "#/alerts")
        spoofing_episode(running)
        page.locator("tr[data-alert^='spoofing-'] a").first.click()

        form = page.locator("#alert-restrictions .restrict-form[data-account=SELLER]")
        form.locator(".restrict").click()  # no reason: refused, nothing changed
        expect(form.locator(".error")).to_contain_text("reason")
        form.locator(".restrict-mode").select_option("cancel_only")
        form.locator(".restrict-reason").fill("spoofing on TJEA25, pending review")
        form.locator(".restrict").click()
        row = page.locator("#restrictions-SELLER tr.restriction.in_force")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("cancel only")
        expect(row).to_contain_text("(alert spoofing-")
        screenshot(page, "alert-restriction")

        running.submit([limit_order("SELLER", "after", "TJEA25", 2, 5_100, 10)])
        expect(page.locator("#alert-reason")).to_be_visible()
        for _ in range(100):
            if rejections:
                break
            page.wait_for_timeout(50)
        assert [r.reason for r in rejections] == [Reason.ACCOUNT_CANCEL_ONLY]

        page.goto(f"{running.base_url}/dashboard/#/accounts/SELLER")
        expect(page.locator("#account-restrictions tr.restriction.in_force")).to_contain_text(
            "spoofing on TJEA25"
        )

        page.click("a[data-nav=restrictions]")
        entry = page.locator("#register tr.restriction")
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text("SELLER")
        entry.locator(".lift").click()  # no reason: refused
        expect(entry.locator(".error")).to_contain_text("reason")
        entry.locator(".lift-reason").fill("reviewed: no case")
        entry.locator(".lift").click()
        expect(page.locator("#register tr.restriction.lifted")).to_contain_text("reviewed: no case")
        screenshot(page, "restriction-register")
        with httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20) as api:
            (record,) = api.get("/api/admin/restrictions").json()
        assert (record["status"], record["lifted_by"]) == ("lifted", SUPERVISOR[0])

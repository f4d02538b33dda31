"""The public report pages in a real browser, without a login and on a phone's screen."""

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.disclosure.test_disclosure_api import close_day, published, set_up_market
from tests.gateway.exchange_fixtures import running_exchange
from tests.surveillance.test_dashboard import ARTIFACTS, WAIT_MS, browser, pytestmark  # noqa: F401


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:  # noqa: F811 - the fixture
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    yield opened
    context.close()


def fits_the_screen(page: Page) -> bool:
    """No sideways scrolling of the page itself (wide tables scroll in their own box)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_public_pages_need_no_login_and_read_on_a_phone(tmp_path, phone: Page) -> None:
    with running_exchange(tmp_path) as running:
        api = set_up_market(running)
        close_day(api, "2026-11-27")
        public = httpx.Client(base_url=running.base_url, timeout=20)
        published(public, "weekly-holdings", "2026-11-27")
        published(public, "large-holders", "2026-11-27")

        phone.goto(f"{running.base_url}/public")
        rows = phone.locator("#index li")
        expect(rows).to_have_count(3)
        expect(rows.filter(has_text="Weekly holdings")).to_contain_text("2026-11-27")
        assert fits_the_screen(phone)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=ARTIFACTS / "public-index-phone.png", full_page=True)

        phone.click("text=Weekly holdings by holder category")
        expect(phone.locator("h1")).to_have_text("Weekly holdings by holder category")
        expect(phone.locator("table.report")).to_contain_text("covered_entities")
        expect(phone.locator("table.report")).to_contain_text("suppressed")
        assert fits_the_screen(phone)
        phone.click("#periods a")
        expect(phone.locator("#versions li.current")).to_contain_text("version 1")
        phone.screenshot(path=ARTIFACTS / "public-holdings-phone.png", full_page=True)

        corrected = api.post(
            "/api/admin/disclosure/large-holders/2026-11-27/republish",
            json={"reason": "category corrected"},
        )
        assert corrected.status_code == 201
        phone.goto(f"{running.base_url}/public/large-holders/2026-11-27")
        expect(phone.locator("#versions li.current")).to_contain_text("category corrected")
        expect(phone.locator("#versions li.superseded")).to_contain_text("version 1")
        phone.click("details summary")
        expect(phone.locator("details table.report")).to_contain_text("I1")
        assert fits_the_screen(phone)
        phone.goto(f"{running.base_url}/public/no-such-report")
        expect(phone.locator("body")).to_contain_text("unknown_report")
        api.close()
        public.close()

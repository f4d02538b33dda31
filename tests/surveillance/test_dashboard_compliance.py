"""The compliance pages in a real browser (headless Chromium via playwright) against the
embedded exchange: the year table with its status filter and deadline countdown, an
entity's page with its allocation history and lineage, and the pledge register."""

import httpx
from playwright.sync_api import Page, expect

from tests.gateway.exchange_fixtures import SUPERVISOR, running_exchange
from tests.surveillance.test_dashboard import browser, log_in, page, pytestmark, screenshot

__all__ = ["browser", "page", "pytestmark"]  # the fixtures and skip rule, shared


def compliance_year(base_url: str) -> None:
    with httpx.Client(base_url=base_url, auth=SUPERVISOR, timeout=20) as api:

        def post(path: str, body: dict, **kwargs) -> None:
            answer = api.post(path, json=body, **kwargs)
            assert answer.status_code == 201, answer.text

        for account, kind in (
            ("CE-SURPLUS", "compliance"),
            ("CE-SHORT", "compliance"),
            ("BANK-1", "investor"),
        ):
            post("/api/admin/accounts", {"account": account, "member": "M2", "kind": kind})
        for account, baseline in (("CE-SURPLUS", 110_000), ("CE-SHORT", 60_000)):
            post(
                "/api/admin/compliance/enrolments",
                {
                    "account": account,
                    "year": 2025,
                    "previous_emissions": 100_000,
                    "baseline": baseline,
                    "reference": f"en-{account}",
                },
            )
        post("/api/admin/compliance/batch1", {"year": 2025, "reference": "b1"})
        answer = api.post(
            "/api/admin/compliance/verifications/import",
            params={"reference": "imp"},
            content="account,year,verified_emissions\nCE-SURPLUS,2025,100000\nCE-SHORT,2025,70000\n",
            headers={"content-type": "text/csv"},
        )
        assert answer.status_code == 201, answer.text
        post("/api/admin/compliance/batch2", {"year": 2025, "reference": "b2"})
        post(
            "/api/admin/compliance/surrenders",
            {
                "account": "CE-SURPLUS",
                "year": 2025,
                "instrument": "TJEA25",
                "quantity": 100_000,
                "reference": "s1",
            },
        )
        post(
            "/api/admin/pledges/pledgees",
            {"pledgee": "BOC", "name": "Bank of China", "account": "BANK-1", "reference": "pg"},
        )
        post(
            "/api/admin/pledges",
            {
                "account": "CE-SURPLUS",
                "pledgee": "BOC",
                "instrument": "TJEA25",
                "quantity": 5_000,
                "contract": "LOAN-1",
                "amount": 20_000_000,
                "maturity": "2030-06-30",
                "reference": "pl",
            },
        )
        post("/api/admin/pledges/pl/confirm", {"pledgee": "BOC"})


def test_the_compliance_pages(tmp_path, page: Page):
    with running_exchange(tmp_path) as running:
        compliance_year(running.base_url)
        log_in(page, running.base_url, "#/compliance/2025")
        rows = page.locator("#compliance-table tbody tr")
        expect(rows).to_have_count(2)
        expect(page.locator("tr[data-account=CE-SURPLUS]")).to_have_attribute(
            "data-status", "compliant"
        )
        expect(page.locator("tr[data-account=CE-SHORT]")).to_have_attribute(
            "data-status", "outstanding"
        )
        expect(page.locator("#deadline")).to_contain_text("surrender deadline 2026-06-30")
        page.select_option("#status-filter", "outstanding")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-account", "CE-SHORT")
        screenshot(page, "compliance-year")

        page.click("text=CE-SHORT")
        history = page.locator("#allocation-history tr[data-year='2025'] td")
        expect(history.nth(5)).to_have_text("70,000")  # batch 1
        expect(history.nth(7)).to_have_text("60,000")  # final, within 20 % of 70,000
        expect(page.locator("#lineage tr[data-source=free_allocation]")).to_have_count(1)

        page.goto(f"{running.base_url}/dashboard/#/compliance/entities/CE-SURPLUS")
        expect(page.locator("#surrenders tbody tr")).to_have_count(1)
        expect(page.locator("table.pledges tr[data-state=pledged]")).to_have_count(1)
        screenshot(page, "compliance-entity")

        page.click("a[data-nav=pledges]")
        expect(page.locator("#pledged-totals")).to_have_text("TJEA25: 5,000 t pledged")
        screenshot(page, "pledge-register")

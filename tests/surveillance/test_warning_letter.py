"""The warning letter: only for an alert closed as one, with its evidence and decision,
downloadable from the alert page, and its sending recorded on the audit trail."""

import time

import httpx
from playwright.sync_api import Page, expect

from tests.gateway.exchange_fixtures import SUPERVISOR, running_exchange
from tests.gateway.test_member_trading import open_and_fund
from tests.surveillance.test_dashboard import (  # noqa: F401 - fixtures
    browser,
    log_in,
    page,
    pytestmark,
    spoofing_episode,
)


def spoofing_alert(api: httpx.Client) -> str:
    for _ in range(200):
        found = api.get("/api/alerts", params={"pattern": "spoofing"}).json()["alerts"]
        if found:
            return found[0]["id"]
        time.sleep(0.05)
    raise AssertionError("no spoofing alert was raised")


def test_the_letter_exists_only_for_a_warning_letter_and_its_sending_is_recorded(
    tmp_path,
    page: Page,  # noqa: F811 - the fixture
) -> None:
    with running_exchange(tmp_path) as running:
        open_and_fund(running.base_url)
        spoofing_episode(running)
        api = httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20)
        alert = spoofing_alert(api)
        base = f"/api/alerts/{alert}"
        early = api.get(f"{base}/warning-letter")
        assert early.status_code == 409
        assert early.json()["detail"]["reason"] == "not_a_warning_letter"
        for path, body in (
            ("review", {"comment": "taking it"}),
            ("escalate", {"comment": "for a decision"}),
            ("close", {"comment": "second time this year", "disposition": "warning_letter"}),
        ):
            assert api.post(f"{base}/{path}", json=body).status_code == 200, path
        anonymous = httpx.get(f"{running.base_url}{base}/warning-letter", timeout=10)
        assert anonymous.status_code == 401

        letter = api.get(f"{base}/warning-letter")
        assert letter.status_code == 200
        assert letter.headers["content-disposition"].startswith("attachment;")
        text = letter.text
        for expected in (alert, "SELLER", "size multiple", "second time this year", "spoofing"):
            assert expected in text, expected
        assert "not yet recorded as sent" in text

        refused = api.post(f"{base}/warning-letter/sent", json={"comment": ""})
        assert refused.json()["detail"]["reason"] == "no_comment"

        log_in(page, running.base_url, f"#/alerts/{alert}")
        with page.expect_download() as download:
            page.click("#download-letter")
        saved = tmp_path / "letter.html"
        download.value.save_as(saved)
        assert alert in saved.read_text(encoding="utf-8")
        page.fill("#comment", "sent by registered mail to M1's compliance officer")
        page.click("#letter-sent")
        expect(page.locator("#trail tr[data-action=letter_sent]")).to_contain_text(
            "registered mail"
        )

        trail = api.get(base).json()["trail"]
        assert [e["action"] for e in trail][-1] == "letter_sent"
        assert "registered mail" in api.get(f"{base}/warning-letter").text
        api.close()

"""The demo market publishes reports: the previous week's close at its start, its own day
when its clock passes the close."""

import datetime as dt
import signal
import time

import httpx
import pytest

from engine.reference import load_reference_data
from gateway.demo.disclosure import DemoCloses, last_week_close
from gateway.disclosure.schedule import WEEKLY, due
from tests.gateway.exchange_fixtures import free_port, start_tcx_up

CALENDAR = load_reference_data().calendar


@pytest.mark.parametrize(
    ("today", "closed"),
    [
        ("2026-11-24", "2026-11-20"),  # a Tuesday: the Friday before
        ("2026-11-27", "2026-11-20"),  # a Friday: last week's, not its own
        ("2026-09-28", "2026-09-24"),  # Friday 25 September is a holiday
        ("2026-10-08", "2026-09-30"),  # after the National Day holidays
    ],
)
def test_the_demo_closes_the_last_week_end_before_its_day(today: str, closed: str) -> None:
    found = last_week_close(CALENDAR, dt.date.fromisoformat(today))
    assert found.isoformat() == closed and due(WEEKLY, found, CALENDAR)


def test_the_demo_closes_its_own_day_once_after_the_last_session() -> None:
    start = CALENDAR.session_windows(dt.date(2026, 11, 24))[0][0]
    closes = DemoCloses(CALENDAR, start)
    end = CALENDAR.session_windows(dt.date(2026, 11, 24))[-1][1]
    assert closes.due(end - 1) == []
    (command,) = closes.due(end)
    assert command.trading_date == "2026-11-24"
    assert closes.due(end + 10) == []


@pytest.mark.slow
def test_the_demo_market_publishes_the_bulletin_and_the_holdings_report(tmp_path):
    port = free_port()
    process = start_tcx_up(tmp_path, port, "--demo", "--speed", "4")
    try:
        latest = {}
        for _ in range(120):
            time.sleep(0.5)
            try:
                index = httpx.get(f"http://127.0.0.1:{port}/api/public/reports", timeout=5)
            except httpx.HTTPError:
                continue
            latest = {entry["name"]: entry["last_period"] for entry in index.json()}
            if latest.get("weekly-holdings") and latest.get("daily-bulletin"):
                break
        assert latest["weekly-holdings"] and latest["daily-bulletin"], latest
        period = latest["weekly-holdings"]
        page = httpx.get(f"http://127.0.0.1:{port}/public/weekly-holdings/{period}", timeout=5)
        assert page.status_code == 200 and "covered_entities" in page.text
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output

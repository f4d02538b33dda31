"""The dashboard's own JSON endpoints and its alerts websocket, on the running exchange:
who may use them, what they refuse, and what the account and alert views contain."""

import asyncio
import json
import time

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.gateway.exchange_fixtures import SUPERVISOR, TRADER, running_exchange
from tests.gateway.test_member_trading import open_and_fund
from tests.surveillance.test_dashboard import spoofing_episode


@pytest.fixture
def exchange(tmp_path):
    with running_exchange(tmp_path) as running:
        open_and_fund(running.base_url)
        yield running


def supervisor_api(running) -> httpx.Client:
    return httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20)


def wait_for_alert(api: httpx.Client, pattern: str) -> dict:
    for _ in range(200):
        found = api.get("/api/alerts", params={"pattern": pattern}).json()["alerts"]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no {pattern} alert")


def test_the_login_form_gets_no_basic_challenge_and_members_are_refused(exchange):
    with httpx.Client(base_url=exchange.base_url, timeout=20) as anonymous:
        wrong = anonymous.post("/api/dashboard/session", auth=(SUPERVISOR[0], "wrong"))
        assert wrong.status_code == 401
        assert "www-authenticate" not in wrong.headers  # no browser password dialog
        assert anonymous.post("/api/dashboard/session").status_code == 401
        member = anonymous.post("/api/dashboard/session", auth=TRADER)
        assert member.status_code == 401  # as a wrong password: no oracle for FIX passwords
        assert anonymous.get("/api/dashboard/accounts/SELLER").status_code == 401
        session = anonymous.post("/api/dashboard/session", auth=SUPERVISOR).json()
        assert session["user"] == SUPERVISOR[0] and len(session["token"]) >= 32


def test_the_alerts_websocket_needs_a_token_and_then_pushes_each_change(exchange):
    with supervisor_api(exchange) as api:
        token = api.post("/api/dashboard/session").json()["token"]
    url = exchange.base_url.replace("http", "ws") + "/ws/alerts"

    async def refused() -> int:
        async with connect(f"{url}?token=forged") as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await socket.recv()
            return closed.value.rcvd.code

    assert asyncio.run(refused()) == 1008

    async def pushed() -> dict:
        async with connect(f"{url}?token={token}") as socket:
            await asyncio.sleep(0.2)  # subscribed before the episode starts
            await asyncio.to_thread(spoofing_episode, exchange)
            while True:
                change = json.loads(await asyncio.wait_for(socket.recv(), 20))
                if change["alert"]["pattern"] == "spoofing":
                    return change

    change = asyncio.run(pushed())
    assert change["type"] == "alert" and change["action"] == "raised"
    assert change["alert"]["accounts"] == ["SELLER"] and change["alert"]["status"] == "new"


def test_the_account_view_shows_orders_trades_activity_limits_alerts_and_links(exchange):
    with supervisor_api(exchange) as api:
        group = {"control_group": "BOHAI"}
        for account in ("BUYER", "SELLER"):
            linked = api.put(f"/api/admin/accounts/{account}/control-group", json=group)
            assert linked.status_code == 200, linked.text
        spoofing_episode(exchange)
        wait_for_alert(api, "spoofing")
        view = api.get("/api/dashboard/accounts/SELLER").json()
        assert api.get("/api/dashboard/accounts/NOBODY").status_code == 404

    assert view["control_group"] == "BOHAI" and view["linked_accounts"] == ["BUYER"]
    lure = [o for o in view["orders"] if o["client_order_id"] == "lure"]
    assert [o["type"] for o in lure] == ["accepted", "cancelled"]
    assert lure[0]["price"] == "49.90" and lure[0]["quantity"] == 2_000
    (trade,) = view["trades"]
    assert (trade["sell_account"], trade["buy_account"], trade["price"]) == (
        "SELLER",
        "BUYER",
        "49.92",
    )
    assert sum(step["orders"] for step in view["activity"]) == 10  # 8 asks, lure, sale
    assert sum(step["cancels"] for step in view["activity"]) == 1  # the IOC's rest is not one
    tjea25 = next(row for row in view["holdings"] if row["instrument"] == "TJEA25")
    # SELLER was allocated 1,000 t and sold 100; BUYER, now in its group, bought them
    assert (tjea25["account_tonnes"], tjea25["group_class_tonnes"]) == (900, 1_000)
    assert tjea25["position_limit"] == 1_000_000  # a compliance account: allocation + extra
    # one group now, so its two accounts trading with each other is also a self-trade
    assert sorted(a["pattern"] for a in view["alerts"]) == ["self_trade", "spoofing"]
    cash = {b["asset"]: b["amount"] for b in view["registry_balances"] if b["state"] == "cash"}
    assert cash  # the registry's own balances, read through the composition root


def test_an_alerts_window_marks_the_subject_and_the_book_replays_within_it(exchange):
    with supervisor_api(exchange) as api:
        spoofing_episode(exchange)
        alert = wait_for_alert(api, "spoofing")
        window = api.get(f"/api/dashboard/alerts/{alert['id']}/window").json()
        lure_step = next(e["step"] for e in window["events"] if e["client_order_id"] == "lure")
        book = api.get(f"/api/dashboard/alerts/{alert['id']}/book", params={"step": lure_step})
        last = len(window["steps"]) - 1
        after = api.get(f"/api/dashboard/alerts/{alert['id']}/book", params={"step": last})
        beyond = api.get(
            f"/api/dashboard/alerts/{alert['id']}/book", params={"step": len(window["steps"])}
        )
        unknown = api.get("/api/dashboard/alerts/spoofing-0000/window")

    assert {e["type"] for e in window["events"] if e["subject"]} >= {"accepted", "cancelled"}
    assert all(e["subject"] or e["type"] == "trade" for e in window["events"])
    lure_level = next(level for level in book.json()["bids"] if level["price"] == "49.90")
    assert lure_level["subject_quantity"] == 2_000
    assert all(level["price"] != "49.90" for level in after.json()["bids"])  # pulled
    assert beyond.status_code == 422 and beyond.json()["detail"]["reason"] == "bad_step"
    assert unknown.status_code == 404


def test_the_page_is_served_and_nothing_outside_its_folder(exchange):
    with httpx.Client(base_url=exchange.base_url, timeout=20) as anonymous:
        page = anonymous.get("/dashboard/")
        chart = anonymous.get("/dashboard/vendor/lightweight-charts.standalone.production.js")
        escape = anonymous.get("/dashboard/..%2F..%2Fpyproject.toml")
    assert page.status_code == 200 and "<title>tcx surveillance</title>" in page.text
    assert chart.status_code == 200 and "Lightweight Charts" in chart.text[:300]
    assert "[project]" not in escape.text and "<title>tcx surveillance" in escape.text


def test_the_closing_window_follows_the_marking_the_close_parameters(exchange):
    minute = 60 * 1_000_000_000
    with supervisor_api(exchange) as api:
        before = api.get("/api/dashboard/instruments").json()
        change = {"values": {"closing_window_min": 15}, "comment": "a shorter close"}
        assert api.patch("/api/parameters/marking_the_close", json=change).status_code == 200
        after = api.get("/api/dashboard/instruments").json()
    start, end = before["closing_window"]
    assert end == before["sessions"][-1][1] and end - start == 30 * minute
    assert after["closing_window"] == [end - 15 * minute, end]
    assert {i["symbol"] for i in after["instruments"]} == {"TJEA24", "TJEA25", "TJCER", "CCER"}

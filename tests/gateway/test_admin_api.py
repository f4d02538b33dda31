"""Supervisors' REST administration against a running exchange, as an operator uses it."""

import asyncio
import json
import time

import httpx
import pytest
import websockets

from engine.orders import Side
from tests.gateway.exchange_fixtures import SUPERVISOR, TRADER, limit_order, running_exchange


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with (
        running_exchange(tmp_path_factory.mktemp("exchange")) as running,
        httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20) as client,
    ):
        client.running = running
        yield client


def wait_for_registry(api: httpx.Client, account: str, predicate) -> dict:
    """Settlement books asynchronously: poll the registry until it shows the change."""
    for _ in range(200):
        response = api.get(f"/api/admin/accounts/{account}")
        if response.status_code == 200 and predicate(response.json()):
            return response.json()
        time.sleep(0.05)
    raise AssertionError(f"registry never showed the change for {account}: {response.text}")


def balance(account: dict, asset: str, state: str) -> int:
    return sum(
        b["amount"] for b in account["balances"] if b["asset"] == asset and b["state"] == state
    )


def test_account_lifecycle_with_audit(api: httpx.Client):
    opened = api.post(
        "/api/admin/accounts",
        json={"account": "BUYER", "member": "M1", "kind": "investor"},
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["type"] == "account"
    assert opened.json()["actor"] == SUPERVISOR[0]

    deposit = {"account": "BUYER", "kind": "deposit", "amount": "250000.00", "reference": "D-1"}
    assert api.post("/api/admin/cash", json=deposit).status_code == 201
    shown = wait_for_registry(api, "BUYER", lambda a: balance(a, "CNY", "cash") == 25_000_000)
    assert shown["member"] == "M1"

    again = api.post("/api/admin/cash", json=deposit)
    assert again.status_code == 422
    assert again.json()["detail"]["reason"] == "duplicate_reference"

    audit = api.get("/api/admin/audit", params={"account": "BUYER"}).json()
    assert any(entry["reference"] == "D-1" and entry["actor"] == SUPERVISOR[0] for entry in audit)


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        (
            "/api/admin/cash",
            {"account": "NOBODY", "kind": "deposit", "amount": "1", "reference": "X-1"},
            422,
            "unknown_account",
        ),
        (
            "/api/admin/cash",
            {"account": "BUYER", "kind": "deposit", "amount": "-5", "reference": "X-2"},
            422,
            "bad_amount",
        ),
        (
            "/api/admin/cash",
            {"account": "BUYER", "kind": "deposit", "amount": "1.001", "reference": "X-3"},
            422,
            "bad_amount",
        ),
        (
            "/api/admin/cash",
            {"account": "BUYER", "kind": "withdraw", "amount": "999999999", "reference": "X-4"},
            422,
            "not_withdrawable",
        ),
        (
            "/api/admin/holdings",
            {
                "account": "BUYER",
                "instrument": "NOPE",
                "kind": "allocate",
                "quantity": 5,
                "reference": "X-5",
            },
            422,
            "unknown_instrument",
        ),
        (
            "/api/admin/holdings",
            {
                "account": "BUYER",
                "instrument": "TJEA25",
                "kind": "pledge",
                "quantity": 5,
                "reference": "X-6",
            },
            422,
            "insufficient_holdings",
        ),
        ("/api/admin/halt", {"instrument": "NOPE", "reason": "test"}, 422, "unknown_instrument"),
        (
            "/api/admin/reference-price",
            {"instrument": "TJEA25", "price": "50.005"},
            422,
            "bad_price",
        ),
    ],
)
def test_bad_requests_are_refused_with_their_reason(api, path, body, status, reason):
    response = api.post(path, json=body)
    assert response.status_code == status, response.text
    assert response.json()["detail"]["reason"] == reason
    assert response.json()["detail"]["text"]


def test_malformed_bodies_are_refused_by_validation(api):
    assert api.post("/api/admin/cash", json={"account": "BUYER"}).status_code == 422
    assert api.post("/api/admin/holdings", json={"quantity": "lots"}).status_code == 422
    bad_kind = {"account": "A", "member": "M1", "kind": "whale"}
    assert api.post("/api/admin/accounts", json=bad_kind).status_code == 422


def test_logins_are_checked(api):
    base = api.base_url
    assert httpx.get(f"{base}/api/admin/audit").status_code == 401
    assert httpx.get(f"{base}/api/admin/audit", auth=(SUPERVISOR[0], "wrong")).status_code == 401
    # a member's right password gets what a wrong one gets: REST tells nothing about it
    assert httpx.get(f"{base}/api/admin/audit", auth=TRADER, timeout=10).status_code == 401
    assert httpx.get(f"{base}/api/instruments").status_code == 200  # public


def test_halt_and_resume_the_market(api):
    halted = api.post("/api/admin/halt", json={"instrument": "TJEA25", "reason": "news pending"})
    assert halted.status_code == 200
    assert halted.json()[0] == halted.json()[0] | {"halted": True, "instrument": "TJEA25"}
    resumed = api.post("/api/admin/resume", json={"instrument": "TJEA25", "reason": "published"})
    assert resumed.json()[0]["halted"] is False


def test_end_of_day_statements_reconcile(api):
    api.post(
        "/api/admin/accounts",
        json={"account": "SELLER", "member": "M1", "kind": "compliance", "allocation": 5000},
    )
    allocation = {
        "account": "SELLER",
        "instrument": "TJEA25",
        "kind": "allocate",
        "quantity": 5000,
        "reference": "AL-1",
    }
    assert api.post("/api/admin/holdings", json=allocation).status_code == 201
    closed = api.post("/api/admin/end-of-day", json={"trading_date": "2026-11-24"})
    assert closed.status_code == 200
    assert {event["instrument"] for event in closed.json()} >= {"TJEA25", "CCER"}
    wait_for_registry(api, "SELLER", lambda a: balance(a, "TJEA25", "available") == 5000)
    for _ in range(100):
        report = api.get("/api/admin/statements/2026-11-24")
        if report.status_code == 200:
            break
        time.sleep(0.05)
    assert report.status_code == 200, report.text
    statements = report.json()
    assert statements["conservation"] == []
    assert all(s["differences"] == [] for s in statements["statements"])
    csv = api.get("/api/admin/statements/2026-11-24", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "SELLER" in csv.text


def test_public_market_data_shows_a_trade_over_rest_and_websocket(api):
    for account, kind in (("MD-BUY", "investor"), ("MD-SELL", "investor")):
        api.post("/api/admin/accounts", json={"account": account, "member": "M1", "kind": kind})
    api.post(
        "/api/admin/cash",
        json={"account": "MD-BUY", "kind": "deposit", "amount": "100000", "reference": "MD-D"},
    )
    api.post(
        "/api/admin/holdings",
        json={
            "account": "MD-SELL",
            "instrument": "TJCER",
            "kind": "allocate",
            "quantity": 500,
            "reference": "MD-A",
        },
    )
    ws_url = str(api.base_url).replace("http", "ws") + "/ws/market?instruments=TJCER"

    async def watch_a_trade() -> list[dict]:
        seen = []
        async with websockets.connect(ws_url) as feed:
            seen.append(json.loads(await feed.recv()))  # the snapshot comes first
            sell = limit_order("MD-SELL", "s-md", "TJCER", Side.SELL, 3_000, 100)
            buy = limit_order("MD-BUY", "b-md", "TJCER", Side.BUY, 3_000, 40)
            await asyncio.to_thread(api.running.submit, [sell, buy])
            while not any(m["type"] == "trade" for m in seen):
                seen.append(json.loads(await asyncio.wait_for(feed.recv(), 10)))
        return seen

    messages = asyncio.run(watch_a_trade())
    assert messages[0]["type"] == "snapshot"
    trade = next(m for m in messages if m["type"] == "trade")
    assert (trade["price"], trade["quantity"]) == ("30.00", 40)
    quote = api.get("/api/market/TJCER").json()
    assert quote["quote"]["last_price"] == "30.00"
    assert api.get("/api/market/NOPE").status_code == 404

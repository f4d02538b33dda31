"""A restart of the exchange in the middle of the bidding window: every bid is recovered
from the journal (reservations included), bidding goes on, and the clearing counts the
bids from before the restart."""

import httpx

from tests.gateway.auction_exchange import (
    ENTITY,
    INVESTOR,
    auction_exchange,
    create_request,
    ns,
    wait,
)

BIDS = "/api/member/auctions/TJ-2026-1/bids"


def bid(client: httpx.Client, account: str, client_id: str, price: str, quantity: int) -> None:
    body = {"account": account, "client_bid_id": client_id, "price": price, "quantity": quantity}
    placed = client.post(BIDS, json=body)
    assert placed.status_code == 201, placed.text


def test_every_bid_survives_a_restart_mid_window(tmp_path) -> None:
    with auction_exchange(tmp_path) as (running, admin):
        assert admin.post("/api/admin/auctions", json=create_request()).status_code == 201
        with httpx.Client(base_url=running.base_url, auth=ENTITY, timeout=20) as entity:
            wait(lambda: entity.get("/api/member/auctions").json(), "the announcement")
            wait(lambda: entity.get("/api/member/auctions").json()[0]["state"] == "open", "open")
            bid(entity, "E1", "e1", "52.00", 30_000)
        with httpx.Client(base_url=running.base_url, auth=INVESTOR, timeout=20) as investor:
            bid(investor, "I1", "i1", "49.00", 20_000)
    with auction_exchange(tmp_path, fresh=False) as (running, admin):
        detail = wait(
            lambda: (
                (d := admin.get("/api/admin/auctions/TJ-2026-1")).status_code == 200 and d.json()
            ),
            "the auction after the restart",
        )
        assert detail["state"] == "open"
        assert [(p["price"], p["quantity"]) for p in detail["demand_curve"]] == [
            (52_00, 30_000),
            (49_00, 20_000),
        ]
        assert running.exchange.sequencer.holds.account("I1").cash_held == 20_000 * 49_00
        with httpx.Client(base_url=running.base_url, auth=INVESTOR, timeout=20) as investor:
            [listed] = investor.get("/api/member/auctions").json()
            assert [b["client_bid_id"] for b in listed["bids"]] == ["i1"]
            bid(investor, "I1", "i2", "50.00", 10_000)
        running.exchange.clock.ts = ns(10, 30)
        first = wait(
            lambda: admin.get("/api/admin/auctions/TJ-2026-1").json()["results"], "the clearing"
        )
        assert (first["price"], first["volume_sold"]) == (49_00, 50_000)
        allotted = {
            (a["account"], a["price"]): a["allotted"]
            for a in admin.get("/api/admin/auctions/TJ-2026-1").json()["allotments"]
        }
        assert allotted == {("E1", 52_00): 30_000, ("I1", 49_00): 10_000, ("I1", 50_00): 10_000}

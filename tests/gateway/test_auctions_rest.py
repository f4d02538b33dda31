"""An auction over REST against a running exchange: the authority creates it, two members
bid for their own accounts, the engine service's clock closes and clears it, settlement
delivers, and the public reads the two-step results as JSON, CSV and a page."""

import json

import httpx
from websockets.sync.client import connect

from tests.gateway.auction_exchange import (
    ENTITY,
    INVESTOR,
    auction_exchange,
    create_request,
    ns,
    wait,
)


def body(account: str, client_bid_id: str, price: str, quantity: int) -> dict:
    return {
        "account": account,
        "client_bid_id": client_bid_id,
        "price": price,
        "quantity": quantity,
    }


def test_an_auction_from_creation_to_published_results(tmp_path) -> None:
    with auction_exchange(tmp_path) as (running, admin):
        bad = admin.post("/api/admin/auctions", json=create_request(volume=500_000))
        assert bad.status_code == 422 and bad.json()["detail"]["reason"] == "insufficient_holdings"
        late = admin.post(
            "/api/admin/auctions", json=create_request(open_at="2026-11-24T11:00+08:00")
        )
        assert late.json()["detail"]["reason"] == "bad_schedule"
        created = admin.post("/api/admin/auctions", json=create_request())
        assert created.status_code == 201, created.text
        assert created.json()[0]["floor_price"] == 48_00
        public = httpx.get(f"{running.base_url}/api/auctions")
        wait(lambda: httpx.get(f"{running.base_url}/api/auctions").json(), "the announcement")
        wait(
            lambda: httpx.get(f"{running.base_url}/api/auctions").json()[0]["state"] == "open",
            "the opening",
        )
        with (
            httpx.Client(base_url=running.base_url, auth=ENTITY, timeout=20) as entity,
            httpx.Client(base_url=running.base_url, auth=INVESTOR, timeout=20) as investor,
        ):
            path = "/api/member/auctions/TJ-2026-1/bids"
            placed = entity.post(path, json=body("E1", "e1", "52.00", 30_000))
            assert placed.status_code == 201, placed.text
            below = investor.post(path, json=body("I1", "x", "47.99", 1_000))
            assert below.json()["detail"]["reason"] == "below_floor"
            over = entity.post(path, json=body("E1", "e2", "52.00", 1_000))
            assert over.json()["detail"]["reason"] == "over_cap"  # 2 % of 1.5 Mt = 30,000
            theirs = investor.post(path, json=body("E1", "x", "60.00", 1_000))
            assert theirs.status_code == 403
            for client_id, price in (("i1", "50.00"), ("i2", "49.00")):
                assert (
                    investor.post(path, json=body("I1", client_id, price, 20_000)).status_code
                    == 201
                )
            amended = investor.put(f"{path}/i2", json=body("I1", "i2b", "49.50", 20_000))
            assert amended.status_code == 200, amended.text
            withdrawn = investor.delete(f"{path}/i1", params={"account": "I1", "request_id": "w1"})
            assert withdrawn.status_code == 200, withdrawn.text
            # sealed: each member sees only its own bids
            [listed] = investor.get("/api/member/auctions").json()
            assert {b["client_bid_id"] for b in listed["bids"]} == {"i1", "i2b"}
            detail = admin.get("/api/admin/auctions/TJ-2026-1").json()
            assert detail["demand_curve"] == [
                {"price": 52_00, "quantity": 30_000, "cumulative": 30_000},
                {"price": 49_50, "quantity": 20_000, "cumulative": 50_000},
            ]
            assert {(b["account"], b["bid"], b["cap"]) for b in detail["bidders"]} == {
                ("E1", 30_000, 30_000),
                ("I1", 20_000, 40_000),
            }

            market = running.base_url.replace("http", "ws") + "/ws/market?instruments=TJEA25"
            with connect(market) as feed:
                assert json.loads(feed.recv(timeout=10))["type"] == "snapshot"
                running.exchange.clock.ts = ns(10, 30)  # the close: the engine's clock clears
                published = json.loads(feed.recv(timeout=10))
                while published["type"] != "auction":
                    published = json.loads(feed.recv(timeout=10))
            assert (published["step"], published["price"], published["volume_sold"]) == (
                1,
                "49.50",
                50_000,
            )
            first = wait(
                lambda: httpx.get(f"{running.base_url}/api/auctions/TJ-2026-1").json()["results"],
                "the clearing",
            )
            assert first == {
                "auction_id": "TJ-2026-1",
                "price": 49_50,
                "volume_sold": 50_000,
                "cancelled": False,
            }
            mine = entity.get("/api/member/auctions/TJ-2026-1/result").json()
            assert [(b["client_bid_id"], b["allotted"]) for b in mine["bids"]] == [("e1", 30_000)]

        def delivered() -> bool:
            account = admin.get("/api/admin/accounts/E1").json()
            return any(
                b["asset"] == "TJEA25" and b["state"] == "available" and b["amount"] == 30_000
                for b in account["balances"]
            )

        wait(delivered, "E1's tonnes in the registry")
        assert (
            httpx.get(f"{running.base_url}/api/auctions/TJ-2026-1").json()["full_results"] is None
        )
        running.exchange.clock.ts = ns(10, 45)
        full = wait(
            lambda: httpx.get(f"{running.base_url}/api/auctions/TJ-2026-1").json()["full_results"],
            "the second step",
        )
        assert (full["bid_volume"], full["bidders"], full["winners"]) == (50_000, 2, 2)
        assert full["revenue"] == 50_000 * 49_50
        csv = httpx.get(f"{running.base_url}/api/auctions/results.csv").text
        assert csv.splitlines()[1].startswith("TJ-2026-1,TJEA25,")
        page = httpx.get(f"{running.base_url}/auctions").text
        assert "49.50" in page and "TJ-2026-1" in page
        cancel = admin.post("/api/admin/auctions/TJ-2026-1/cancel", json={"comment": "late"})
        assert cancel.json()["detail"]["reason"] == "auction_settled"
        assert public.status_code == 200

"""Bidding over the FIX websocket of a running exchange with two members' simplefix
clients: the schedule and state as TradingSessionStatus, bids as NewOrderSingle naming the
auction in TradingSessionID (336), cancel/replace and cancel until the close, the auction
in the SecurityList, and an ExecutionReport per bid at clearing; every frame valid against
the FIX 4.4 dictionary."""

import asyncio

from websockets.asyncio.client import connect

from gateway.fix.message import Message
from tests.gateway.auction_exchange import ENTITY, INVESTOR, auction_exchange, create_request, ns
from tests.gateway.test_fix_market_data_exchange import log_on, next_message

AUCTION = "TJ-2026-1"
SENT_AT = (60, "20261124-02:00:00")


def bid(client_id: str, account: str, price: str, quantity: int, *more: tuple[int, str]):
    return (
        (1, account), (11, client_id), (38, str(quantity)), (40, "2"), (44, price),
        (54, "1"), (55, "TJEA25"), (386, "1"), (336, AUCTION), SENT_AT, *more,
    )  # fmt: skip


async def next_of(member, msg_type: str) -> Message:
    while True:
        message = await next_message(member)
        if message.msg_type == msg_type:
            return message


def test_two_bidders_over_fix_from_announcement_to_allotment(tmp_path) -> None:
    with auction_exchange(tmp_path) as (running, admin):
        url = running.fix_url

        async def bid_over_fix() -> None:
            async with connect(url) as first, connect(url) as second:
                entity = await log_on(first, ENTITY)
                investor = await log_on(second, INVESTOR)
                created = await asyncio.to_thread(
                    admin.post, "/api/admin/auctions", json=create_request()
                )
                assert created.status_code == 201, created.text
                for member in (entity, investor):
                    announced = await next_of(member, "h")
                    assert (announced.get(336), announced.get(340)) == (AUCTION, "4")
                    opened = await next_of(member, "h")
                    assert opened.get(340) == "2" and "floor 48.00" in opened.get(58)

                await entity.send("x", (320, "sl"), (559, "0"), (55, "TJEA25"))
                listing = await next_of(entity, "y")
                assert f"auctions={AUCTION}" in listing.get(58)

                await entity.send("D", *bid("e1", "E1", "52.00", 30_000))
                new = await next_of(entity, "8")
                assert [new.get(t) for t in (150, 39, 336, 11)] == ["0", "0", AUCTION, "e1"]
                await entity.send("D", *bid("e2", "E1", "47.00", 1_000))
                below = await next_of(entity, "8")
                assert below.get(150) == "8" and "below the auction's floor" in below.get(58)

                await investor.send("D", *bid("i1", "I1", "50.00", 20_000))
                assert (await next_of(investor, "8")).get(150) == "0"
                await investor.send("G", *bid("i1b", "I1", "49.50", 20_000, (41, "i1")))
                replaced = await next_of(investor, "8")
                assert [replaced.get(t) for t in (150, 41, 44)] == ["5", "i1", "49.50"]
                await investor.send("D", *bid("i2", "I1", "49.00", 5_000))
                bid_number = (await next_of(investor, "8")).get(37)
                await investor.send(
                    "F", (41, "i2"), (11, "w2"), (1, "I1"), (54, "1"), (55, "TJEA25"),
                    (38, "5000"), SENT_AT,
                )  # fmt: skip
                withdrawn = await next_of(investor, "8")
                assert [withdrawn.get(t) for t in (150, 37)] == ["4", bid_number]
                # another member's bid cannot be touched: the account is not the sender's
                await entity.send("G", *bid("x", "I1", "60.00", 20_000, (41, "i1b")))
                assert (await next_of(entity, "8")).get(150) == "8"

                running.exchange.clock.ts = ns(10, 30)  # the close
                for member, client_id, won in ((entity, "e1", "30000"), (investor, "i1b", "20000")):
                    closed = await next_of(member, "h")
                    assert closed.get(340) == "3"
                    allotted = await next_of(member, "8")
                    assert [allotted.get(t) for t in (150, 39, 11, 32, 31, 336)] == [
                        "F", "2", client_id, won, "49.50", AUCTION,
                    ]  # fmt: skip

        asyncio.run(bid_over_fix())

"""Market data over FIX on the running exchange: a market-data session subscribes over the
real websocket, an order-entry session trades, and the subscriber sees the snapshot, then
the resting offer, the trade and the new top of book, each valid on the wire."""

import asyncio

import pytest
import simplefix
from websockets.asyncio.client import connect

from gateway.fix.codec import parse
from gateway.fix.message import Message
from gateway.members import Session, SessionType, hash_password
from tests.gateway import exchange_fixtures
from tests.gateway.exchange_fixtures import TRADER, running_exchange
from tests.gateway.fix_harness import WAIT_S, SimpleFixMember
from tests.gateway.test_fix_market_data import DICTIONARY, VALIDATOR, body, request
from tests.gateway.test_member_trading import open_and_fund, order

GATEWAY = "TCX"
WATCHER = ("M1-MD", "market-data-secret")


@pytest.fixture
def market_data_session(monkeypatch):
    """The fixture exchange's members, plus a market-data session for member M1."""
    plain = exchange_fixtures.directory
    session = Session(WATCHER[0], "M1", SessionType.MARKET_DATA, hash_password(WATCHER[1]))
    monkeypatch.setattr(exchange_fixtures, "directory", lambda: plain().with_session(session))


async def log_on(connection, credentials: tuple[str, str]) -> SimpleFixMember:
    member = SimpleFixMember(connection, comp_id=credentials[0], gateway=GATEWAY)
    await member.send("A", (98, "0"), (108, "30"), (553, credentials[0]), (554, credentials[1]))
    assert (await next_message(member)).msg_type == "A"
    return member


async def next_message(member: SimpleFixMember) -> Message:
    return (await next_frame(member))[0]


async def next_frame(member: SimpleFixMember) -> tuple[Message, bytes]:
    """The next frame as sent, and parsed by our codec: valid against the dictionary."""
    frame = (await asyncio.wait_for(member.connection.recv(), WAIT_S)).encode()
    message = parse(frame, DICTIONARY.data_length)
    assert VALIDATOR.validate(message) is None, message
    return message, frame


def test_a_subscriber_sees_the_offer_the_trade_and_the_new_top_of_book(
    tmp_path, market_data_session
):
    with running_exchange(tmp_path) as running:
        open_and_fund(running.base_url)
        url = running.fix_url

        async def watch_a_trade() -> None:
            async with connect(url) as first, connect(url) as second:
                watcher = await log_on(first, WATCHER)
                trader = await log_on(second, TRADER)

                await watcher.send("V", *request(symbols=("NOPE",)))
                refused = await next_message(watcher)
                assert (refused.msg_type, refused.get(281)) == ("Y", "0")

                await watcher.send("V", *request(req_id="tj"))
                snapshot = await next_message(watcher)
                assert body(snapshot) == [(262, "tj"), (55, "TJEA25"), (268, "0")]

                await trader.send("D", *order("s1", "SELLER", "2", 300, "50.00"))
                offer = await next_message(watcher)
                assert body(offer) == [
                    (262, "tj"), (268, "1"), (279, "0"), (269, "1"), (55, "TJEA25"),
                    (270, "50.00"), (271, "300"), (346, "1"), (290, "1"),
                ]  # fmt: skip

                await trader.send("D", *order("b1", "BUYER", "1", 200, "50.10"))
                trade, frame = await next_frame(watcher)
                assert [(t, v) for t, v in body(trade) if t not in (272, 273)] == [
                    (262, "tj"), (268, "1"), (279, "0"), (269, "2"), (278, "1"),
                    (55, "TJEA25"), (270, "50.00"), (271, "200"),
                ]  # fmt: skip
                top = await next_message(watcher)
                assert body(top) == [
                    (262, "tj"), (268, "1"), (279, "1"), (269, "1"), (55, "TJEA25"),
                    (270, "50.00"), (271, "100"), (346, "1"), (290, "1"),
                ]  # fmt: skip

                parser = simplefix.FixParser()  # what a member's simplefix client reads
                parser.append_buffer(frame)
                printed = parser.get_message()
                wanted = [b"X", b"2", b"50.00", b"200"]
                assert [printed.get(tag) for tag in (35, 269, 270, 271)] == wanted

                await watcher.send("V", *request(req_id="tj", kind="2"))
                await watcher.send("V", *request(req_id="tj", kind="0", depth="1"))
                again = await next_message(watcher)  # the id is free again: a snapshot
                assert [(t, v) for t, v in body(again) if t not in (272, 273)] == [
                    (262, "tj"), (55, "TJEA25"), (268, "2"),
                    (269, "1"), (270, "50.00"), (271, "100"), (346, "1"), (290, "1"),
                    (269, "2"), (270, "50.00"), (271, "200"),
                ]  # fmt: skip

        asyncio.run(watch_a_trade())

"""MarketDataRequest (V) through the bridge: the member application's gate (session type,
rate limit) first, then the FIX market data; a session's subscriptions end at its logout."""

from pathlib import Path

import pytest

from engine.memory_stream import MemoryStream
from gateway.fix.application import SessionId
from gateway.fix.message import Message
from gateway.members import Directory, Member, Role, Session, SessionType, hash_password
from gateway.trading.fix_bridge import FixBridge
from gateway.trading.gateway_service import GatewayService
from gateway.trading.market_data import FixMarketData
from gateway.trading.member_application import MemberApplication
from surveillance.market_data import MarketDataPublisher
from tests.gateway.exchange_fixtures import FixedClock
from tests.gateway.test_fix_market_data import REFERENCE, RecordingOutbox, request

PASSWORD = hash_password("secret")


def directory() -> Directory:
    members = {"M1": Member("M1", "Bohai", Role.MEMBER, frozenset({"A1"}))}
    sessions = {
        "M1-OE": Session("M1-OE", "M1", SessionType.ORDER_ENTRY, PASSWORD),
        "M1-DC": Session("M1-DC", "M1", SessionType.DROP_COPY, PASSWORD),
        "M1-MD": Session("M1-MD", "M1", SessionType.MARKET_DATA, PASSWORD),
        "M1-SLOW": Session("M1-SLOW", "M1", SessionType.MARKET_DATA, PASSWORD,
                           messages_per_second=1),
    }  # fmt: skip
    return Directory(members, sessions)


@pytest.fixture
def bridge(tmp_path: Path) -> FixBridge:
    members = directory()
    bridge = FixBridge(
        MemberApplication(members, REFERENCE),
        members,
        GatewayService(MemoryStream(), len(REFERENCE.instruments)),
        FixedClock(),
        "TCX",
        tmp_path / "delivered-seq",
    )
    bridge.outbox = RecordingOutbox()
    bridge.market_data = FixMarketData(MarketDataPublisher(REFERENCE), bridge.outbox)
    return bridge


def inbound(session: str, msg_type: str, fields) -> Message:
    header = ((34, "2"), (49, session), (52, "20261124-02:00:00.000"), (56, "TCX"))
    return Message.of(msg_type, *header, *fields)


def test_market_data_and_order_entry_sessions_may_subscribe(bridge):
    for name in ("M1-MD", "M1-OE"):
        (reply,) = bridge.on_message(SessionId(name, "TCX"), inbound(name, "V", request()), 0)
        assert (reply.msg_type, reply.get(262), reply.get(55)) == ("W", "r1", "TJEA25")
    assert bridge.market_data.subscriptions(SessionId("M1-MD", "TCX")) == ["r1"]


def test_a_drop_copy_session_may_not(bridge):
    (reply,) = bridge.on_message(SessionId("M1-DC", "TCX"), inbound("M1-DC", "V", request()), 0)
    assert (reply.msg_type, reply.get(372), reply.get(380)) == ("j", "V", "6")
    assert reply.get(58) == "a drop_copy session may not send MsgType V"
    assert bridge.market_data.subscriptions(SessionId("M1-DC", "TCX")) == []


def test_requests_count_against_the_sessions_rate_limit(bridge):
    slow = SessionId("M1-SLOW", "TCX")
    (first,) = bridge.on_message(slow, inbound("M1-SLOW", "V", request(kind="0")), 0)
    (second,) = bridge.on_message(slow, inbound("M1-SLOW", "V", request(kind="0")), 0)
    assert first.msg_type == "W"
    assert (second.msg_type, second.get(380)) == ("j", "0")
    assert "over the limit of 1 messages/s" in second.get(58)


def test_a_market_data_session_still_may_not_trade(bridge):
    order = ((1, "A1"), (11, "c1"), (38, "1"), (40, "2"), (44, "50.00"), (54, "1"), (55, "TJEA25"))
    (reply,) = bridge.on_message(SessionId("M1-MD", "TCX"), inbound("M1-MD", "D", order), 0)
    assert (reply.msg_type, reply.get(380)) == ("j", "6")


def test_logout_ends_the_subscriptions(bridge):
    session = SessionId("M1-MD", "TCX")
    bridge.on_message(session, inbound("M1-MD", "V", request()), 0)
    bridge.on_logout(session)
    assert bridge.market_data.subscriptions(session) == []

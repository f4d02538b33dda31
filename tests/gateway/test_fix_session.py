"""The acceptor session driven directly, with time injected: no sockets, no clock reads."""

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

import pytest

from gateway.fix import tags
from gateway.fix.acceptor import Acceptor
from gateway.fix.application import SessionId
from gateway.fix.logon_throttle import FailedLogonThrottle
from gateway.fix.message import Message
from gateway.fix.session import Session, SessionSettings, State
from gateway.fix.store import SessionKey, SessionStore
from gateway.fix.tags import MsgType
from tests.gateway.fix_harness import (
    GATEWAY,
    MEMBER,
    Credentials,
    EchoApplication,
    RecordingTransport,
    inbound,
    logon,
    make_acceptor,
    trading_day,
)

S = 1_000_000_000
T0 = 1_790_000_000 * S  # 2026-09-21, a fixed moment
DAY = trading_day(T0)
ORDER = ((11, "ORD-1"), (21, "1"), (38, "10"), (40, "2"), (44, "71.50"), (54, "1"), (55, "CEA"))


def order(seq: int, now: int, *extra: tuple[int, str]) -> bytes:
    return inbound("D", seq, *ORDER, (60, "20260921-00:00:00"), *extra, now=now)


class Harness:
    def __init__(self, tmp_path: Path, **settings: object):
        self.now = T0  # what the acceptor's clock says, for messages pushed through it
        self.application = EchoApplication()
        self.credentials = Credentials({MEMBER: None, "SECURE": "s3cret", "OTHER": None})
        self.acceptor = make_acceptor(
            tmp_path,
            replace(SessionSettings(comp_id=GATEWAY), **settings),
            self.credentials,
            self.application,
            FailedLogonThrottle(max_failures=3, window_ns=60 * S),
            clock=lambda: self.now,
        )

    def connect(self, now: int = T0, peer: str = "10.0.0.1") -> tuple[Session, RecordingTransport]:
        transport = RecordingTransport()
        return self.acceptor.open(transport, peer, now), transport

    def logged_on(self, now: int = T0) -> tuple[Session, RecordingTransport]:
        session, transport = self.connect(now)
        session.on_frame(logon(1, now), now)
        (reply,) = transport.take()
        assert reply.msg_type == MsgType.LOGON
        return session, transport


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def test_logon_is_answered_with_logon_echoing_heartbeat_interval(harness: Harness) -> None:
    session, transport = harness.connect()
    session.on_frame(logon(1, T0, heartbeat=17), T0)
    (reply,) = transport.take()
    assert reply.msg_type == MsgType.LOGON
    assert (reply.get(tags.HEART_BT_INT), reply.seq_num) == ("17", 1)
    assert (reply.get(tags.SENDER_COMP_ID), reply.get(tags.TARGET_COMP_ID)) == (GATEWAY, MEMBER)
    assert session.state is State.ACTIVE
    assert harness.application.logons == [SessionId(MEMBER, GATEWAY)]


def test_first_message_not_a_logon_closes_without_reply(harness: Harness) -> None:
    session, transport = harness.connect()
    session.on_frame(inbound(MsgType.HEARTBEAT, 1, now=T0), T0)
    assert transport.closed and transport.frames == []


def test_connection_that_never_logs_on_is_closed_after_logon_timeout(harness: Harness) -> None:
    session, transport = harness.connect()
    assert session.next_deadline() == T0 + 10 * S
    session.on_timer(T0 + 9 * S)
    assert not transport.closed
    session.on_timer(T0 + 10 * S)
    assert transport.closed


def test_heartbeat_then_test_request_then_disconnect_on_silence(harness: Harness) -> None:
    session, transport = harness.logged_on()
    assert session.next_deadline() == T0 + 30 * S
    session.on_timer(T0 + 30 * S)
    assert [m.msg_type for m in transport.take()] == [MsgType.HEARTBEAT]
    session.on_timer(T0 + 36 * S)  # 1.2 x HeartBtInt of silence from the member
    (test_request,) = transport.take()
    assert (test_request.msg_type, test_request.get(tags.TEST_REQ_ID)) == ("1", "TEST")
    session.on_timer(T0 + 71 * S)
    assert not transport.closed
    session.on_timer(T0 + 72 * S)  # 2.4 x HeartBtInt
    assert transport.closed and session.state is State.CLOSED


def test_member_traffic_postpones_the_test_request(harness: Harness) -> None:
    session, transport = harness.logged_on()
    session.on_frame(inbound(MsgType.HEARTBEAT, 2, now=T0 + 30 * S), T0 + 30 * S)
    session.on_timer(T0 + 36 * S)  # our heartbeat is due, no TestRequest: we heard at +30
    assert [m.msg_type for m in transport.take()] == [MsgType.HEARTBEAT]
    assert session.next_deadline() == T0 + 66 * S


def test_test_request_is_answered_with_its_id(harness: Harness) -> None:
    session, transport = harness.logged_on()
    session.on_frame(inbound(MsgType.TEST_REQUEST, 2, (112, "ping-7"), now=T0), T0)
    (heartbeat,) = transport.take()
    assert (heartbeat.msg_type, heartbeat.get(112), heartbeat.seq_num) == ("0", "ping-7", 2)


def test_too_high_asks_for_resend_and_replays_the_queue_in_order(harness: Harness) -> None:
    session, transport = harness.logged_on()
    session.on_frame(inbound(MsgType.TEST_REQUEST, 4, (112, "late"), now=T0), T0)
    (resend,) = transport.take()
    assert (resend.msg_type, resend.get(7), resend.get(16)) == ("2", "2", "0")
    session.on_frame(inbound(MsgType.TEST_REQUEST, 2, (112, "a"), now=T0), T0)
    assert [m.get(112) for m in transport.take()] == ["a"]
    session.on_frame(inbound(MsgType.TEST_REQUEST, 3, (112, "b"), now=T0), T0)
    assert [m.get(112) for m in transport.take()] == ["b", "late"]


def test_too_low_without_possdup_logs_out_and_closes(harness: Harness) -> None:
    session, transport = harness.logged_on()
    session.on_frame(inbound(MsgType.HEARTBEAT, 2, now=T0), T0)
    session.on_frame(inbound(MsgType.HEARTBEAT, 2, now=T0), T0)
    (logout,) = transport.take()
    assert logout.msg_type == MsgType.LOGOUT
    assert logout.get(tags.TEXT) == "MsgSeqNum too low, expecting 3 but received 2"
    assert transport.closed
    assert harness.application.logouts == [SessionId(MEMBER, GATEWAY)]


def test_invalid_message_is_rejected_with_reason_and_still_counts(harness: Harness) -> None:
    session, transport = harness.logged_on()
    session.on_frame(order(2, T0, (59, "Z")), T0)  # TimeInForce Z is not an enum value
    (reject,) = transport.take()
    assert reject.msg_type == MsgType.REJECT
    assert [reject.get(t) for t in (45, 371, 372, 373)] == ["2", "59", "D", "5"]
    session.on_frame(inbound(MsgType.TEST_REQUEST, 3, (112, "x"), now=T0), T0)
    assert [m.msg_type for m in transport.take()] == [MsgType.HEARTBEAT]


def test_application_message_goes_to_the_application_and_replies_are_sequenced(
    harness: Harness,
) -> None:
    session, transport = harness.logged_on()
    session.on_frame(order(2, T0), T0)
    (echo,) = transport.take()
    assert (echo.msg_type, echo.seq_num, echo.get(11), echo.get(44)) == ("D", 2, "ORD-1", "71.50")
    assert (echo.get(tags.SENDER_COMP_ID), echo.get(tags.TARGET_COMP_ID)) == (GATEWAY, MEMBER)


def test_outbox_sends_to_the_live_session(harness: Harness) -> None:
    _session, transport = harness.logged_on()
    report = Message.of("8", (37, "1"), (17, "E1"), (150, "0"), (39, "0"), (54, "1"))
    seq = harness.acceptor.send(SessionId(MEMBER, GATEWAY), report)
    (sent,) = transport.take()
    assert (sent.msg_type, sent.seq_num, seq) == ("8", 2, 2)


def test_application_can_log_a_member_out(harness: Harness) -> None:
    member = SessionId(MEMBER, GATEWAY)
    assert not harness.acceptor.logout(member, "rate limit")
    session, transport = harness.logged_on()
    assert harness.acceptor.logout(member, "far over the message rate limit")
    (logout,) = transport.take()
    assert (logout.msg_type, logout.get(tags.TEXT)) == ("5", "far over the message rate limit")
    session.on_frame(inbound(MsgType.LOGOUT, 2, now=T0), T0)
    assert transport.closed and transport.take() == []


def test_sequence_numbers_continue_after_reconnect(harness: Harness) -> None:
    session, transport = harness.logged_on()
    session.on_frame(order(2, T0), T0)
    session.on_disconnect()
    assert harness.application.logouts == [SessionId(MEMBER, GATEWAY)]
    again, transport = harness.connect(T0 + S)
    again.on_frame(logon(3, T0 + S), T0 + S)
    (reply,) = transport.take()
    assert reply.seq_num == 3  # logon 1, echo 2, now 3
    again.on_frame(logon(3, T0 + S), T0 + S)  # a second Logon on a live session
    assert transport.take()[0].msg_type == MsgType.LOGOUT


def test_logon_below_the_expected_sequence_is_refused(harness: Harness) -> None:
    session, transport = harness.logged_on()
    session.on_frame(inbound(MsgType.HEARTBEAT, 2, now=T0), T0)
    session.on_disconnect()
    again, transport = harness.connect(T0 + S)
    again.on_frame(logon(1, T0 + S), T0 + S)
    (logout,) = transport.take()
    assert logout.get(tags.TEXT) == "MsgSeqNum too low, expecting 3 but received 1"
    assert transport.closed


def test_reset_seq_num_flag_starts_both_sequences_again(harness: Harness) -> None:
    session, transport = harness.logged_on()
    session.on_frame(order(2, T0), T0)
    session.on_disconnect()
    again, transport = harness.connect(T0 + S)
    again.on_frame(logon(1, T0 + S, 30, (tags.RESET_SEQ_NUM_FLAG, "Y")), T0 + S)
    (reply,) = transport.take()
    assert (reply.seq_num, reply.get(tags.RESET_SEQ_NUM_FLAG)) == (1, "Y")


def test_messages_sent_while_offline_are_recovered_by_resend_request(harness: Harness) -> None:
    session, transport = harness.logged_on()
    session.on_frame(order(2, T0), T0)  # our 2: the echo
    session.on_frame(inbound(MsgType.LOGOUT, 3, now=T0), T0)
    member = SessionId(MEMBER, GATEWAY)
    offline = [Message.of("8", (37, str(n)), (17, f"E{n}"), (150, "F")) for n in (1, 2)]
    assert [harness.acceptor.send(member, report) for report in offline] == [4, 5]
    again, transport = harness.connect(T0 + 5 * S)
    again.on_frame(logon(4, T0 + 5 * S), T0 + 5 * S)
    assert transport.take()[0].seq_num == 6
    request = inbound(MsgType.RESEND_REQUEST, 5, (7, "1"), (16, "0"), now=T0 + 6 * S)
    again.on_frame(request, T0 + 6 * S)
    replayed = transport.take()
    summary = [(m.msg_type, m.seq_num, m.get(36), m.get(tags.POSS_DUP_FLAG)) for m in replayed]
    assert summary == [
        ("4", 1, "2", "Y"),  # our Logon: gap-filled
        ("D", 2, None, "Y"),
        ("4", 3, "4", "Y"),  # our Logout
        ("8", 4, None, "Y"),
        ("8", 5, None, "Y"),
        ("4", 6, "7", "Y"),  # the latest Logon
    ]
    assert [m.get(17) for m in replayed if m.msg_type == "8"] == ["E1", "E2"]
    assert all(m.get(tags.ORIG_SENDING_TIME) for m in replayed)


def test_market_data_is_gap_filled_on_resend_never_replayed(harness: Harness) -> None:
    """A stale incremental replayed into a member's rebuilt book would corrupt it."""
    session, transport = harness.logged_on()
    session.on_frame(inbound(MsgType.LOGOUT, 2, now=T0), T0)
    member = SessionId(MEMBER, GATEWAY)
    sent = [
        Message.of("X", (262, "md1"), (268, "0")),
        Message.of("8", (37, "1"), (17, "E1"), (150, "F")),
        Message.of("W", (262, "md1"), (55, "TJEA25"), (268, "0")),
    ]
    assert [harness.acceptor.send(member, message) for message in sent] == [3, 4, 5]
    again, transport = harness.connect(T0 + 5 * S)
    again.on_frame(logon(3, T0 + 5 * S), T0 + 5 * S)
    transport.take()
    again.on_frame(inbound(MsgType.RESEND_REQUEST, 4, (7, "3"), (16, "5"), now=T0), T0)
    replayed = [(m.msg_type, m.seq_num, m.get(36)) for m in transport.take()]
    assert replayed == [("4", 3, "4"), ("8", 4, None), ("4", 5, "6")]


def test_sequence_reset_modes(harness: Harness) -> None:
    session, transport = harness.logged_on()
    session.on_frame(inbound(MsgType.SEQUENCE_RESET, 2, (123, "Y"), (36, "10"), now=T0), T0)
    session.on_frame(inbound(MsgType.SEQUENCE_RESET, 999, (36, "20"), now=T0), T0)  # reset mode
    session.on_frame(inbound(MsgType.TEST_REQUEST, 20, (112, "after"), now=T0), T0)
    assert [m.get(112) for m in transport.take()] == ["after"]
    session.on_frame(inbound(MsgType.SEQUENCE_RESET, 1, (36, "5"), now=T0), T0)
    (reject,) = transport.take()
    assert (reject.msg_type, reject.get(373)) == ("3", "5")


def test_bad_comp_id_is_rejected_and_logout_handshake_completes(harness: Harness) -> None:
    session, transport = harness.logged_on()
    session.on_frame(inbound(MsgType.HEARTBEAT, 2, now=T0, sender="WT"), T0)
    reject, logout = transport.take()
    assert (reject.get(373), logout.msg_type) == ("9", MsgType.LOGOUT)
    assert session.state is State.LOGOUT_SENT and not transport.closed
    session.on_frame(inbound(MsgType.LOGOUT, 3, now=T0), T0)
    assert transport.closed and transport.take() == []


def test_unconfirmed_logout_closes_after_the_logout_timeout(harness: Harness) -> None:
    session, transport = harness.logged_on()
    session.on_frame(inbound(MsgType.HEARTBEAT, 2, now=T0 - 500 * S), T0)
    assert [m.msg_type for m in transport.take()] == ["3", "5"]
    session.on_timer(T0 + S)
    assert not transport.closed
    session.on_timer(T0 + 2 * S)
    assert transport.closed


def test_second_connection_for_a_logged_on_member_is_closed(harness: Harness) -> None:
    first, first_transport = harness.logged_on()
    second, second_transport = harness.connect()
    second.on_frame(logon(2, T0), T0)
    assert second_transport.closed and second_transport.frames == []
    first.on_frame(inbound(MsgType.TEST_REQUEST, 2, (112, "still here"), now=T0), T0)
    assert [m.get(112) for m in first_transport.take()] == ["still here"]


def test_failed_logon_is_logged_answered_and_rate_limited(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gateway.fix.session")
    for attempt in range(3):
        session, transport = harness.connect(T0 + attempt * S)
        session.on_frame(logon(1, T0, 30, (554, "wrong"), sender="SECURE"), T0 + attempt * S)
        (logout,) = transport.take()
        assert logout.msg_type == MsgType.LOGOUT and transport.closed
    assert sum("failed logon as 'SECURE'" in r.getMessage() for r in caplog.records) == 3
    session, transport = harness.connect(T0 + 10 * S)
    session.on_frame(logon(1, T0 + 10 * S, 30, (554, "s3cret"), sender="SECURE"), T0 + 10 * S)
    assert transport.closed and transport.frames == []  # refused unheard, right password or not
    assert "too many failures" in caplog.records[-1].getMessage()
    elsewhere, transport = harness.connect(T0 + 10 * S, peer="10.0.0.2")
    elsewhere.on_frame(logon(1, T0 + 10 * S, 30, (554, "s3cret"), sender="SECURE"), T0 + 10 * S)
    assert transport.take()[0].msg_type == MsgType.LOGON  # another address is not blocked
    elsewhere.on_disconnect()
    later, transport = harness.connect(T0 + 61 * S)
    later.on_frame(logon(2, T0 + 61 * S, 30, (554, "s3cret"), sender="SECURE"), T0 + 61 * S)
    assert transport.take()[0].msg_type == MsgType.LOGON  # the window has passed


def test_heartbeat_interval_out_of_range_is_refused(harness: Harness) -> None:
    session, transport = harness.connect()
    session.on_frame(logon(1, T0, heartbeat=0), T0)
    (logout,) = transport.take()
    assert logout.msg_type == MsgType.LOGOUT and "HeartBtInt" in (logout.get(58) or "")
    assert transport.closed


def test_timer_scale_shortens_heartbeats(tmp_path: Path) -> None:
    harness = Harness(tmp_path, timer_scale=0.1)
    session, _ = harness.logged_on()
    assert session.next_deadline() == T0 + 3 * S


def test_acceptor_reports_who_is_logged_on(harness: Harness) -> None:
    acceptor: Acceptor = harness.acceptor
    member = SessionId(MEMBER, GATEWAY)
    assert not acceptor.is_logged_on(member)
    session, _ = harness.logged_on()
    assert acceptor.is_logged_on(member)
    session.on_disconnect()
    assert not acceptor.is_logged_on(member)


def test_inside_an_event_loop_frames_wait_for_the_store_commit_at_the_turns_end(
    harness: Harness, tmp_path: Path
) -> None:
    """Every session's work in one loop turn is committed in one transaction, and no frame
    leaves before it: a crash then loses nothing a member has seen."""
    session, transport = harness.logged_on()
    other, other_transport = harness.connect(peer="10.0.0.2")
    other.on_frame(logon(1, T0, sender="OTHER"), T0)  # outside a loop: checked at once
    other_transport.take()

    async def one_turn() -> tuple[int, int, int]:
        session.on_frame(order(2, T0), T0)
        other.on_frame(inbound("1", 2, (112, "t"), now=T0, sender="OTHER"), T0)
        held = len(transport.frames) + len(other_transport.frames)
        on_disk = SessionStore(tmp_path).next_numbers(SessionKey(GATEWAY, MEMBER, DAY))[0]
        await asyncio.sleep(0)  # the turn ends: the acceptor flushes
        return held, on_disk, len(transport.frames) + len(other_transport.frames)

    held, on_disk_before, sent = asyncio.run(one_turn())
    assert (held, on_disk_before, sent) == (0, 2, 2)  # the echo and OTHER's heartbeat
    key = SessionKey(GATEWAY, MEMBER, DAY)
    assert SessionStore(tmp_path).next_numbers(key) == (3, 3)
    (echo,) = transport.take()
    assert echo.seq_num == 2

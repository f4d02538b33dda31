"""Malformed, truncated, oversized and wrongly-typed frames: the gateway never crashes, each
frame gets what the FIX rules prescribe (ignored, or Reject(3) naming the reason and the
tag), and another member's session carries on untouched."""

import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from gateway.fix.acceptor import Acceptor
from gateway.fix.application import SessionId
from gateway.fix.codec import encode
from gateway.fix.message import Message
from gateway.fix.session import Session
from gateway.fix.tags import MsgType
from tests.gateway.fix_harness import (
    DICTIONARY,
    MEMBER,
    Credentials,
    RecordingTransport,
    inbound,
    logon,
    make_acceptor,
    served,
)

S = 1_000_000_000
T0 = 1_790_000_000 * S
OTHER = "OTHER"
NEWCOMER = "NEWCOMER"
ORDER = ((11, "A-1"), (38, "5"), (40, "2"), (44, "70.10"), (54, "1"), (55, "CEA"),
         (60, "20260921-09:30:00"))  # fmt: skip
TYPED_TAGS = (38, 40, 44, 54, 60)  # QTY, CHAR, PRICE, CHAR, UTCTIMESTAMP
UNKNOWN_TAGS = st.integers(5001, 9999).filter(lambda tag: tag not in DICTIONARY.fields)
LETTERS = st.text("ghkmqvwxyzGHKMQVWXYZ", min_size=2, max_size=12)


def garbage() -> st.SearchStrategy[tuple[str, object]]:
    return st.one_of(
        st.tuples(st.just("random"), st.binary(max_size=400)),
        st.tuples(st.just("truncated"), st.floats(0, 0.999)),
        st.tuples(st.just("oversized"), st.integers(16_385, 40_000)),
        st.tuples(st.just("wrong type"), st.tuples(st.sampled_from(TYPED_TAGS), LETTERS)),
        st.tuples(st.just("unknown tag"), st.tuples(UNKNOWN_TAGS, LETTERS)),
        st.tuples(st.just("empty value"), st.sampled_from([11, 55, 44, 1])),
    )


class Member:
    def __init__(self, acceptor: Acceptor, comp_id: str, peer: str):
        self.comp_id = comp_id
        self.transport = RecordingTransport()
        self.session: Session = acceptor.open(self.transport, peer, T0)
        self.session.on_frame(logon(1, T0, sender=comp_id), T0)
        assert self.transport.take()[0].msg_type == MsgType.LOGON
        self.next_in = 2  # what the gateway expects from us
        self.next_out = 2  # what we expect from the gateway

    def order(self, *replace: tuple[int, str]) -> bytes:
        changes = dict(replace)
        fields = [(tag, changes.pop(tag, value)) for tag, value in ORDER]
        return inbound("D", self.next_in, *fields, *changes.items(), now=T0, sender=self.comp_id)

    def still_answers(self) -> None:
        probe = inbound(MsgType.TEST_REQUEST, self.next_in, (112, "probe"), now=T0,
                        sender=self.comp_id)  # fmt: skip
        self.session.on_frame(probe, T0)
        (heartbeat,) = self.transport.take()
        assert (heartbeat.msg_type, heartbeat.get(112)) == ("0", "probe")
        assert heartbeat.seq_num == self.next_out
        self.next_in += 1
        self.next_out += 1


def feed(member: Member, kind: str, detail: object) -> None:
    """Send one bad frame and check the gateway's answer against the FIX rules."""
    session, transport = member.session, member.transport
    if kind == "random":
        assert isinstance(detail, bytes)
        session.on_frame(detail, T0)
        assert transport.take() == []  # garbled: ignored, nothing consumed
        return
    if kind == "truncated":
        assert isinstance(detail, float)
        whole = member.order()
        session.on_frame(whole[: int(len(whole) * detail)], T0)
        assert transport.take() == []
        return
    if kind == "oversized":
        assert isinstance(detail, int)
        session.on_frame(member.order((58, "x" * detail)), T0)
        assert transport.take() == []
        return
    if kind == "wrong type":
        tag, value = detail  # type: ignore[misc]
        expected_reason = "6"  # letters, two or more: no number, time or single CHAR
        frame = member.order((tag, value))
    elif kind == "unknown tag":
        tag, value = detail  # type: ignore[misc]
        expected_reason = "0"
        frame = member.order((tag, value))
    else:
        tag = detail  # type: ignore[assignment]
        expected_reason = "4"
        frame = member.order((tag, ""))
    session.on_frame(frame, T0)
    (reject,) = transport.take()
    assert reject.msg_type == MsgType.REJECT
    assert [reject.get(t) for t in (45, 371, 372, 373)] == [
        str(member.next_in), str(tag), "D", expected_reason,
    ]  # fmt: skip
    assert reject.seq_num == member.next_out
    member.next_in += 1  # a rejected message still counts
    member.next_out += 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(garbage(), min_size=1, max_size=12))
def test_bad_frames_get_what_fix_prescribes_and_spare_other_sessions(
    frames: list[tuple[str, object]],
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        acceptor = make_acceptor(
            Path(directory), credentials=Credentials({MEMBER: None, OTHER: None})
        )
        fuzzed = Member(acceptor, MEMBER, "10.0.0.1")
        bystander = Member(acceptor, OTHER, "10.0.0.2")
        for kind, detail in frames:
            feed(fuzzed, kind, detail)
            bystander.still_answers()
        fuzzed.still_answers()
        assert bystander.transport.closed is False
        fuzzed.session.on_disconnect()
        assert not acceptor.is_logged_on(fuzzed.session.session_id)  # type: ignore[arg-type]
        acceptor.store.close()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.binary(max_size=300), st.text(max_size=300)), min_size=1, max_size=20))
def test_the_endpoint_survives_arbitrary_frames(frames: list[bytes | str]) -> None:
    async def run(acceptor: Acceptor) -> None:
        async with served(acceptor) as url:
            async with connect(url) as fuzzed, connect(url) as bystander:
                for connection, comp_id in ((fuzzed, MEMBER), (bystander, OTHER)):
                    await connection.send(logon(1, _now(), sender=comp_id).decode())
                    assert b"35=A" in _bytes(await asyncio.wait_for(connection.recv(), 10))
                for frame in frames:
                    await fuzzed.send(frame)
                for connection, comp_id in ((fuzzed, MEMBER), (bystander, OTHER)):
                    probe = inbound("1", 2, (112, "probe"), now=_now(), sender=comp_id)
                    await connection.send(probe.decode())
                    reply = _bytes(await asyncio.wait_for(connection.recv(), 10))
                    assert b"\x0135=0\x01" in reply and b"\x01112=probe\x01" in reply
            async with connect(url) as newcomer:  # and the gateway still takes logons
                await newcomer.send(logon(1, _now(), sender=NEWCOMER).decode())
                assert b"35=A" in _bytes(await asyncio.wait_for(newcomer.recv(), 10))

    with tempfile.TemporaryDirectory() as directory:
        members = Credentials({MEMBER: None, OTHER: None, NEWCOMER: None})
        asyncio.run(run(make_acceptor(Path(directory), credentials=members)))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=12).filter(lambda comp_id: comp_id != MEMBER),
            st.text(max_size=12),
            st.integers(1, 4),
        ),
        min_size=1,
        max_size=15,
    )
)
def test_failed_logons_leave_nothing_behind(attempts: list[tuple[str, str, int]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        acceptor = make_acceptor(Path(directory), credentials=Credentials({MEMBER: "right"}))
        for comp_id, password, peer in attempts:
            transport = RecordingTransport()
            session = acceptor.open(transport, f"10.0.0.{peer}", T0)
            frame = logon(1, T0, 30, (554, password), sender=comp_id.replace("\x01", " "))
            session.on_frame(frame, T0)
            assert transport.closed
            assert all(reply.msg_type == MsgType.LOGOUT for reply in transport.take())
        rows = sqlite3.connect(Path(directory) / "fix-sessions.sqlite3").execute(
            "SELECT (SELECT count(*) FROM sequence) + (SELECT count(*) FROM sent)"
        )
        assert rows.fetchone() == (0,)  # strangers create no session state
        assert not acceptor.is_logged_on(SessionId(MEMBER, "ISLD"))
        acceptor.store.close()


def _now() -> int:
    return time.time_ns()


def _bytes(frame: bytes | str) -> bytes:
    return frame.encode() if isinstance(frame, str) else frame


def test_message_without_seq_num_is_rejected_naming_it(tmp_path: Path) -> None:
    member = Member(make_acceptor(tmp_path), MEMBER, "10.0.0.1")
    heartbeat = Message.of("0", (49, MEMBER), (52, "20260921-09:30:00"), (56, "ISLD"))
    member.session.on_frame(encode(heartbeat, DICTIONARY.begin_string), T0)
    (reject,) = member.transport.take()
    assert (reject.get(371), reject.get(373), reject.get(45)) == ("34", "1", None)

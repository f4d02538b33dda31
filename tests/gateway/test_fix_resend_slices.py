"""A member's ResendRequest is served in slices that yield to the event loop, from the
stored frames without parsing them again, and counts against the session's message rate:
one member's resends cannot stall the others."""

import asyncio
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from gateway.fix import tags
from gateway.fix.application import Admission, SessionId
from gateway.fix.codec import encode, parse, possible_duplicate
from gateway.fix.message import Message
from gateway.fix.session import SessionSettings
from gateway.fix.timestamps import format_utc_timestamp
from tests.gateway.fix_harness import (
    DICTIONARY,
    GATEWAY,
    MEMBER,
    Credentials,
    EchoApplication,
    RecordingTransport,
    inbound,
    logon,
    make_acceptor,
)

S = 1_000_000_000
T0 = 1_790_000_000 * S
STORED = 600
SLICE = 256


class RationedApplication(EchoApplication):
    """Admits `allowance` ResendRequests, then refuses; `logout_after` ends the session."""

    def __init__(self, allowance: int = 1_000, logout_after: int = 1_000) -> None:
        super().__init__()
        self.asked = 0
        self.allowance = allowance
        self.logout_after = logout_after

    def admit(self, session: SessionId, now: int) -> Admission:
        self.asked += 1
        if self.asked > self.logout_after:
            return Admission.LOGOUT
        return Admission.PASS if self.asked <= self.allowance else Admission.REJECT


def _with_stored_reports(tmp_path: Path, application: EchoApplication):
    acceptor = make_acceptor(
        tmp_path,
        SessionSettings(comp_id=GATEWAY, resend_slice=SLICE),
        Credentials({MEMBER: None, "OTHER": None}),
        application,
        clock=lambda: T0,
    )
    member, bystander = RecordingTransport(), RecordingTransport()
    session = acceptor.open(member, "10.0.0.1", T0)
    session.on_frame(logon(1, T0), T0)
    other = acceptor.open(bystander, "10.0.0.2", T0)
    other.on_frame(logon(1, T0, sender="OTHER"), T0)
    for number in range(STORED):
        acceptor.send(SessionId(MEMBER, GATEWAY), Message.of("8", (tags.TEXT, f"r{number}")))
    member.take(), bystander.take()
    return acceptor, session, member, other, bystander


def test_a_resend_yields_to_other_sessions_between_slices(tmp_path: Path) -> None:
    acceptor, session, member, other, bystander = _with_stored_reports(
        tmp_path, RationedApplication()
    )

    async def turns() -> list[int]:
        resend = inbound("2", 2, (tags.BEGIN_SEQ_NO, "1"), (tags.END_SEQ_NO, "0"), now=T0)
        session.on_frame(resend, T0)
        other.on_frame(inbound("1", 2, (112, "x"), now=T0, sender="OTHER"), T0)
        sent = []
        for _ in range(6):
            await asyncio.sleep(0)
            sent.append(len(member.frames))
        assert len(bystander.frames) == 1  # answered in the first turn, not after the resend
        return sent

    sent = asyncio.run(turns())
    assert sent[0] == SLICE and sent[-1] == STORED + 1  # the Logon's gap fill, then 600
    resent = member.take()
    assert resent[0].msg_type == "4"  # our Logon (seq 1) is gap-filled
    assert [m.seq_num for m in resent[1:]] == list(range(2, STORED + 2))
    assert all(m.get(tags.POSS_DUP_FLAG) == "Y" for m in resent)
    acceptor.store.close()


def test_outside_a_loop_a_resend_is_served_whole(tmp_path: Path) -> None:
    acceptor, session, member, *_ = _with_stored_reports(tmp_path, RationedApplication())
    session.on_frame(inbound("2", 2, (7, "2"), (16, "0"), now=T0), T0)
    resent = member.take()
    assert [m.get(tags.TEXT) for m in resent] == [f"r{n}" for n in range(STORED)]
    acceptor.store.close()


def test_resends_over_the_rate_are_rejected_then_logged_out(tmp_path: Path) -> None:
    application = RationedApplication(allowance=1, logout_after=3)
    acceptor, session, member, *_ = _with_stored_reports(tmp_path, application)
    session.on_frame(inbound("2", 2, (7, str(STORED)), (16, "0"), now=T0), T0)
    assert len(member.take()) == 2  # the last two reports
    session.on_frame(inbound("2", 3, (7, "1"), (16, "0"), now=T0), T0)
    (reject,) = member.take()
    assert (reject.msg_type, reject.get(373), reject.get(45)) == ("3", "99", "3")
    assert "message rate" in (reject.get(tags.TEXT) or "")
    session.on_frame(inbound("2", 4, (7, "1"), (16, "0"), now=T0), T0)
    session.on_frame(inbound("2", 5, (7, "1"), (16, "0"), now=T0), T0)
    replies = member.take()
    assert [m.msg_type for m in replies] == ["3", "5"]
    assert member.closed
    acceptor.store.close()


TEXTS = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=40)


@given(TEXTS, st.integers(1, 10**9), st.integers(0, 10**9))
def test_a_spliced_duplicate_is_what_encoding_it_again_gives(text: str, seq: int, later: int):
    first = format_utc_timestamp(T0)
    now = format_utc_timestamp(T0 + later)
    frame = encode(
        Message.of(
            "8", (34, str(seq)), (49, GATEWAY), (52, first), (56, MEMBER), (58, text or "x")
        ),
        "FIX.4.4",
    )
    fields = []
    for tag, value in parse(frame, DICTIONARY.data_length).fields:
        fields += [(52, now), (43, "Y"), (122, value)] if tag == 52 else [(tag, value)]
    assert possible_duplicate(frame, now) == encode(Message(fields), "FIX.4.4")

"""Integer fields longer than their type holds, or not ASCII digits, are refused by the
field validation with a Reject(3) (or, before logon, a Logout with a Text); the session
stays up and nothing reaches `int()` or a database column it cannot hold."""

from pathlib import Path

import pytest

from gateway.fix.tags import MsgType
from tests.gateway.fix_harness import RecordingTransport, inbound, logon, make_acceptor

S = 1_000_000_000
T0 = 1_790_000_000 * S
HUGE = "9" * 5_000


def _logged_on(tmp_path: Path):
    acceptor = make_acceptor(tmp_path)
    transport = RecordingTransport()
    session = acceptor.open(transport, "10.0.0.1", T0)
    session.on_frame(logon(1, T0), T0)
    assert [m.msg_type for m in transport.take()] == [MsgType.LOGON]
    return acceptor, session, transport


@pytest.mark.parametrize(
    ("msg_type", "fields", "tag"),
    [
        ("2", ((7, "1"), (16, HUGE)), 16),
        ("2", ((7, HUGE), (16, "0")), 7),
        ("4", ((123, "Y"), (36, HUGE)), 36),
        ("4", ((123, "Y"), (36, "1" * 11)), 36),
        ("3", ((45, "1"), (371, "9" * 19)), 371),  # an INT past 18 digits
    ],
)
def test_too_many_digits_are_out_of_range(tmp_path: Path, msg_type, fields, tag: int) -> None:
    acceptor, session, transport = _logged_on(tmp_path)
    session.on_frame(inbound(msg_type, 2, *fields, now=T0), T0)
    (reject,) = transport.take()
    assert reject.msg_type == MsgType.REJECT
    assert (reject.get(373), reject.get(371)) == ("5", str(tag))
    next_seq = 2 if msg_type == "4" else 3  # a refused SequenceReset does not count
    session.on_frame(inbound("1", next_seq, (112, "still"), now=T0), T0)
    (heartbeat,) = transport.take()
    assert heartbeat.get(112) == "still"
    assert not transport.closed
    acceptor.store.close()


def test_a_sequence_number_of_thousands_of_digits_is_refused(tmp_path: Path) -> None:
    acceptor, session, transport = _logged_on(tmp_path)
    frame = inbound("1", 2, (112, "x"), now=T0).replace(
        b"\x0134=2\x01", f"\x0134={HUGE}\x01".encode()
    )
    session.on_frame(_resealed(frame), T0)
    (reject,) = transport.take()
    assert (reject.get(373), reject.get(371)) == ("5", "34")
    acceptor.store.close()


def test_superscript_digits_are_not_a_number(tmp_path: Path) -> None:
    acceptor, session, transport = _logged_on(tmp_path)
    session.on_frame(inbound("2", 2, (7, "²"), (16, "0"), now=T0), T0)
    (reject,) = transport.take()
    assert (reject.get(373), reject.get(371)) == ("6", "7")
    acceptor.store.close()


@pytest.mark.parametrize("field", [(108, HUGE), (34, HUGE)])
def test_before_logon_a_huge_number_gets_a_logout_with_a_text(tmp_path: Path, field) -> None:
    acceptor = make_acceptor(tmp_path)
    transport = RecordingTransport()
    session = acceptor.open(transport, "10.0.0.1", T0)
    frame = logon(1, T0).replace(b"\x01108=30\x01", b"\x01108=%s\x01" % field[1].encode())
    if field[0] == 34:
        frame = logon(1, T0).replace(b"\x0134=1\x01", b"\x0134=%s\x01" % field[1].encode())
    session.on_frame(_resealed(frame), T0)
    (logout,) = transport.take()
    assert logout.msg_type == MsgType.LOGOUT
    assert "out of range" in (logout.get(58) or "")
    assert transport.closed
    acceptor.store.close()


def _resealed(frame: bytes) -> bytes:
    """`frame` with its BodyLength and CheckSum made true again after an edit."""
    from gateway.fix.codec import encode_fields

    body = frame.split(b"\x01")[2:-2]
    fields = [(int(t), v.decode()) for t, _, v in (f.partition(b"=") for f in body)]
    return encode_fields(fields, "FIX.4.4")

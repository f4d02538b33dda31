"""Test-only pieces for the FIX gateway: the echo application the QuickFIX acceptance
suite assumes, a table of member credentials, and the real FIX websocket server (picows) on
a free loopback port."""

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import simplefix
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from gateway.fix import tags
from gateway.fix.acceptor import Acceptor
from gateway.fix.application import Admission, SessionId
from gateway.fix.codec import encode, parse
from gateway.fix.dictionary import Dictionary, load_dictionary
from gateway.fix.logon_throttle import FailedLogonThrottle
from gateway.fix.message import Message
from gateway.fix.session import SessionSettings
from gateway.fix.store import SessionStore
from gateway.fix.tags import MsgType
from gateway.fix.timestamps import format_utc_timestamp
from gateway.fix.websocket import FixServer

GATEWAY = "ISLD"
MEMBER = "TW44"
DICTIONARY: Dictionary = load_dictionary()


class EchoApplication:
    """Echoes NewOrderSingle (D) and SecurityDefinition (d) back unchanged; any other
    application message gets BusinessMessageReject 380=3. A PossResend(97=Y) order whose
    ClOrdID was already seen on the session is ignored, as the suite's 19a expects."""

    def __init__(self) -> None:
        self.seen_orders: dict[SessionId, set[str]] = {}
        self.logons: list[SessionId] = []
        self.logouts: list[SessionId] = []

    def on_logon(self, session: SessionId) -> None:
        self.logons.append(session)

    def admit(self, session: SessionId, now: int) -> Admission:
        return Admission.PASS

    def on_logout(self, session: SessionId) -> None:
        self.logouts.append(session)

    def on_message(self, session: SessionId, message: Message, now: int) -> Sequence[Message]:
        if message.msg_type == "D":
            seen = self.seen_orders.setdefault(session, set())
            order_id = message.get(11) or ""
            if message.get_flag(97) and order_id in seen:
                return []
            seen.add(order_id)
            return [message]
        if message.msg_type == "d":
            return [message]
        return [
            Message.of(
                MsgType.BUSINESS_MESSAGE_REJECT,
                (tags.REF_SEQ_NUM, str(message.seq_num)),
                (tags.TEXT, "Unsupported Message Type"),
                (tags.REF_MSG_TYPE, message.msg_type),
                (tags.BUSINESS_REJECT_REASON, "3"),
            )
        ]


@dataclass
class Credentials:
    """Members and their passwords; a member with password None logs on without one."""

    passwords: dict[str, str | None] = field(default_factory=lambda: {MEMBER: None})

    def authenticate(self, comp_id: str, username: str | None, password: str | None) -> bool:
        if comp_id not in self.passwords:
            return False
        expected = self.passwords[comp_id]
        return expected is None or password == expected


def trading_day(now: int) -> str:
    return dt.datetime.fromtimestamp(now / 1e9, dt.UTC).date().isoformat()


def make_acceptor(
    store_dir: Path,
    settings: SessionSettings | None = None,
    credentials: Credentials | None = None,
    application: EchoApplication | None = None,
    throttle: FailedLogonThrottle | None = None,
    clock: Callable[[], int] = time.time_ns,
) -> Acceptor:
    return Acceptor(
        settings=settings or SessionSettings(comp_id=GATEWAY),
        dictionary=DICTIONARY,
        store=SessionStore(store_dir),
        authenticator=credentials or Credentials(),
        application=application or EchoApplication(),
        throttle=throttle or FailedLogonThrottle(max_failures=5, window_ns=60 * 10**9),
        trading_day=trading_day,
        clock=clock,
    )


def conformance_settings(**overrides: object) -> SessionSettings:
    """The acceptance suite's profile: its acceptor resets sequence numbers on disconnect."""
    return replace(SessionSettings(comp_id=GATEWAY, reset_on_disconnect=True), **overrides)


@contextlib.asynccontextmanager
async def served(acceptor: Acceptor) -> AsyncIterator[str]:
    """The FIX websocket server on a free loopback port; yields its ws:// URL."""
    server = FixServer(acceptor)
    port = await server.start("127.0.0.1", 0)
    try:
        yield f"ws://127.0.0.1:{port}/fix"
    finally:
        await server.close()
        acceptor.store.close()


class RecordingTransport:
    """A session's transport for unit tests: keeps what was sent and whether it closed."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.closed = False

    def send(self, frame: bytes) -> None:
        assert not self.closed, "sent after close"
        self.frames.append(frame)

    def close(self) -> None:
        self.closed = True

    def take(self) -> list[Message]:
        """The messages sent since the last take, parsed."""
        messages = [parse(frame, DICTIONARY.data_length) for frame in self.frames]
        self.frames.clear()
        return messages


def inbound(
    msg_type: str,
    seq: int,
    *fields: tuple[int, str],
    now: int,
    sender: str = MEMBER,
    target: str = GATEWAY,
) -> bytes:
    """A well-formed frame from a member, sent at `now`."""
    message = Message.of(
        msg_type,
        (tags.MSG_SEQ_NUM, str(seq)),
        (tags.SENDER_COMP_ID, sender),
        (tags.SENDING_TIME, format_utc_timestamp(now)),
        (tags.TARGET_COMP_ID, target),
        *fields,
    )
    return encode(message, DICTIONARY.begin_string)


def logon(seq: int, now: int, heartbeat: int = 30, *fields: tuple[int, str], **kw: str) -> bytes:
    return inbound(
        MsgType.LOGON,
        seq,
        (tags.ENCRYPT_METHOD, "0"),
        (tags.HEART_BT_INT, str(heartbeat)),
        *fields,
        now=now,
        **kw,
    )


WAIT_S = 10.0


class SimpleFixMember:
    """A member's side of the session, built on simplefix."""

    def __init__(
        self,
        connection: ClientConnection,
        comp_id: str = MEMBER,
        seq: int = 1,
        gateway: str = GATEWAY,
    ):
        self.connection = connection
        self.comp_id = comp_id
        self.seq = seq
        self.gateway = gateway

    async def send(self, msg_type: str, *fields: tuple[int, str]) -> None:
        message = simplefix.FixMessage()
        message.append_pair(8, "FIX.4.4")
        message.append_pair(35, msg_type)
        message.append_pair(34, self.seq)
        message.append_pair(49, self.comp_id)
        message.append_utc_timestamp(52, precision=3)
        message.append_pair(56, self.gateway)
        for tag, value in fields:
            message.append_pair(tag, value)
        self.seq += 1
        await self.connection.send(message.encode().decode())

    async def receive(self) -> simplefix.FixMessage:
        frame = await asyncio.wait_for(self.connection.recv(), WAIT_S)
        parser = simplefix.FixParser()
        parser.append_buffer(frame.encode() if isinstance(frame, str) else frame)
        message = parser.get_message()
        assert message is not None, f"not a FIX message: {frame!r}"
        return message

    async def closed(self) -> bool:
        try:
            await asyncio.wait_for(self.connection.recv(), WAIT_S)
        except ConnectionClosed:
            return True
        return False


def text(message: simplefix.FixMessage, tag: int) -> str | None:
    value = message.get(tag)
    return None if value is None else value.decode()

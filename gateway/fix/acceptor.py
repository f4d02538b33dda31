"""The acceptor: everything the sessions share (dictionary, store, authenticator,
application) and the register of who is logged on, so a second connection for a logged-on
member is refused and messages for a member reach its live session or wait in the store.

It also holds back what the sessions send (frames, and the closing of a connection, in
order) until the store has committed: inside an event loop that happens once at the end of
the loop's turn, for every session at once, so one transaction covers a whole batch of
orders and execution reports; outside one (unit tests), at once.
"""

import asyncio
import time
from collections.abc import Callable

from gateway.fix import tags
from gateway.fix.application import Application, Authenticator, SessionId
from gateway.fix.codec import encode_fields
from gateway.fix.dictionary import Dictionary
from gateway.fix.logon_throttle import FailedLogonThrottle
from gateway.fix.message import Message
from gateway.fix.password_checks import PasswordChecks, Unheard
from gateway.fix.session import Session, SessionSettings, Transport
from gateway.fix.store import SessionKey, SessionStore
from gateway.fix.timestamps import format_utc_timestamp
from gateway.fix.validation import Validator

# Header fields the session itself writes on every outbound message.
_STAMPED = frozenset(
    {
        tags.BEGIN_STRING,
        tags.BODY_LENGTH,
        tags.MSG_TYPE,
        tags.MSG_SEQ_NUM,
        tags.SENDER_COMP_ID,
        tags.SENDING_TIME,
        tags.TARGET_COMP_ID,
        tags.POSS_DUP_FLAG,
        tags.ORIG_SENDING_TIME,
        tags.CHECK_SUM,
    }
)


# Market data is stale by the time a member asks for it again: a resend would corrupt the
# book the member rebuilt since, so these are gap-filled like admin messages (and a member
# recovers with a fresh snapshot).
_STALE = frozenset({"W", "X", "Y"})


class Acceptor:
    def __init__(
        self,
        *,
        settings: SessionSettings,
        dictionary: Dictionary,
        store: SessionStore,
        authenticator: Authenticator,
        application: Application,
        throttle: FailedLogonThrottle,
        trading_day: Callable[[int], str],
        clock: Callable[[], int] = time.time_ns,
        password_checks: PasswordChecks | None = None,
    ):
        self.settings = settings
        self.dictionary = dictionary
        self.validator = Validator(dictionary)
        self.store = store
        self.authenticator = authenticator
        self.application = application
        self.throttle = throttle
        self._trading_day = trading_day
        self._clock = clock
        self._header_tags = frozenset(dictionary.header.tags)
        self._not_body = self._header_tags | dictionary.trailer.tags
        self._unkept = _STALE | {t for t, m in dictionary.messages.items() if m.admin}
        self._active: dict[SessionId, Session] = {}
        self._held: list[tuple[Transport, bytes | None]] = []  # None: close the transport
        self._flush_due = False
        self.password_checks = password_checks or PasswordChecks(throttle, clock=clock)

    def open(self, transport: Transport, peer: str, now: int) -> Session:
        """A new connection: a session that waits for its Logon."""
        return Session(self, transport, peer, now)

    def claim(self, session_id: SessionId, session: Session) -> bool:
        """Bind `session_id` to `session`; False when another connection holds it."""
        if session_id in self._active:
            return False
        self._active[session_id] = session
        return True

    def release(self, session_id: SessionId, session: Session) -> None:
        if self._active.get(session_id) is session:
            del self._active[session_id]

    def is_logged_on(self, session_id: SessionId) -> bool:
        session = self._active.get(session_id)
        return session is not None and session.logged_on

    def session_key(self, session_id: SessionId, now: int) -> SessionKey:
        return SessionKey(session_id.gateway, session_id.member, self._trading_day(now))

    def send(self, session_id: SessionId, message: Message) -> int:
        """Outbox: to the live session, or sequenced and kept for the member's next logon."""
        now = self._clock()
        session = self._active.get(session_id)
        if session is not None and session.logged_on:
            return session.send(message, now)
        seq, _ = self.seal(self.session_key(session_id, now), message, now)
        self.settle()
        return seq

    def logout(self, session_id: SessionId, text: str) -> bool:
        session = self._active.get(session_id)
        if session is None or not session.logged_on:
            return False
        session.log_out(text, self._clock())
        return True

    def seal(self, key: SessionKey, message: Message, now: int) -> tuple[int, bytes]:
        """Stamp the header with the next MsgSeqNum, keep the frame, and return both."""
        seq = self.store.next_numbers(key)[0]
        msg_type = message.msg_type
        header = [
            (tags.MSG_TYPE, msg_type),
            (tags.MSG_SEQ_NUM, str(seq)),
            (tags.SENDER_COMP_ID, key.sender),
            (tags.SENDING_TIME, format_utc_timestamp(now)),
            (tags.TARGET_COMP_ID, key.target),
        ]
        body = []
        header_tags, not_body = self._header_tags, self._not_body
        for field in message.fields:
            if field[0] not in not_body:
                body.append(field)
            elif field[0] in header_tags and field[0] not in _STAMPED:
                header.append(field)
        frame = encode_fields(header + body, self.dictionary.begin_string)
        kept = msg_type not in self._unkept
        self.store.record_sent(key, seq, frame if kept else None)
        return seq, frame

    def later(self, step: Callable[[int], None]) -> None:
        """`step(now)` on the loop's next turn, then the usual flush; at once outside one."""

        def run() -> None:
            step(self._clock())
            self.settle()

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            run()
            return
        self.settle()  # what this turn sent goes out before the next step adds to it
        loop.call_soon(run)

    def verify(
        self, peer: str, check: Callable[[], bool], done: Callable[[bool | None], None]
    ) -> None:
        """`check` off the loop, `done` with its verdict back on it (None: refused unheard);
        at once outside a loop, as in unit tests."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            try:
                done(self.password_checks.check_now(peer, check))
            except Unheard:
                done(None)
            return

        def checked(finished: asyncio.Future) -> None:
            done(None if isinstance(finished.exception(), Unheard) else finished.result())

        asyncio.ensure_future(self.password_checks.check(peer, check)).add_done_callback(checked)

    def transmit(self, transport: Transport, frame: bytes | None) -> None:
        """Send `frame` (None: close the transport) once what came before it is stored."""
        self._held.append((transport, frame))

    def settle(self) -> None:
        """Called when a session has done its work: flush at the end of this event-loop
        turn (once however many sessions worked in it), or at once outside a loop."""
        if self._flush_due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_due = True
        loop.call_soon(self.flush)

    def flush(self) -> None:
        """Commit the store, then let the held frames go, in the order they were sent."""
        self._flush_due = False
        self.store.commit()
        held, self._held = self._held, []
        for transport, frame in held:
            if frame is None:
                transport.close()
            else:
                transport.send(frame)

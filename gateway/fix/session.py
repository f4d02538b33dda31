"""One member connection as a FIX 4.4 acceptor session: logon, sequencing, heartbeats,
resends and logout, following the QuickFIX acceptance suite's reading of the standard.

Transport-independent and clock-free: frames come in through `on_frame`, time passes only
through the `now` (ns since the epoch, UTC) given to each call, and everything goes out
through the `Transport`. The websocket endpoint drives it; unit tests drive it directly.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar, Protocol

from gateway.fix import tags
from gateway.fix.application import Admission, Application, Authenticator, SessionId
from gateway.fix.codec import GarbledFrame, encode, parse, possible_duplicate
from gateway.fix.dictionary import Dictionary
from gateway.fix.logon_throttle import FailedLogonThrottle
from gateway.fix.message import Message
from gateway.fix.store import SessionKey, SessionStore
from gateway.fix.tags import MsgType
from gateway.fix.timestamps import NS_PER_SECOND, format_utc_timestamp
from gateway.fix.validation import Rejection, SessionRejectReason, Validator

log = logging.getLogger(__name__)

TEST_REQUEST_ID = "TEST"
_BAD_CREDENTIALS = "Logon rejected: unknown CompID or bad credentials"
_OVER_RATE = "ResendRequest over the session's message rate: not served; ask again later"
# A Logon refused for one of these hears why (a number too long, say) before the
# connection closes; for the others the acceptance suite expects a plain disconnect.
_TOLD_BEFORE_LOGON = frozenset(
    {SessionRejectReason.VALUE_IS_INCORRECT, SessionRejectReason.INCORRECT_DATA_FORMAT}
)


@dataclass(frozen=True, slots=True)
class SessionSettings:
    comp_id: str  # ours: the TargetCompID members address
    max_sending_time_skew_s: float = 120.0
    logon_timeout_s: float = 10.0  # a connection must log on within this
    logout_timeout_s: float = 2.0  # how long we wait for the member to confirm our Logout
    min_heartbeat_s: int = 1
    max_heartbeat_s: int = 3600
    # Real seconds per HeartBtInt second: tests shrink it so timer scenarios run quickly.
    timer_scale: float = 1.0
    # QuickFIX's ResetOnDisconnect, for the acceptance suite only: members keep their
    # sequence across reconnects within the trading day.
    reset_on_disconnect: bool = False
    max_frame_bytes: int = 16_384  # larger frames are garbled: no FIX 4.4 message needs more
    max_queued: int = 1_000  # messages held while a gap is being filled
    resend_slice: int = 256  # stored messages resent per event-loop turn


class Transport(Protocol):
    def send(self, frame: bytes) -> None: ...

    def close(self) -> None: ...


class SessionHost(Protocol):
    """What a session needs from whoever accepts connections (the Acceptor): the shared
    parts, and the calls that touch other sessions or the outbound store. The session
    depends on this, not on the Acceptor, so the dependency runs one way."""

    settings: SessionSettings
    dictionary: Dictionary
    validator: Validator
    store: SessionStore
    authenticator: Authenticator
    application: Application
    throttle: FailedLogonThrottle

    def claim(self, session_id: SessionId, session: "Session") -> bool: ...

    def release(self, session_id: SessionId, session: "Session") -> None: ...

    def session_key(self, session_id: SessionId, now: int) -> SessionKey: ...

    def seal(self, key: SessionKey, message: Message, now: int) -> tuple[int, bytes]: ...

    def transmit(self, transport: Transport, frame: bytes | None) -> None: ...

    def settle(self) -> None: ...

    def later(self, step: Callable[[int], None]) -> None:
        """Call `step(now)` on a later turn of the event loop (at once outside a loop), so
        long work yields to other sessions between its slices."""
        ...

    def verify(
        self, peer: str, check: Callable[[], bool], done: Callable[[bool | None], None]
    ) -> None:
        """Run the password `check` off the event loop, after `peer`'s earlier ones, and
        call `done` with its verdict on it (None: refused unheard, `peer` throttled or too
        many checks waiting). A False verdict is recorded as a failed logon of `peer`."""
        ...


class State(Enum):
    AWAITING_LOGON = "awaiting logon"
    AUTHENTICATING = "authenticating"  # the Logon's password is being checked, off the loop
    ACTIVE = "active"
    LOGOUT_SENT = "logout sent"
    CLOSED = "closed"


class Session:
    def __init__(self, acceptor: SessionHost, transport: Transport, peer: str, now: int):
        self._acceptor = acceptor
        self._settings = acceptor.settings
        self._transport = transport
        self.peer = peer
        self.state = State.AWAITING_LOGON
        self.session_id: SessionId | None = None
        self._key: SessionKey | None = None
        self._next_target = 1
        self._queue: dict[int, Message | None] = {}  # None: counted, already acted on
        self._resend_range: tuple[int, int] | None = None
        self._heartbeat_ns = 0
        self._last_sent = now
        self._last_received = now
        self._test_requests = 0
        self._logon_deadline = now + int(self._settings.logon_timeout_s * NS_PER_SECOND)
        self._logout_deadline: int | None = None
        self._early: list[tuple[bytes, int]] = []  # frames that came while authenticating

    # ---- inputs -------------------------------------------------------------------------

    def on_frame(self, frame: bytes, now: int) -> None:
        self._on_frame(frame, now)
        self._acceptor.settle()

    def on_timer(self, now: int) -> None:
        self._on_timer(now)
        self._acceptor.settle()

    def _on_frame(self, frame: bytes, now: int) -> None:
        if self.state is State.CLOSED:
            return
        if self.state is State.AUTHENTICATING:
            if len(self._early) >= self._settings.max_queued:
                self._disconnect("too many messages before the Logon was answered")
            else:
                self._early.append((frame, now))
            return
        try:
            if len(frame) > self._settings.max_frame_bytes:
                raise GarbledFrame(f"{len(frame)} bytes, over {self._settings.max_frame_bytes}")
            message = parse(frame, self._acceptor.dictionary.data_length)
        except GarbledFrame as garbled:
            log.info("%s: garbled frame ignored: %s", self._name, garbled)
            if self.state is State.AWAITING_LOGON:
                self._disconnect("the first frame was not a Logon")
            return
        self._last_received = now
        self._test_requests = 0
        if self.state is State.AWAITING_LOGON:
            self._on_logon_attempt(message, now)
        else:
            self._process(message, now)
        self._drain_queue(now)

    def _on_timer(self, now: int) -> None:
        if self.state is State.CLOSED:
            return
        if self.state in (State.AWAITING_LOGON, State.AUTHENTICATING):
            if now >= self._logon_deadline:
                self._disconnect("no Logon within the logon timeout")
            return
        if self._logout_deadline is not None and now >= self._logout_deadline:
            self._disconnect("the member did not confirm our Logout")
            return
        if now >= self._silence_limit():
            self._disconnect("timed out waiting for a heartbeat")
        elif now >= self._test_request_due():
            self._send(Message.of(MsgType.TEST_REQUEST, (tags.TEST_REQ_ID, TEST_REQUEST_ID)), now)
            self._test_requests += 1
        elif (heartbeat_due := self._heartbeat_due()) is not None and now >= heartbeat_due:
            self._send(Message.of(MsgType.HEARTBEAT), now)

    def next_deadline(self) -> int | None:
        """When `on_timer` next has something to do; None once closed."""
        if self.state is State.CLOSED:
            return None
        if self.state in (State.AWAITING_LOGON, State.AUTHENTICATING):
            return self._logon_deadline
        deadlines = [self._silence_limit(), self._test_request_due()]
        if (heartbeat_due := self._heartbeat_due()) is not None:
            deadlines.append(heartbeat_due)
        if self._logout_deadline is not None:
            deadlines.append(self._logout_deadline)
        return min(deadlines)

    def on_disconnect(self) -> None:
        """The connection is gone (the member closed it or the network failed)."""
        self._disconnect("connection closed")
        self._acceptor.settle()

    def send(self, message: Message, now: int) -> int:
        """Send an application message on this logged-on session; returns its MsgSeqNum."""
        seq = self._send(message, now)
        self._acceptor.settle()
        return seq

    def log_out(self, text: str, now: int) -> None:
        """Ask the member to log out; the connection closes on its answer or the timeout."""
        self._logout(now, text)
        self._acceptor.settle()

    @property
    def logged_on(self) -> bool:
        return self.state in (State.ACTIVE, State.LOGOUT_SENT)

    # ---- logon --------------------------------------------------------------------------

    def _on_logon_attempt(self, message: Message, now: int) -> None:
        acceptor = self._acceptor
        if message.msg_type != MsgType.LOGON:
            self._disconnect(f"first message is MsgType {message.msg_type!r}, not a Logon")
            return
        if message.get(tags.BEGIN_STRING) != acceptor.dictionary.begin_string:
            self._disconnect(f"Logon with BeginString {message.get(tags.BEGIN_STRING)!r}")
            return
        rejection = acceptor.validator.validate(message)
        if rejection is not None:
            explanation = f"invalid Logon: {rejection.explanation} (tag {rejection.tag})"
            if rejection.reason in _TOLD_BEFORE_LOGON:
                member = message.get(tags.SENDER_COMP_ID) or ""
                logout = self._unsequenced_logout(member, now, explanation)
                acceptor.transmit(self._transport, logout)
            self._disconnect(explanation)
            return
        if message.get(tags.TARGET_COMP_ID) != self._settings.comp_id:
            self._disconnect(f"Logon addressed to {message.get(tags.TARGET_COMP_ID)!r}")
            return
        member = message.get(tags.SENDER_COMP_ID) or ""
        if acceptor.throttle.blocked(self.peer, now):
            log.warning("%s: logon as %r refused unheard: too many failures", self.peer, member)
            self._disconnect("failed logons rate-limited")
            return
        username, password = message.get(tags.USERNAME), message.get(tags.PASSWORD)
        self.state = State.AUTHENTICATING
        acceptor.verify(
            self.peer,
            lambda: acceptor.authenticator.authenticate(member, username, password),
            lambda verdict: self._on_verified(message, verdict, now),
        )

    def _on_verified(self, message: Message, verdict: bool | None, now: int) -> None:
        """The Logon's password check is done (scrypt, tens of ms: off the event loop)."""
        if self.state is not State.AUTHENTICATING:
            return  # the connection went in the meantime
        self.state = State.AWAITING_LOGON
        self._log_on(message, verdict, now)
        self._drain_queue(now)
        early, self._early = self._early, []
        for frame, arrived in early:
            self._on_frame(frame, arrived)
        self._acceptor.settle()

    def _log_on(self, message: Message, verdict: bool | None, now: int) -> None:
        acceptor = self._acceptor
        member = message.get(tags.SENDER_COMP_ID) or ""
        if verdict is None:
            log.warning("%s: logon as %r refused unheard: too many failures", self.peer, member)
            self._disconnect("failed logons rate-limited")
            return
        if not verdict:
            log.warning(
                "%s: failed logon as %r (username %r)",
                self.peer,
                member,
                message.get(tags.USERNAME),
            )
            logout = self._unsequenced_logout(member, now, _BAD_CREDENTIALS)
            self._acceptor.transmit(self._transport, logout)
            self._disconnect("failed logon")
            return
        session_id = SessionId(member=member, gateway=self._settings.comp_id)
        if not acceptor.claim(session_id, self):
            self._disconnect(f"{member} is already logged on")
            return
        self.session_id = session_id
        self._key = acceptor.session_key(session_id, now)
        reset = message.get_flag(tags.RESET_SEQ_NUM_FLAG)
        if reset:
            acceptor.store.reset(self._key)
        self._next_target = acceptor.store.next_numbers(self._key)[1]
        self._accept_logon(message, reset, now)

    def _accept_logon(self, message: Message, reset: bool, now: int) -> None:
        settings = self._settings
        heartbeat = message.get_int(tags.HEART_BT_INT) or 0
        seq = message.seq_num or 0
        if not settings.min_heartbeat_s <= heartbeat <= settings.max_heartbeat_s:
            refusal = f"HeartBtInt must be {settings.min_heartbeat_s} to {settings.max_heartbeat_s}"
        elif not self._sending_time_accurate(message, now):
            refusal = SessionRejectReason.SENDINGTIME_ACCURACY_PROBLEM.text
        elif seq < self._next_target:
            refusal = f"MsgSeqNum too low, expecting {self._next_target} but received {seq}"
        else:
            refusal = ""
        if refusal:
            log.warning("%s: logon refused: %s", self._name, refusal)
            self._send(Message.of(MsgType.LOGOUT, (tags.TEXT, refusal)), now)
            self._disconnect(refusal)
            return
        self.state = State.ACTIVE
        self._heartbeat_ns = int(heartbeat * settings.timer_scale * NS_PER_SECOND)
        reply = Message.of(
            MsgType.LOGON, (tags.ENCRYPT_METHOD, "0"), (tags.HEART_BT_INT, str(heartbeat))
        )
        if reset:
            reply.set(tags.RESET_SEQ_NUM_FLAG, "Y")
        self._send(reply, now)
        log.info("%s: logged on", self._name)
        self._acceptor.application.on_logon(self._session_id)
        if seq > self._next_target:
            self._on_gap(seq, None, now)
        else:
            self._advance()

    # ---- inbound processing -------------------------------------------------------------

    def _process(self, message: Message, now: int) -> None:
        if self.state is State.CLOSED:
            return
        msg_type = message.msg_type
        if message.get(tags.BEGIN_STRING) != self._acceptor.dictionary.begin_string:
            if msg_type == MsgType.LOGOUT:
                self._on_logout(message, now)
            else:
                self._advance_if_expected(message)
                self._logout(now, "Incorrect BeginString")
            return
        rejection = self._acceptor.validator.validate(message)
        if rejection is not None:
            self._reject(message, rejection, now)
            return
        handler = self._admin_handlers.get(msg_type)
        if handler is not None:
            handler(self, message, now)
        elif self._verify(message, now):
            self._advance()
            application = self._acceptor.application
            for reply in application.on_message(self._session_id, message, now):
                self._send(reply, now)

    def _verify(self, message: Message, now: int, high: bool = True, low: bool = True) -> bool:
        """The checks every message passes before it counts; False when it was dealt with."""
        if not self._sending_time_accurate(message, now):
            self._reject(message, Rejection(SessionRejectReason.SENDINGTIME_ACCURACY_PROBLEM), now)
            self._logout(now)
            return False
        session_id = self._session_id
        if (
            message.get(tags.SENDER_COMP_ID) != session_id.member
            or message.get(tags.TARGET_COMP_ID) != session_id.gateway
        ):
            self._reject(message, Rejection(SessionRejectReason.COMPID_PROBLEM), now)
            self._logout(now)
            return False
        seq = message.seq_num or 0
        if high and seq > self._next_target:
            self._on_gap(seq, message, now)
            return False
        if low and seq < self._next_target:
            self._on_too_low(message, seq, now)
            return False
        if (high or low) and self._resend_range is not None and seq >= self._resend_range[1]:
            self._resend_range = None
        return True

    def _on_gap(self, seq: int, message: Message | None, now: int) -> None:
        """MsgSeqNum too high: hold the message and ask for what is missing, once."""
        if len(self._queue) >= self._settings.max_queued:
            self._logout(now, "Too many messages ahead of a sequence gap")
            return
        self._queue[seq] = message
        if self._resend_range is not None and seq >= self._resend_range[0]:
            return
        self._resend_range = (self._next_target, seq - 1)
        self._send(
            Message.of(
                MsgType.RESEND_REQUEST,
                (tags.BEGIN_SEQ_NO, str(self._next_target)),
                (tags.END_SEQ_NO, "0"),
            ),
            now,
        )

    def _on_too_low(self, message: Message, seq: int, now: int) -> None:
        if not message.get_flag(tags.POSS_DUP_FLAG):
            text = f"MsgSeqNum too low, expecting {self._next_target} but received {seq}"
            self._send(Message.of(MsgType.LOGOUT, (tags.TEXT, text)), now)
            self._disconnect(text)
            return
        if message.msg_type == MsgType.SEQUENCE_RESET:
            return
        original = message.get_timestamp(tags.ORIG_SENDING_TIME)
        if original is None:
            missing = Rejection(SessionRejectReason.REQUIRED_TAG_MISSING, tags.ORIG_SENDING_TIME)
            self._reject(message, missing, now)
        elif original > (message.get_timestamp(tags.SENDING_TIME) or 0):
            self._reject(message, Rejection(SessionRejectReason.SENDINGTIME_ACCURACY_PROBLEM), now)
            self._logout(now)

    def _drain_queue(self, now: int) -> None:
        while self.logged_on:
            for seq in [seq for seq in self._queue if seq < self._next_target]:
                del self._queue[seq]
            if self._next_target not in self._queue:
                break
            message = self._queue.pop(self._next_target)
            if message is None:
                self._advance()
            else:
                self._process(message, now)
        if self._resend_range is not None and self._next_target > self._resend_range[1]:
            self._resend_range = None

    # ---- admin messages -----------------------------------------------------------------

    def _on_heartbeat(self, message: Message, now: int) -> None:
        if self._verify(message, now):
            self._advance()

    def _on_test_request(self, message: Message, now: int) -> None:
        if self._verify(message, now):
            test_request_id = message.get(tags.TEST_REQ_ID) or ""
            self._send(Message.of(MsgType.HEARTBEAT, (tags.TEST_REQ_ID, test_request_id)), now)
            self._advance()

    def _on_resend_request(self, message: Message, now: int) -> None:
        """Answered whatever its MsgSeqNum, so two sides with gaps cannot wait on each other."""
        if not self._verify(message, now, high=False, low=False):
            return
        admission = self._acceptor.application.admit(self._session_id, now)
        if admission is Admission.LOGOUT:
            self._logout(now, "message rate far above the limit", disconnect=True)
            return
        if admission is Admission.REJECT:
            self._reject(message, Rejection(SessionRejectReason.OTHER, text=_OVER_RATE), now)
            return
        begin = message.get_int(tags.BEGIN_SEQ_NO) or 0
        end = message.get_int(tags.END_SEQ_NO) or 0
        self._resend(begin, end, now)
        seq = message.seq_num or 0
        if seq == self._next_target:
            self._advance()
        elif seq > self._next_target:
            self._on_gap(seq, None, now)

    def _on_reject(self, message: Message, now: int) -> None:
        if self._verify(message, now):
            refused = message.get(tags.REF_SEQ_NUM)
            log.info("%s: the member rejected our message %s", self._name, refused)
            self._advance()

    def _on_sequence_reset(self, message: Message, now: int) -> None:
        gap_fill = message.get_flag(tags.GAP_FILL_FLAG)
        if not self._verify(message, now, high=gap_fill, low=gap_fill):
            return
        new_seq = message.get_int(tags.NEW_SEQ_NO) or 0
        if new_seq > self._next_target:
            self._set_next_target(new_seq)
        elif new_seq < self._next_target:
            self._reject(message, Rejection(SessionRejectReason.VALUE_IS_INCORRECT), now)

    def _on_logout(self, message: Message, now: int) -> None:
        if not self._verify(message, now, high=False, low=False):
            return
        self._advance_if_expected(message)
        if self.state is State.LOGOUT_SENT:
            self._disconnect("Logout confirmed")
        else:
            self._send(Message.of(MsgType.LOGOUT), now)
            self._disconnect("Logout requested by the member")

    def _on_logon(self, message: Message, now: int) -> None:
        if not message.get_flag(tags.RESET_SEQ_NUM_FLAG):
            self._logout(now, "Logon received on a logged-on session", disconnect=True)
            return
        self._acceptor.store.reset(self._store_key)
        self._next_target = 1
        self._queue.clear()
        self._resend_range = None
        if self._verify(message, now, high=False):
            reply = Message.of(
                MsgType.LOGON,
                (tags.ENCRYPT_METHOD, "0"),
                (tags.HEART_BT_INT, message.get(tags.HEART_BT_INT) or "0"),
                (tags.RESET_SEQ_NUM_FLAG, "Y"),
            )
            self._send(reply, now)
            self._advance()

    _admin_handlers: ClassVar[dict[str, Callable[["Session", Message, int], None]]] = {
        MsgType.HEARTBEAT: _on_heartbeat,
        MsgType.TEST_REQUEST: _on_test_request,
        MsgType.RESEND_REQUEST: _on_resend_request,
        MsgType.REJECT: _on_reject,
        MsgType.SEQUENCE_RESET: _on_sequence_reset,
        MsgType.LOGOUT: _on_logout,
        MsgType.LOGON: _on_logon,
    }

    # ---- outbound -----------------------------------------------------------------------

    def _send(self, message: Message, now: int) -> int:
        seq, frame = self._acceptor.seal(self._store_key, message, now)
        self._transmit(frame, now)
        return seq

    def _transmit(self, frame: bytes, now: int) -> None:
        self._acceptor.transmit(self._transport, frame)
        self._last_sent = now

    def _reject(self, message: Message, rejection: Rejection, now: int) -> None:
        """Reject(3), routed back the way the message came; it still counts, as QuickFIX has it."""
        reject = Message.of(MsgType.REJECT)
        for tag, value in message.fields:
            if tag in tags.REVERSE_ROUTE and value:
                reject.fields.append((tags.REVERSE_ROUTE[tag], value))
        seq = message.seq_num
        if seq is not None:
            reject.fields.append((tags.REF_SEQ_NUM, str(seq)))
        reject.fields.append((tags.TEXT, rejection.explanation))
        if rejection.tag is not None:
            reject.fields.append((tags.REF_TAG_ID, str(rejection.tag)))
        if message.msg_type:
            reject.fields.append((tags.REF_MSG_TYPE, message.msg_type))
        reject.fields.append((tags.SESSION_REJECT_REASON, str(int(rejection.reason))))
        log.info(
            "%s: rejected message %s: %s (tag %s)",
            self._name,
            seq,
            rejection.explanation,
            rejection.tag,
        )
        if message.msg_type not in (MsgType.LOGON, MsgType.SEQUENCE_RESET):
            self._advance_if_expected(message)
        self._send(reject, now)

    def _logout(self, now: int, text: str = "", disconnect: bool = False) -> None:
        """Start the Logout handshake: the member has logout_timeout_s to confirm."""
        if self.state is State.ACTIVE:
            logout = Message.of(MsgType.LOGOUT)
            if text:
                logout.set(tags.TEXT, text)
            self._send(logout, now)
            self.state = State.LOGOUT_SENT
            self._logout_deadline = now + int(self._settings.logout_timeout_s * NS_PER_SECOND)
        if disconnect:
            self._disconnect(text)

    def _resend(self, begin: int, end: int, now: int) -> None:
        """Resend kept application messages as PossDup; gap-fill over everything else."""
        last_sent = self._acceptor.store.next_numbers(self._store_key)[0] - 1
        begin = max(begin, 1)
        end = last_sent if end == 0 or end > last_sent else end
        self._resend_slice(begin, end, now)

    def _resend_slice(self, begin: int, end: int, now: int) -> None:
        """`begin`..`end`, one slice now and the rest on later loop turns."""
        if not self.logged_on:
            return
        stop = min(end, begin + self._settings.resend_slice - 1)
        kept = self._acceptor.store.sent(self._store_key, begin, stop)
        sending_time = format_utc_timestamp(now)
        gap_start: int | None = None
        for seq in range(begin, stop + 1):
            frame = kept.get(seq)
            if frame is None:
                gap_start = seq if gap_start is None else gap_start
                continue
            if gap_start is not None:
                self._gap_fill(gap_start, seq, now)
                gap_start = None
            self._transmit(possible_duplicate(frame, sending_time), now)
        if gap_start is not None:
            self._gap_fill(gap_start, stop + 1, now)
        if stop < end:
            self._acceptor.later(lambda later: self._resend_slice(stop + 1, end, later))

    def _gap_fill(self, seq: int, new_seq: int, now: int) -> None:
        sending_time = format_utc_timestamp(now)
        gap_fill = Message.of(
            MsgType.SEQUENCE_RESET,
            (tags.MSG_SEQ_NUM, str(seq)),
            (tags.SENDER_COMP_ID, self._store_key.sender),
            (tags.SENDING_TIME, sending_time),
            (tags.TARGET_COMP_ID, self._store_key.target),
            (tags.POSS_DUP_FLAG, "Y"),
            (tags.ORIG_SENDING_TIME, sending_time),
            (tags.GAP_FILL_FLAG, "Y"),
            (tags.NEW_SEQ_NO, str(new_seq)),
        )
        self._transmit(encode(gap_fill, self._acceptor.dictionary.begin_string), now)

    def _unsequenced_logout(self, member: str, now: int, text: str) -> bytes:
        """The answer to a failed logon: outside any session, so it takes no sequence number."""
        logout = Message.of(
            MsgType.LOGOUT,
            (tags.MSG_SEQ_NUM, "1"),
            (tags.SENDER_COMP_ID, self._settings.comp_id),
            (tags.SENDING_TIME, format_utc_timestamp(now)),
            (tags.TARGET_COMP_ID, member),
            (tags.TEXT, text),
        )
        return encode(logout, self._acceptor.dictionary.begin_string)

    # ---- timers: QuickFIX's factors, so a member tuned against it sees the same ------------

    def _silence_limit(self) -> int:
        """2.4 heartbeat intervals without a word from the member: the line is dead."""
        return self._last_received + self._heartbeat_ns * 24 // 10

    def _test_request_due(self) -> int:
        """1.2 intervals of silence, and 1.2 more after each unanswered TestRequest."""
        return self._last_received + self._heartbeat_ns * 12 * (self._test_requests + 1) // 10

    def _heartbeat_due(self) -> int | None:
        """An interval after our last message, unless a TestRequest is still unanswered."""
        return self._last_sent + self._heartbeat_ns if self._test_requests == 0 else None

    # ---- bookkeeping --------------------------------------------------------------------

    def _sending_time_accurate(self, message: Message, now: int) -> bool:
        sending_time = message.get_timestamp(tags.SENDING_TIME)
        skew = int(self._settings.max_sending_time_skew_s * NS_PER_SECOND)
        return sending_time is not None and abs(now - sending_time) <= skew

    def _advance(self) -> None:
        self._set_next_target(self._next_target + 1)

    def _advance_if_expected(self, message: Message) -> None:
        if message.seq_num == self._next_target:
            self._advance()

    def _set_next_target(self, seq: int) -> None:
        self._next_target = seq
        self._acceptor.store.set_next_target(self._store_key, seq)

    def _disconnect(self, reason: str) -> None:
        if self.state is State.CLOSED:
            return
        was_logged_on = self.logged_on
        self.state = State.CLOSED
        log.info("%s: disconnecting: %s", self._name, reason)
        self._acceptor.transmit(self._transport, None)
        if self.session_id is not None:
            self._acceptor.release(self.session_id, self)
            if was_logged_on:
                self._acceptor.application.on_logout(self.session_id)
            if self._settings.reset_on_disconnect and self._key is not None:
                self._acceptor.store.reset(self._key)

    @property
    def _session_id(self) -> SessionId:
        assert self.session_id is not None, "only called once logged on"
        return self.session_id

    @property
    def _store_key(self) -> SessionKey:
        assert self._key is not None, "only called once logged on"
        return self._key

    @property
    def _name(self) -> str:
        return f"{self.peer} {self.session_id.member if self.session_id else '(no logon)'}"

"""The member gateway's wiring: FIX sessions on one side, the engine on the other.

The session layer (gateway/fix) hands each logged-on member's application message here;
the member application (gateway/trading/member_application.py) vets it (rate limit, session type)
and turns it into an engine command or an immediate answer, except MarketDataRequest (V),
which the FIX market data (gateway/trading/market_data.py) answers and then follows. The
engine's events come back through the gateway service, become execution reports, and go
out through the acceptor, which sequences and stores each one, so a member that was away
recovers it with a ResendRequest.

Events are replayed from the start of the day when the gateway starts (to rebuild the
order views); the last event already turned into reports is remembered on disk, written
only once the reports are in the session store, so a restart never sends a report twice.
"""

import asyncio
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from engine.commands import Command
from engine.events import AccountOpened, Event
from gateway.clock import Clock
from gateway.fix.application import Admission, SessionId
from gateway.fix.message import Message
from gateway.members import Directory, LogonRefused
from gateway.trading.app_messages import AppMessage
from gateway.trading.execution_reports import Delivery
from gateway.trading.gateway_service import GatewayService
from gateway.trading.market_data import FixMarketData
from gateway.trading.member_application import MemberApplication
from gateway.trading.throttle import Verdict

log = logging.getLogger("tcx.gateway.fix")


_ADMISSION = {
    Verdict.PASS: Admission.PASS,
    Verdict.REJECT: Admission.REJECT,
    Verdict.LOGOUT: Admission.LOGOUT,
}


class FixBridge:
    """Implements the session layer's Authenticator and Application."""

    def __init__(
        self,
        members: MemberApplication,
        directory: Directory,
        gateway: GatewayService,
        clock: Clock,
        comp_id: str,
        delivered_file: Path,
    ):
        self.members = members
        self.directory = directory
        self.gateway = gateway
        self.clock = clock
        self.comp_id = comp_id
        self.outbox = None  # the Acceptor, set once it exists (it needs us first)
        self.market_data: FixMarketData | None = None  # set with the outbox, which it needs
        self.delivered_seq = _read_seq(delivered_file)
        self._delivered = _SeqFile(delivered_file)
        self._pending: set[asyncio.Task] = set()
        self._unsubmitted: list[Command] = []

    # -- Authenticator ---------------------------------------------------------------------

    def authenticate(self, comp_id: str, username: str | None, password: str | None) -> bool:
        """The session id is the SenderCompID; Username, when sent, must name the same."""
        if username not in (None, comp_id) or password is None:
            return False
        try:
            self.directory.authenticate(comp_id, password)
        except LogonRefused as refused:
            log.warning("FIX logon refused", extra={"reason": str(refused)})
            return False
        return True

    # -- Application ---------------------------------------------------------------------

    def admit(self, session: SessionId, now: int) -> Admission:
        """A ResendRequest takes a token from the session's message rate, as an order does."""
        verdict = self.members.admit(self.directory.sessions[session.member], self.clock.now())
        return _ADMISSION[verdict]

    def on_logon(self, session: SessionId) -> None:
        log.info("member logged on", extra={"session": session.member})

    def on_logout(self, session: SessionId) -> None:
        log.info("member logged off", extra={"session": session.member})
        if self.market_data is not None:
            self.market_data.on_logout(session)
        member_session = self.directory.sessions.get(session.member)
        if member_session is not None:
            cancel = self.members.on_disconnect(member_session, self.clock.now())
            if cancel is not None:
                self._submit([cancel])

    def on_message(self, session: SessionId, message: Message, now: int) -> Sequence[Message]:
        member_session = self.directory.sessions[session.member]
        fields = [(tag, value) for tag, value in message.fields if tag not in _HEADER]
        msg_type, ts = message.msg_type, self.clock.now()
        outcome = self.members.refusal(member_session, msg_type, fields, ts)
        if outcome is None and msg_type == MARKET_DATA_REQUEST:
            assert self.market_data is not None, "wired with the outbox, before any logon"
            return self.market_data.on_request(session, fields)
        if outcome is None:
            outcome = self.members.answer(member_session, msg_type, fields, ts)
        if outcome.command is not None:
            self._submit([outcome.command])
        if outcome.logout and self.outbox is not None:
            self.outbox.logout(session, outcome.logout)
        self._send(outcome.copies)
        replies = [] if outcome.reply is None else [_fix(outcome.reply)]
        if outcome.replies:  # a TradeCaptureReportRequest's ack and its reports
            replies += map(_fix, outcome.replies)
        return replies

    # -- events from the engine -------------------------------------------------------------

    def on_events(self, events: Sequence[Event]) -> None:
        deliveries: list[Delivery] = []
        for event in events:
            if type(event) is AccountOpened and not self.directory.grant_account(
                event.account, event.member
            ):
                log.warning(
                    "account opened for a member the gateway does not know",
                    extra={"account": event.account, "member": event.member},
                )
            found = self.members.on_event(event)
            if found and event.seq > self.delivered_seq:
                deliveries.extend(found)
        self._send(deliveries)
        last = events[-1].seq
        if deliveries and last > self.delivered_seq:
            self.outbox.flush()  # the reports are stored (and sent) before they count
            self.delivered_seq = last
            self._delivered.write(last)

    def _send(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            self.outbox.send(SessionId(delivery.session_id, self.comp_id), _fix(delivery.message))

    def _submit(self, commands: list[Command]) -> None:
        """Gathered over one turn of the event loop and handed to the engine together, at
        its end: one publish for a batch of orders from every session, in arrival order."""
        if not self._unsubmitted:
            asyncio.get_running_loop().call_soon(self._submit_gathered)
        self._unsubmitted.extend(commands)

    def _submit_gathered(self) -> None:
        """Tasks start in the order they were created, so batches stay in order."""
        commands, self._unsubmitted = self._unsubmitted, []
        task = asyncio.get_running_loop().create_task(self.gateway.submit(commands))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)


MARKET_DATA_REQUEST = "V"
_HEADER = frozenset({8, 9, 10, 34, 35, 43, 49, 52, 56, 97, 122})


def _fix(message: AppMessage) -> Message:
    return Message.of(message.msg_type, *message.fields)


def _read_seq(path: Path) -> int:
    try:
        return int(path.read_text())
    except (FileNotFoundError, ValueError):
        return 0


class _SeqFile:
    """One sequence number, rewritten in place as fixed-width text: one small write per
    batch of events rather than a file created and renamed each time."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def write(self, seq: int) -> None:
        os.pwrite(self._fd, b"%020d\n" % seq, 0)

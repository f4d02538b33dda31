"""The member gateway's application layer, whole: what the FIX session layer calls.

Inbound, per application message of a logged-on session: the rate limit, then what the
session's type allows (order entry: D F G q H x V; drop copy: H x; market data: x V), then
the translation into an engine command or an immediate answer. Outbound, per engine event:
the execution reports and the sessions that receive them. Nothing here touches a socket or
a clock, so the same object serves the embedded and the distributed deployments.

MarketDataRequest (V) passes the same gate (`refusal`) and is then answered by the FIX
market data (gateway/trading/market_data.py), to which the bridge routes it; block-trade
reports (AE, AD) go to gateway/trading/block_trade_reports.py. Every other valid message
type is answered with BusinessMessageReject (j), BusinessRejectReason (380) 3.
"""

from typing import NamedTuple

from engine.commands import Command, MassCancel
from engine.events import Event
from engine.orders import MassCancelScope
from engine.reference import ReferenceData
from gateway.members import Directory, Session, SessionType
from gateway.trading.app_messages import AppMessage, Body, Fields, business_reject
from gateway.trading.auction_entry import AuctionEntry
from gateway.trading.auction_reports import AuctionReports
from gateway.trading.block_trade_reports import BlockTradeReports
from gateway.trading.execution_reports import Delivery, ExecutionReports
from gateway.trading.order_entry import OrderEntry
from gateway.trading.order_views import OrderViews
from gateway.trading.security_list import SecurityList
from gateway.trading.tags import Tag
from gateway.trading.throttle import Throttle, Verdict

OTHER, UNSUPPORTED_MESSAGE_TYPE, NOT_AUTHORIZED = 0, 3, 6
DEFAULT_LOGOUT_MULTIPLE = 5

_ALLOWED = {
    SessionType.ORDER_ENTRY: frozenset(["D", "F", "G", "q", "H", "x", "V", "AE", "AD"]),
    SessionType.DROP_COPY: frozenset(["H", "x", "AD"]),
    SessionType.MARKET_DATA: frozenset("xV"),
}
_HANDLED = frozenset().union(*_ALLOWED.values())


class Outcome(NamedTuple):
    command: Command | None = None  # to sequence; its events come back through on_event
    reply: AppMessage | None = None  # to send to the session now
    logout: str = ""  # when not empty: log the session out with this Text
    copies: tuple[Delivery, ...] = ()  # the reply, for the member's drop-copy sessions
    replies: tuple[AppMessage, ...] = ()  # further messages to send after `reply`


class MemberApplication:
    def __init__(
        self,
        directory: Directory,
        reference: ReferenceData,
        logout_multiple: int = DEFAULT_LOGOUT_MULTIPLE,
    ):
        self.directory = directory
        views = OrderViews()
        self.order_entry = OrderEntry(directory, views)
        self.reports = ExecutionReports(directory, views)
        self.security_list = SecurityList(reference)
        self.auction_entry = AuctionEntry(directory)
        self.auction_reports = AuctionReports(directory, self.reports)
        self.blocks = BlockTradeReports(directory, reference, self.reports)
        self.logout_multiple = logout_multiple
        self._throttles: dict[str, Throttle] = {}

    def on_message(self, session: Session, msg_type: str, fields: Fields, ts: int) -> Outcome:
        refusal = self.refusal(session, msg_type, fields, ts)
        return refusal if refusal is not None else self.answer(session, msg_type, fields, ts)

    def refusal(self, session: Session, msg_type: str, fields: Fields, ts: int) -> Outcome | None:
        """The gate every inbound message passes once (it counts against the rate limit):
        the answer when the message is over the limit, of a type not offered, or not for
        this session's type; None when it may be answered."""
        verdict = self._throttle(session, ts).admit(ts)
        if verdict is Verdict.LOGOUT:
            return Outcome(
                logout=f"message rate far above the limit of {session.messages_per_second}/s"
            )
        if verdict is Verdict.REJECT:
            text = f"over the limit of {session.messages_per_second} messages/s: not processed"
            reason = OTHER
        elif msg_type not in _HANDLED:
            text = f"MsgType {msg_type} is not offered by this exchange (see the FIX API guide)"
            reason = UNSUPPORTED_MESSAGE_TYPE
        elif msg_type not in _ALLOWED[session.type]:
            text = f"a {session.type.value} session may not send MsgType {msg_type}"
            reason = NOT_AUTHORIZED
        else:
            return None
        ref_id = Body(fields).get(Tag.ClOrdID)
        return Outcome(reply=business_reject(msg_type, reason, text, ref_id))

    def admit(self, session: Session, ts: int) -> Verdict:
        """An admin message the session layer serves at a cost (a ResendRequest) counts
        against the same rate as the session's application messages."""
        return self._throttle(session, ts).admit(ts)

    def answer(self, session: Session, msg_type: str, fields: Fields, ts: int) -> Outcome:
        """A message that passed `refusal`, other than V."""
        if msg_type == "x":
            return Outcome(reply=self.security_list.answer(fields))
        if msg_type == "H":
            return Outcome(reply=self.reports.order_status(session.member, fields, ts))
        if msg_type == "AD":
            return Outcome(replies=tuple(self.blocks.request(session.member, fields, ts)))
        if msg_type == "AE":
            result = self.blocks.translate(session, fields, ts)
            if not isinstance(result, AppMessage):
                return Outcome(command=result)
            return Outcome(
                reply=result, copies=tuple(self.reports.drop_copies(session.member, result))
            )
        if self.auction_entry.claims(msg_type, fields):
            result = self.auction_entry.translate(session, msg_type, fields, ts)
        else:
            result = self.order_entry.translate(session, msg_type, fields, ts)
        if not isinstance(result, AppMessage):
            return Outcome(command=result)
        if result.msg_type == "j":  # not about an order: nothing to copy
            return Outcome(reply=result)
        copies = self.reports.drop_copies(session.member, result)
        return Outcome(reply=result, copies=tuple(copies))

    def on_event(self, event: Event) -> list[Delivery]:
        self.security_list.apply(event)
        self.auction_entry.apply(event)
        return (
            self.reports.apply(event) + self.auction_reports.apply(event) + self.blocks.apply(event)
        )

    def on_disconnect(self, session: Session, ts: int) -> MassCancel | None:
        """Cancel-on-disconnect: when a session configured for it ends (logout or lost
        connection), its member's resting orders are cancelled, all accounts, all
        instruments: the engine's mass cancel knows no narrower owner than the member."""
        if not session.cancel_on_disconnect or session.type is not SessionType.ORDER_ENTRY:
            return None
        return MassCancel(
            ts, f"disconnect-{session.id}-{ts}", MassCancelScope.MEMBER, member=session.member
        )

    def _throttle(self, session: Session, ts: int) -> Throttle:
        """One per session for the whole day: reconnecting does not refill it."""
        throttle = self._throttles.get(session.id)
        if throttle is None:
            rate = session.messages_per_second
            throttle = Throttle(rate, rate, self.logout_multiple, ts)
            self._throttles[session.id] = throttle
        return throttle

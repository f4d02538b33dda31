"""Engine events -> the FIX messages each member's sessions receive.

| event            | message                   | ExecType (150) / OrdStatus (39)                 |
|------------------|---------------------------|-------------------------------------------------|
| OrderAccepted    | ExecutionReport (8)       | 0 New / 0 New                                   |
| Trade            | one 8 per side            | F Trade / 1 Partially filled or 2 Filled        |
| OrderCancelled   | 8                         | 4 Canceled, or C Expired (see below)            |
| OrderAmended     | 8                         | 5 Replaced / 0 New or 1 Partially filled        |
| OrderRejected    | 8                         | 8 Rejected / 8, OrdRejReason (103) + Text (58)  |
| CancelRejected   | OrderCancelReject (9)     | CxlRejReason (102) + Text, CxlRejResponseTo 434 |
| MassCancelDone   | OrderMassCancelReport (r) | MassCancelResponse (531), TotalAffectedOrders   |

An order that leaves the book because of its time in force (an IOC or FOK remainder, a day
order at the close) is reported Expired (C), which is FIX 4.4's definition of Expired
("canceled ... due to time in force instructions"); a member's own cancel, a mass cancel
and self-trade prevention are Canceled (4). A trade report carries the trade id in
TrdMatchID (880), the one field used beyond FIX 4.4's ExecutionReport.

ExecIDs are derived from the event's sequence number ("41", "57B"/"57S" for the buy and
sell reports of one trade), so replaying the stream reproduces them exactly.
"""

import logging
from collections.abc import Iterable
from typing import NamedTuple

from engine import events
from engine.money import format_cny
from engine.orders import CancelCause, MassCancelScope, Side
from engine.reasons import TEXT, Reason, cxl_rej_reason, ord_rej_reason
from gateway.fix.timestamps import format_utc_timestamp
from gateway.members import Directory, SessionType
from gateway.trading.app_messages import AppMessage, Body, Fields, order_number
from gateway.trading.order_views import CANCELED, EXPIRED, UNKNOWN, OrderView, OrderViews
from gateway.trading.tags import Tag

log = logging.getLogger(__name__)

# Refusals a member reads as another: "another account's order" would tell it that an
# order id is live elsewhere, so it hears what a non-existent order gets.
_AS_MEMBERS_READ = {Reason.NOT_YOUR_ORDER: Reason.UNKNOWN_ORDER}

_CLOSED_AS = {
    CancelCause.REQUESTED: (CANCELED, "cancelled at your request"),
    CancelCause.MASS_CANCEL: (CANCELED, "cancelled by mass cancel"),
    CancelCause.SELF_TRADE: (
        CANCELED,
        "cancelled by self-trade prevention: it would have traded with the same account",
    ),
    CancelCause.IOC_REMAINDER: (EXPIRED, "immediate-or-cancel remainder expired"),
    CancelCause.FOK_UNFILLED: (EXPIRED, "fill-or-kill order could not be filled in full"),
    CancelCause.EXPIRED: (EXPIRED, "day order expired at the end of the trading day"),
}


_COPY_FLAGGED = frozenset(("8", "AE"))  # the messages whose layout has CopyMsgIndicator


class Delivery(NamedTuple):
    session_id: str
    message: AppMessage


class ExecutionReports:
    """Folds events into order views and says which sessions get which report.

    `apply` ignores an event whose seq it has already seen, so a redelivered stream sends
    nothing twice."""

    def __init__(self, directory: Directory, views: OrderViews | None = None):
        self.directory = directory
        self.views = views if views is not None else OrderViews()
        self.last_seq = 0
        self.unrouted = 0  # events for accounts no member owns (a member-file gap)
        self.orphans = 0  # events for orders never seen (stream not read from day start)

    def apply(self, event: events.Event) -> list[Delivery]:
        if event.seq <= self.last_seq:
            return []
        self.last_seq = event.seq
        match event:
            case events.OrderAccepted():
                return self._accepted(event)
            case events.Trade():
                return self._side_filled(event, Side.BUY) + self._side_filled(event, Side.SELL)
            case events.OrderCancelled():
                return self._cancelled(event)
            case events.OrderAmended():
                return self._amended(event)
            case events.OrderRejected():
                self.views.answered(event.account, event.client_order_id)
                return self._route_account(event.account, _order_rejected(event))
            case events.CancelRejected():
                if event.is_amend:
                    self.views.answered(event.account, event.client_order_id)
                return self._route_account(event.account, self._cancel_rejected(event))
            case events.MassCancelDone():
                return self._mass_cancel_done(event)
            case events.DayClosed():
                self.views.day_closed(event.instrument)
        return []

    def order_status(self, member: str, fields: Fields, ts: int) -> AppMessage:
        """OrderStatusRequest (H) -> ExecutionReport with ExecType I (Order Status). An order
        of another member is answered exactly like an unknown one."""
        body = Body(fields)
        client_order_id = body.get(Tag.ClOrdID)
        view = None
        order_id = body.get(Tag.OrderID)
        if number := order_number(order_id):
            view = self.views.get(number)
        elif body.get(Tag.Account):
            view = self.views.find(body.get(Tag.Account), client_order_id)
        else:
            accounts = sorted(self.directory.members[member].accounts)
            view = next((v for a in accounts if (v := self.views.find(a, client_order_id))), None)
        extra: Fields = []
        if body.has(Tag.OrdStatusReqID):
            extra.append((Tag.OrdStatusReqID, body.get(Tag.OrdStatusReqID)))
        if view is None or not self.directory.may_act_for(member, view.account):
            return AppMessage(
                "8",
                [
                    (Tag.OrderID, order_id or "NONE"),
                    (Tag.ClOrdID, client_order_id),
                    *extra,
                    (Tag.ExecID, "0"),
                    (Tag.ExecType, "I"),
                    (Tag.OrdStatus, UNKNOWN),
                    (Tag.OrdRejReason, "5"),
                    (Tag.Symbol, body.get(Tag.Symbol)),
                    (Tag.Side, body.get(Tag.Side)),
                    (Tag.LeavesQty, "0"),
                    (Tag.CumQty, "0"),
                    (Tag.AvgPx, "0"),
                    (Tag.TransactTime, format_utc_timestamp(ts)),
                    (Tag.Text, "unknown order: no order of your member with that id today"),
                ],
            )
        chain = bool(view.orig_client_order_id)
        return _order_report(view, "0", "I", ts, chain=chain, head=extra)

    def _accepted(self, event: events.OrderAccepted) -> list[Delivery]:
        view = OrderView(
            event.order_id,
            event.account,
            event.client_order_id,
            event.instrument,
            event.side,
            event.order_type,
            event.time_in_force,
            event.price,
            event.quantity,
        )
        self.views.accepted(view)
        return self._route_account(view.account, _order_report(view, str(event.seq), "0", event.ts))

    def _side_filled(self, trade: events.Trade, side: Side) -> list[Delivery]:
        order_id = trade.buy_order_id if side is Side.BUY else trade.sell_order_id
        view = self._view(order_id, trade)
        if view is None:
            return []
        self.views.filled(view, trade.quantity, trade.price)
        report = _order_report(
            view,
            f"{trade.seq}{'B' if side is Side.BUY else 'S'}",
            "F",
            trade.ts,
            last=[(Tag.LastQty, str(trade.quantity)), (Tag.LastPx, format_cny(trade.price))],
            tail=[(Tag.TrdMatchID, str(trade.trade_id))],
        )
        return self._route_account(view.account, report)

    def _cancelled(self, event: events.OrderCancelled) -> list[Delivery]:
        view = self._view(event.order_id, event)
        if view is None:
            return []
        status, text = _CLOSED_AS[CancelCause(event.cause)]
        requested = event.cause == CancelCause.REQUESTED
        self.views.closed(view, status, event.request_id if requested else "")
        if event.cause == CancelCause.MASS_CANCEL and event.request_id:
            text = f"{text} {event.request_id}"
        # ExecType 4 / C equal the OrdStatus codes Canceled / Expired.
        report = _order_report(
            view, str(event.seq), status, event.ts, chain=requested, tail=[(Tag.Text, text)]
        )
        return self._route_account(view.account, report)

    def _amended(self, event: events.OrderAmended) -> list[Delivery]:
        view = self._view(event.order_id, event)
        if view is None:
            return []
        self.views.amended(view, event.client_order_id, event.price, event.quantity)
        report = _order_report(view, str(event.seq), "5", event.ts, chain=True)
        return self._route_account(view.account, report)

    def _cancel_rejected(self, event: events.CancelRejected) -> AppMessage:
        reason = _AS_MEMBERS_READ.get(Reason(event.reason), Reason(event.reason))
        text = TEXT[reason] if reason != event.reason else event.text or TEXT[reason]
        status = self.views.status_of(event.account, event.orig_client_order_id, event.order_id)
        return AppMessage(
            "9",
            [
                (Tag.OrderID, str(event.order_id) if event.order_id else "NONE"),
                (Tag.ClOrdID, event.client_order_id),
                (Tag.OrigClOrdID, event.orig_client_order_id or "NONE"),
                (Tag.OrdStatus, status),
                (Tag.Account, event.account),
                (Tag.TransactTime, format_utc_timestamp(event.ts)),
                (Tag.CxlRejResponseTo, "2" if event.is_amend else "1"),
                (Tag.CxlRejReason, str(cxl_rej_reason(reason))),
                (Tag.Text, text),
            ],
        )

    def _mass_cancel_done(self, event: events.MassCancelDone) -> list[Delivery]:
        request_type = "1" if event.instrument else "7"
        fields: Fields = [
            (Tag.ClOrdID, event.client_order_id),
            (Tag.OrderID, str(event.seq)),
            (Tag.MassCancelRequestType, request_type),
            (Tag.MassCancelResponse, "0" if event.reason else request_type),
        ]
        if event.reason:
            rejection = "1" if event.reason == Reason.UNKNOWN_INSTRUMENT else "99"
            fields.append((Tag.MassCancelRejectReason, rejection))
        fields.append((Tag.TotalAffectedOrders, str(event.cancelled)))
        if event.instrument:
            fields.append((Tag.Symbol, event.instrument))
        fields.append((Tag.TransactTime, format_utc_timestamp(event.ts)))
        if event.reason:
            fields.append((Tag.Text, event.text or TEXT[Reason(event.reason)]))
        message = AppMessage("r", fields)
        if event.scope == MassCancelScope.ACCOUNT:
            return self._route_account(event.account, message)
        return self.route_member(event.member, message)

    def drop_copies(self, member: str, message: AppMessage) -> list[Delivery]:
        """Copies of an answer the gateway gave a member's session itself (an immediate
        reject), for the drop-copy sessions that must see all its reports."""
        return [
            Delivery(session.id, _as_drop_copy(message))
            for session in self.directory.report_sessions(member)
            if session.type is SessionType.DROP_COPY
        ]

    def _view(self, order_id: int, event: events.Event) -> OrderView | None:
        view = self.views.live(order_id)
        if view is None:
            self.orphans += 1
            log.warning("event %d names order %d, never accepted today", event.seq, order_id)
        return view

    def _route_account(self, account: str, message: AppMessage) -> list[Delivery]:
        member = self.directory.member_of(account)
        if member is None:
            self.unrouted += 1
            log.warning("no member owns account %r: report not delivered", account)
            return []
        return self.route_member(member, message)

    def route_member(self, member: str, message: AppMessage) -> list[Delivery]:
        return [
            Delivery(session.id, _as_drop_copy(message))
            if session.type is SessionType.DROP_COPY
            else Delivery(session.id, message)
            for session in self.directory.report_sessions(member)
        ]


def _as_drop_copy(message: AppMessage) -> AppMessage:
    """CopyMsgIndicator (797=Y) tells the drop-copy reader this is a copy, not an answer.
    FIX 4.4 defines it on ExecutionReport and TradeCaptureReport only: other copies (an
    OrderCancelReject, a TradeCaptureReportAck) go as they are, valid for any FIX engine."""
    if message.msg_type not in _COPY_FLAGGED:
        return message
    return AppMessage(message.msg_type, [*message.fields, (Tag.CopyMsgIndicator, "Y")])


def _order_report(
    view: OrderView,
    exec_id: str,
    exec_type: str,
    ts: int,
    *,
    chain: bool = False,
    head: Iterable[tuple[int, str]] = (),
    last: Iterable[tuple[int, str]] = (),
    tail: Iterable[tuple[int, str]] = (),
) -> AppMessage:
    """An ExecutionReport showing the order as it stands after the event. `chain` adds
    OrigClOrdID (a cancel or replace answers the request's ClOrdID)."""
    fields: Fields = [(Tag.OrderID, str(view.order_id)), (Tag.ClOrdID, view.client_order_id)]
    if chain:
        fields.append((Tag.OrigClOrdID, view.orig_client_order_id))
    fields += [
        *head,
        (Tag.ExecID, exec_id),
        (Tag.ExecType, exec_type),
        (Tag.OrdStatus, view.status),
        (Tag.Account, view.account),
        (Tag.Symbol, view.instrument),
        (Tag.Side, str(view.side)),
        (Tag.OrderQty, str(view.order_qty)),
        (Tag.OrdType, str(view.order_type)),
    ]
    if view.is_limit:
        fields.append((Tag.Price, format_cny(view.price)))
    fields += [
        (Tag.TimeInForce, str(view.time_in_force)),
        *last,
        (Tag.LeavesQty, str(view.leaves_qty)),
        (Tag.CumQty, str(view.cum_qty)),
        (Tag.AvgPx, avg_px(view.notional, view.cum_qty)),
        (Tag.TransactTime, format_utc_timestamp(ts)),
        *tail,
    ]
    return AppMessage("8", fields)


def _order_rejected(event: events.OrderRejected) -> AppMessage:
    fields: Fields = [
        (Tag.OrderID, "NONE"),
        (Tag.ClOrdID, event.client_order_id),
        (Tag.ExecID, str(event.seq)),
        (Tag.ExecType, "8"),
        (Tag.OrdStatus, "8"),
        (Tag.OrdRejReason, str(ord_rej_reason(event.reason))),
        (Tag.Account, event.account),
        (Tag.Symbol, event.instrument),
        (Tag.Side, str(event.side)),
        (Tag.OrderQty, str(event.quantity)),
    ]
    if event.price:
        fields.append((Tag.Price, format_cny(event.price)))
    fields += [
        (Tag.LeavesQty, "0"),
        (Tag.CumQty, "0"),
        (Tag.AvgPx, "0"),
        (Tag.TransactTime, format_utc_timestamp(event.ts)),
        (Tag.Text, event.text or TEXT[Reason(event.reason)]),
    ]
    return AppMessage("8", fields)


def avg_px(notional: int, cum_qty: int) -> str:
    """Average fill price in CNY from integer fen, in integers only: exact when it
    terminates within six decimals, otherwise rounded half-even at the sixth; "0" before
    the first fill."""
    if cum_qty == 0:
        return "0"
    micro_cny, remainder = divmod(notional * 10_000, cum_qty)
    if 2 * remainder > cum_qty or (2 * remainder == cum_qty and micro_cny % 2):
        micro_cny += 1
    whole, fraction = divmod(micro_cny, 1_000_000)
    return f"{whole}.{f'{fraction:06d}'.rstrip('0').ljust(2, '0')}"

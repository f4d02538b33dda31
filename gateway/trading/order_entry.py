"""A member's order messages -> engine commands, or an immediate answer.

The gateway refuses on its own only what it can judge without the market's state: an
account that is not the member's (never forwarded), a price or quantity that is not a
number of ticks or tonnes, an order type / time in force the market does not offer, and a
missing field. Everything else (instrument, band, tick, lot, funds, holdings, session
hours) is the engine's to decide, and comes back as an event.

Immediate answers, each with a Text (58) naming the field:
- NewOrderSingle (D): ExecutionReport 150=8 / 39=8 with OrdRejReason (103):
  Account -> 15, Symbol -> 1, OrderQty -> 13, Price -> 99 (as the engine's price
  reasons), Side / OrdType / TimeInForce and unsupported instructions -> 11, a ClOrdID
  the account has already used today -> 6.
- OrderCancelRequest (F) / OrderCancelReplaceRequest (G): OrderCancelReject (9) with
  CxlRejResponseTo (434) 1 / 2 and CxlRejReason (102) 1 for an OrderID (37) that is not
  ours, 6 for a replace's ClOrdID already used today, 99 otherwise.
- OrderMassCancelRequest (q): OrderMassCancelReport (r) with MassCancelResponse 0 and
  MassCancelRejectReason (532) 0 (request type not offered), 1 (no Symbol) or 99. One
  account's orders: the user-defined MassCancelAccount (5150), as FIX 4.4's q has no Account.
- Without a ClOrdID (11) none of these can be answered in kind: BusinessMessageReject (j)
  with BusinessRejectReason (380) 5.

Market orders are immediate-or-cancel here: without TimeInForce (59) a market order is IOC,
and an explicit Day (59=0) market order is refused. Only resting limit orders can be
replaced, so a G must be a limit (40=2) day order; it changes price and quantity only.
"""

from engine.commands import AmendOrder, CancelOrder, Command, MassCancel, NewOrder
from engine.orders import MassCancelScope, OrderType, Side, TimeInForce
from engine.reasons import TEXT, Reason
from gateway.fix.timestamps import format_utc_timestamp
from gateway.members import Directory, Role, Session
from gateway.trading.app_messages import (
    AppMessage,
    Body,
    FieldError,
    Fields,
    business_reject,
    order_number,
)
from gateway.trading.order_views import UNKNOWN, OrderViews
from gateway.trading.tags import Tag, label

CONDITIONALLY_REQUIRED_FIELD_MISSING = 5

# OrdRejReason (103) for a D refused because of the field named.
_ORD_REJ_REASON = {
    Tag.Account: 15,
    Tag.Symbol: 1,
    Tag.OrderQty: 13,
    Tag.Side: 11,
    Tag.OrdType: 11,
    Tag.TimeInForce: 11,
    Tag.StopPx: 11,
    Tag.MinQty: 11,
    Tag.MaxFloor: 11,
    Tag.MaxShow: 11,
    Tag.ExpireDate: 11,
    Tag.ExpireTime: 11,
    Tag.ClOrdID: 6,
}
# CxlRejReason (102) for an F or G refused because of the field named.
_CXL_REJ_REASON = {Tag.OrderID: "1", Tag.ClOrdID: "6"}
USED_TODAY = "ClOrdID already used by this account today"
OTHER = 99

# Order instructions the market does not offer: refused rather than silently ignored.
_UNSUPPORTED = {
    Tag.StopPx: "stop orders are not offered",
    Tag.MinQty: "minimum-quantity orders are not offered",
    Tag.MaxFloor: "iceberg orders are not offered",
    Tag.MaxShow: "iceberg orders are not offered",
    Tag.ExpireDate: "good-till-date orders are not offered; orders are day, IOC or FOK",
    Tag.ExpireTime: "good-till-date orders are not offered; orders are day, IOC or FOK",
}
_SIDES = {"1": Side.BUY, "2": Side.SELL}
_ORDER_TYPES = {"1": OrderType.MARKET, "2": OrderType.LIMIT}
_TIMES_IN_FORCE = {"0": TimeInForce.DAY, "3": TimeInForce.IOC, "4": TimeInForce.FOK}
_MASS_CANCEL_TYPES = {"1", "7"}  # one security, all orders


class OrderEntry:
    def __init__(self, directory: Directory, views: OrderViews):
        self.directory = directory
        self.views = views  # the day's ClOrdIDs, and OrdStatus (39) for an OrderCancelReject
        self._immediate_rejects = 0

    def translate(
        self, session: Session, msg_type: str, fields: Fields, ts: int
    ) -> Command | AppMessage:
        """D/F/G/q from `session` at `ts` -> a Command to sequence, or an AppMessage to
        send straight back to the session."""
        body = Body(fields)
        if not body.get(Tag.ClOrdID):
            return business_reject(
                msg_type,
                CONDITIONALLY_REQUIRED_FIELD_MISSING,
                f"{label(Tag.ClOrdID)} is required",
            )
        match msg_type:
            case "D":
                return self._new_order(session, body, ts)
            case "F":
                return self._cancel(session, body, ts)
            case "G":
                return self._replace(session, body, ts)
            case "q":
                return self._mass_cancel(session, body, ts)
        raise ValueError(f"OrderEntry does not handle MsgType {msg_type!r}")

    def _new_order(self, session: Session, body: Body, ts: int) -> Command | AppMessage:
        try:
            account = self._account(session, body)
            instrument = body.require(Tag.Symbol)
            side = _choice(body, Tag.Side, _SIDES, "must be 1 (buy) or 2 (sell)")
            order_type, time_in_force, price = _order_terms(body)
            quantity = body.quantity(Tag.OrderQty)
            client_order_id = self._unused_client_order_id(account, body)
        except FieldError as error:
            return self._order_reject(body, ts, _ORD_REJ_REASON.get(error.tag, OTHER), error.text)
        self.views.sent(account, client_order_id, instrument)
        return NewOrder(
            ts,
            account,
            client_order_id,
            instrument,
            side,
            order_type,
            time_in_force,
            price,
            quantity,
            session.id,
        )

    def _cancel(self, session: Session, body: Body, ts: int) -> Command | AppMessage:
        try:
            account = self._account(session, body)
            order_id = _order_id(body)
            instrument = body.require(Tag.Symbol)
        except FieldError as error:
            return self._cancel_reject(body, ts, "1", error)
        return CancelOrder(
            ts,
            account,
            body.get(Tag.ClOrdID),
            instrument,
            body.get(Tag.OrigClOrdID),
            order_id,
            session.id,
        )

    def _replace(self, session: Session, body: Body, ts: int) -> Command | AppMessage:
        try:
            account = self._account(session, body)
            order_id = _order_id(body)
            instrument = body.require(Tag.Symbol)
            if body.get(Tag.OrdType) != "2":
                raise FieldError(
                    Tag.OrdType, "only a resting limit order can be replaced: OrdType (40) = 2"
                )
            if body.get(Tag.TimeInForce) not in ("", "0"):
                raise FieldError(
                    Tag.TimeInForce,
                    "a resting order is a day order: TimeInForce (59) must be 0 or absent",
                )
            _refuse_unsupported(body)
            price = body.price(Tag.Price)
            quantity = body.quantity(Tag.OrderQty)
            client_order_id = self._unused_client_order_id(account, body)
        except FieldError as error:
            return self._cancel_reject(body, ts, "2", error)
        self.views.sent(account, client_order_id, instrument)
        return AmendOrder(
            ts,
            account,
            client_order_id,
            instrument,
            body.get(Tag.OrigClOrdID),
            price,
            quantity,
            order_id,
            session.id,
        )

    def _mass_cancel(self, session: Session, body: Body, ts: int) -> Command | AppMessage:
        request_type = body.get(Tag.MassCancelRequestType)
        if request_type not in _MASS_CANCEL_TYPES:
            return _mass_cancel_reject(
                body,
                ts,
                "0",
                f"{label(Tag.MassCancelRequestType)} must be 1 (one security) or 7 (all orders)",
            )
        instrument = body.get(Tag.Symbol) if request_type == "1" else ""
        if request_type == "1" and not instrument:
            return _mass_cancel_reject(
                body, ts, "1", f"{label(Tag.Symbol)} is required to cancel one security's orders"
            )
        if body.has(Tag.Side):
            return _mass_cancel_reject(
                body,
                ts,
                str(OTHER),
                f"a {label(Tag.Side)} filter is not offered: a mass cancel cancels both sides",
            )
        member = session.member
        client_order_id = body.get(Tag.ClOrdID)
        account = body.get(Tag.MassCancelAccount)
        if account:
            if not self.directory.may_act_for(member, account):
                return _mass_cancel_reject(body, ts, str(OTHER), TEXT[Reason.UNKNOWN_ACCOUNT])
            return MassCancel(
                ts, client_order_id, MassCancelScope.ACCOUNT, account=account, instrument=instrument
            )
        if instrument and self.directory.members[member].role is Role.SUPERVISOR:
            # the exchange's desk clears a whole instrument; `member` says whom to answer
            return MassCancel(
                ts,
                client_order_id,
                MassCancelScope.INSTRUMENT,
                member=member,
                instrument=instrument,
            )
        return MassCancel(
            ts, client_order_id, MassCancelScope.MEMBER, member=member, instrument=instrument
        )

    def _account(self, session: Session, body: Body) -> str:
        account = body.require(Tag.Account)
        if not self.directory.may_act_for(session.member, account):
            raise FieldError(Tag.Account, TEXT[Reason.UNKNOWN_ACCOUNT])
        return account

    def _unused_client_order_id(self, account: str, body: Body) -> str:
        client_order_id = body.get(Tag.ClOrdID)
        if self.views.used(account, client_order_id):
            raise FieldError(Tag.ClOrdID, USED_TODAY)
        return client_order_id

    def _order_reject(self, body: Body, ts: int, reason: int, text: str) -> AppMessage:
        self._immediate_rejects += 1
        fields: Fields = [
            (Tag.OrderID, "NONE"),
            (Tag.ClOrdID, body.get(Tag.ClOrdID)),
            (Tag.ExecID, f"R{ts}-{self._immediate_rejects}"),
            (Tag.ExecType, "8"),
            (Tag.OrdStatus, "8"),
            (Tag.OrdRejReason, str(reason)),
        ]
        fields += _echo(body, Tag.Account, Tag.Symbol, Tag.Side, Tag.OrderQty, Tag.OrdType)
        fields += _echo(body, Tag.Price, Tag.TimeInForce)
        fields += [
            (Tag.LeavesQty, "0"),
            (Tag.CumQty, "0"),
            (Tag.AvgPx, "0"),
            (Tag.TransactTime, format_utc_timestamp(ts)),
            (Tag.Text, text),
        ]
        return AppMessage("8", fields)

    def _cancel_reject(
        self, body: Body, ts: int, response_to: str, error: FieldError
    ) -> AppMessage:
        account = body.get(Tag.Account)
        status = UNKNOWN
        if error.tag is not Tag.Account:
            order_id = body.get(Tag.OrderID)
            status = self.views.status_of(
                account, body.get(Tag.OrigClOrdID), order_number(order_id)
            )
        fields: Fields = [
            (Tag.OrderID, body.get(Tag.OrderID) or "NONE"),
            (Tag.ClOrdID, body.get(Tag.ClOrdID)),
            (Tag.OrigClOrdID, body.get(Tag.OrigClOrdID) or "NONE"),
            (Tag.OrdStatus, status),
        ]
        fields += _echo(body, Tag.Account)
        fields += [
            (Tag.TransactTime, format_utc_timestamp(ts)),
            (Tag.CxlRejResponseTo, response_to),
            (Tag.CxlRejReason, _CXL_REJ_REASON.get(error.tag, str(OTHER))),
            (Tag.Text, error.text),
        ]
        return AppMessage("9", fields)


def _order_terms(body: Body) -> tuple[int, int, int]:
    """(order type, time in force, price in fen) of a new order, refusing combinations
    the market does not offer."""
    order_type = _choice(body, Tag.OrdType, _ORDER_TYPES, "must be 1 (market) or 2 (limit)")
    _refuse_unsupported(body)
    default_tif = "3" if order_type == OrderType.MARKET else "0"
    tif_text = body.get(Tag.TimeInForce) or default_tif
    if tif_text not in _TIMES_IN_FORCE:
        raise FieldError(
            Tag.TimeInForce, f"{label(Tag.TimeInForce)} must be 0 (day), 3 (IOC) or 4 (FOK)"
        )
    if order_type == OrderType.MARKET:
        if tif_text == "0":
            raise FieldError(
                Tag.TimeInForce,
                "a market order is immediate: TimeInForce (59) must be 3 (IOC), 4 (FOK) or absent",
            )
        if body.has(Tag.Price):
            raise FieldError(
                Tag.OrdType,
                "a market order (OrdType 40=1) must not carry Price (44): "
                "it trades up to the price band's edge",
            )
        return order_type, _TIMES_IN_FORCE[tif_text], 0
    if not body.get(Tag.Price):
        raise FieldError(Tag.OrdType, "a limit order (OrdType 40=2) needs Price (44)")
    return order_type, _TIMES_IN_FORCE[tif_text], body.price(Tag.Price)


def _choice(body: Body, tag: Tag, options: dict, meaning: str) -> int:
    value = body.get(tag)
    if value not in options:
        raise FieldError(tag, f"{label(tag)} {meaning}")
    return options[value]


def _refuse_unsupported(body: Body) -> None:
    for tag, reason in _UNSUPPORTED.items():
        if body.has(tag):
            raise FieldError(tag, f"{label(tag)}: {reason}")


def _order_id(body: Body) -> int:
    """The exchange's OrderID (37) when given (0 otherwise); an OrigClOrdID (41) or it."""
    text = body.get(Tag.OrderID)
    if not text:
        if not body.get(Tag.OrigClOrdID):
            raise FieldError(
                Tag.OrigClOrdID, f"{label(Tag.OrigClOrdID)} or {label(Tag.OrderID)} is required"
            )
        return 0
    number = order_number(text)
    if number == 0:
        raise FieldError(Tag.OrderID, f"{label(Tag.OrderID)} {text[:40]!r} is not an order of ours")
    return number


def _echo(body: Body, *tags: Tag) -> Fields:
    """The member's own values back, for the fields it sent."""
    return [(tag, body.get(tag)) for tag in tags if body.get(tag)]


def _mass_cancel_reject(body: Body, ts: int, reason: str, text: str) -> AppMessage:
    fields: Fields = [
        (Tag.ClOrdID, body.get(Tag.ClOrdID)),
        (Tag.OrderID, "NONE"),
        (Tag.MassCancelRequestType, body.get(Tag.MassCancelRequestType)),
        (Tag.MassCancelResponse, "0"),
        (Tag.MassCancelRejectReason, reason),
    ]
    fields += _echo(body, Tag.Symbol)
    fields += [(Tag.TransactTime, format_utc_timestamp(ts)), (Tag.Text, text)]
    return AppMessage("r", fields)

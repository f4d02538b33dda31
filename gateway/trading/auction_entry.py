"""Bids over FIX: a NewOrderSingle (D) naming an auction in TradingSessionID (336) is a
sealed bid; an OrderCancelReplaceRequest (G) naming it, or naming a bid in OrigClOrdID
(41), amends it, and an OrderCancelRequest (F) for a bid's OrigClOrdID withdraws it (FIX
4.4's F has no TradingSessionID: the gateway knows which auction each client bid id is
in). The bid's fields are the order's: Account (1), ClOrdID (11), Side (54) = 1 buy,
Price (44) in CNY, OrderQty (38) in tonnes; OrderID (37), the bid number, may name the
bid to change instead. The engine's own checks decide the rest.
"""

from engine.commands import AmendBid, Command, PlaceBid, WithdrawBid
from engine.events import BidAccepted, BidAmended, Event
from engine.orders import Side
from engine.reasons import TEXT, Reason
from gateway.fix.timestamps import format_utc_timestamp
from gateway.members import Directory, Session
from gateway.trading.app_messages import AppMessage, Body, FieldError, Fields
from gateway.trading.tags import Tag

OTHER = 99


class AuctionEntry:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.bids: dict[tuple[str, str], str] = {}  # (account, client bid id) -> auction
        self._immediate_rejects = 0

    def claims(self, msg_type: str, fields: Fields) -> bool:
        """Whether a D, F or G is about an auction bid rather than a book order."""
        if msg_type not in ("D", "F", "G"):
            return False
        body = Body(fields)
        if body.get(Tag.TradingSessionID):
            return True
        return (body.get(Tag.Account), body.get(Tag.OrigClOrdID)) in self.bids

    def apply(self, event: Event) -> None:
        """Learns each bid's client id (they change on every amend) and its auction."""
        if isinstance(event, BidAccepted | BidAmended):
            self.bids[(event.account, event.client_bid_id)] = event.auction_id

    def translate(
        self, session: Session, msg_type: str, fields: Fields, ts: int
    ) -> Command | AppMessage:
        body = Body(fields)
        auction_id = body.get(Tag.TradingSessionID) or self.bids.get(
            (body.get(Tag.Account), body.get(Tag.OrigClOrdID)), ""
        )
        try:
            account = body.require(Tag.Account)
            if not self.directory.may_act_for(session.member, account):
                raise FieldError(Tag.Account, TEXT[Reason.UNKNOWN_ACCOUNT])
            client_bid_id = body.require(Tag.ClOrdID)
            if msg_type == "F":
                return WithdrawBid(
                    ts, auction_id, account, client_bid_id, body.get(Tag.OrigClOrdID),
                    _bid_number(body),
                )  # fmt: skip
            if body.get(Tag.Side) != str(Side.BUY.value):
                raise FieldError(Tag.Side, "an auction bid is a buy: Side (54) must be 1")
            price = body.price(Tag.Price)
            quantity = body.quantity(Tag.OrderQty)
        except FieldError as error:
            return self._reject(body, ts, error.text)
        if msg_type == "G":
            return AmendBid(
                ts, auction_id, account, client_bid_id, body.get(Tag.OrigClOrdID), price,
                quantity, _bid_number(body),
            )  # fmt: skip
        return PlaceBid(ts, auction_id, account, client_bid_id, price, quantity)

    def _reject(self, body: Body, ts: int, text: str) -> AppMessage:
        """A bid the gateway refuses before the engine sees it (a missing or malformed
        field, another member's account): an ExecutionReport Rejected."""
        self._immediate_rejects += 1
        return AppMessage(
            "8",
            [
                (Tag.OrderID, "NONE"),
                (Tag.ClOrdID, body.get(Tag.ClOrdID)),
                (Tag.ExecID, f"AR{ts}-{self._immediate_rejects}"),
                (Tag.ExecType, "8"),
                (Tag.OrdStatus, "8"),
                (Tag.OrdRejReason, str(OTHER)),
                (Tag.Side, str(Side.BUY.value)),
                (Tag.LeavesQty, "0"),
                (Tag.CumQty, "0"),
                (Tag.AvgPx, "0"),
                (Tag.TransactTime, format_utc_timestamp(ts)),
                (Tag.Text, text),
            ],
        )


def _bid_number(body: Body) -> int:
    order_id = body.get(Tag.OrderID)
    return int(order_id) if order_id.isdigit() else 0

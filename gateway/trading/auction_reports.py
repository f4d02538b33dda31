"""Auction events -> the FIX messages members' sessions receive.

| event             | message                    | ExecType (150) / OrdStatus (39)             |
|-------------------|----------------------------|---------------------------------------------|
| BidAccepted       | ExecutionReport (8)        | 0 New / 0 New                               |
| BidRejected       | 8                          | 8 Rejected / 8, Text (58)                   |
| BidAmended        | 8                          | 5 Replaced / 0 New                          |
| BidWithdrawn      | 8                          | 4 Canceled / 4                              |
| BidChangeRejected | OrderCancelReject (9)      | CxlRejResponseTo (434) 1 cancel, 2 replace  |
| BidAllotted       | 8                          | F Trade / 2 Filled or 1 Partially filled;   |
|                   |                            | C Expired / C when it won nothing           |
| AuctionStatus     | TradingSessionStatus (h)   | to every order-entry and market-data session |

Every ExecutionReport names the auction in TradingSessionID (336) (OrderCancelReject has
no such field in FIX 4.4: its OrigClOrdID names the bid); an allotment's LastPx (31) is
the clearing price, LastQty (32) the tonnes won. TradSesStatus (340): 4 pre-open when
announced, 2 open, 3 closed from the close on (Text says cleared or settled), 1 halted
when cancelled; TradSesStartTime/OpenTime/CloseTime/EndTime (341/342/344/345) give the
announcement, opening, close and results times. ExecIDs are "A" + the event's seq.
"""

from engine import events
from engine.auctions import AuctionState
from engine.money import format_cny
from engine.orders import Side
from engine.reasons import TEXT, Reason
from gateway.fix.timestamps import format_utc_timestamp
from gateway.members import Directory, SessionType
from gateway.trading.app_messages import AppMessage, Fields
from gateway.trading.execution_reports import Delivery, ExecutionReports
from gateway.trading.tags import Tag

_SESSION_STATUS = {
    AuctionState.ANNOUNCED: "4",
    AuctionState.OPEN: "2",
    AuctionState.CLOSED: "3",
    AuctionState.CLEARED: "3",
    AuctionState.SETTLED: "3",
    AuctionState.CANCELLED: "1",
}
_BUY = str(Side.BUY.value)


class AuctionReports:
    """Folds auction events into FIX messages; `apply` ignores seqs already seen."""

    def __init__(self, directory: Directory, reports: ExecutionReports) -> None:
        self.directory = directory
        self.reports = reports  # routes a report to the account's member's sessions
        self.auctions: dict[str, events.AuctionCreated] = {}
        self.last_seq = 0

    def apply(self, event: events.Event) -> list[Delivery]:
        if event.seq <= self.last_seq:
            return []
        self.last_seq = event.seq
        match event:
            case events.AuctionCreated():
                self.auctions[event.auction_id] = event
            case events.AuctionStatus():
                return self._status(event)
            case events.BidAccepted():
                return self._report(event, "0", "0", event.price, event.quantity)
            case events.BidRejected():
                return self._report(event, "8", "8", event.price, event.quantity, event.text)
            case events.BidAmended():
                return self._report(event, "5", "0", event.price, event.quantity)
            case events.BidWithdrawn():
                return self._report(event, "4", "4", event.price, event.quantity)
            case events.BidAllotted():
                return self._allotted(event)
            case events.BidChangeRejected():
                return self._change_rejected(event)
        return []

    def _route(self, account: str, message: AppMessage) -> list[Delivery]:
        return self.reports._route_account(account, message)

    def _instrument(self, auction_id: str) -> str:
        created = self.auctions.get(auction_id)
        return created.instrument if created is not None else ""

    def _report(
        self,
        event: events.Event,
        exec_type: str,
        status: str,
        price: int,
        quantity: int,
        text: str = "",
        filled: int = 0,
        last: Fields = (),
    ) -> list[Delivery]:
        """An ExecutionReport for one bid; `filled` tonnes won, at the price in `last`."""
        number = getattr(event, "bid_number", 0)
        done = exec_type in "48FC"
        fields: Fields = [
            (Tag.OrderID, str(number) if number else "NONE"),
            (Tag.ClOrdID, event.client_bid_id),
        ]
        if isinstance(event, events.BidAmended):
            fields.append((Tag.OrigClOrdID, event.orig_client_bid_id))
        fields += [
            (Tag.ExecID, f"A{event.seq}"),
            (Tag.ExecType, exec_type),
            (Tag.OrdStatus, status),
            (Tag.Account, event.account),
            (Tag.Symbol, self._instrument(event.auction_id)),
            (Tag.Side, _BUY),
            (Tag.OrderQty, str(quantity)),
            (Tag.Price, format_cny(price)),
            (Tag.TradingSessionID, event.auction_id),
            *last,
            (Tag.LeavesQty, "0" if done else str(quantity)),
            (Tag.CumQty, str(filled)),
            (Tag.AvgPx, last[-1][1] if filled else "0"),
            (Tag.TransactTime, format_utc_timestamp(event.ts)),
        ]
        if text:
            fields.append((Tag.Text, text))
        return self._route(event.account, AppMessage("8", fields))

    def _allotted(self, event: events.BidAllotted) -> list[Delivery]:
        if not event.quantity:
            return self._report(
                event, "C", "C", event.bid_price, event.bid_quantity, "won nothing at clearing"
            )
        status = "2" if event.quantity == event.bid_quantity else "1"
        last = ((Tag.LastQty, str(event.quantity)), (Tag.LastPx, format_cny(event.price)))
        text = f"allotted {event.quantity} t at the clearing price {format_cny(event.price)}"
        return self._report(
            event, "F", status, event.bid_price, event.bid_quantity, text, event.quantity, last
        )

    def _change_rejected(self, event: events.BidChangeRejected) -> list[Delivery]:
        fields: Fields = [
            (Tag.OrderID, str(event.bid_number) if event.bid_number else "NONE"),
            (Tag.ClOrdID, event.client_bid_id),
            (Tag.OrigClOrdID, event.orig_client_bid_id),
            (Tag.OrdStatus, "0" if event.bid_number else "8"),
            (Tag.Account, event.account),
            (Tag.CxlRejResponseTo, "2" if event.is_amend else "1"),
            (Tag.CxlRejReason, "1" if event.reason == Reason.UNKNOWN_ORDER else "99"),
            (Tag.Text, event.text or TEXT[Reason(event.reason)]),
        ]
        return self._route(event.account, AppMessage("9", fields))

    def _status(self, event: events.AuctionStatus) -> list[Delivery]:
        created = self.auctions.get(event.auction_id)
        status = _SESSION_STATUS.get(AuctionState(event.state))
        if created is None or status is None:
            return []
        message = AppMessage("h", session_status(created, status, AuctionState(event.state)))
        return [
            Delivery(session.id, message)
            for session in self.directory.sessions.values()
            if session.type in (SessionType.ORDER_ENTRY, SessionType.MARKET_DATA)
        ]


def session_status(created: events.AuctionCreated, status: str, state: AuctionState) -> Fields:
    return [
        (Tag.TradingSessionID, created.auction_id),
        (Tag.TradSesStatus, status),
        (Tag.TradSesStartTime, format_utc_timestamp(created.announce_at)),
        (Tag.TradSesOpenTime, format_utc_timestamp(created.open_at)),
        (Tag.TradSesCloseTime, format_utc_timestamp(created.close_at)),
        (Tag.TradSesEndTime, format_utc_timestamp(created.results_at)),
        (
            Tag.Text,
            f"auction {created.auction_id} {state.name.lower()}: {created.instrument} "
            f"{created.volume} t, floor {format_cny(created.floor_price)}, lot {created.lot}",
        ),
    ]

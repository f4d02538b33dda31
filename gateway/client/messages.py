"""The exchange's answers as a member client reads them: small typed records parsed from
FIX messages. Prices stay decimal text ("50.00"), as they travel; quantities are tonnes."""

from dataclasses import dataclass

from engine.orders import Side
from gateway.fix.message import Message
from gateway.trading.tags import Tag

EXEC_TYPES = {
    "0": "New",
    "4": "Canceled",
    "5": "Replaced",
    "8": "Rejected",
    "C": "Expired",
    "F": "Trade",
    "I": "Status",
}
ORD_STATUSES = {
    "0": "New",
    "1": "PartiallyFilled",
    "2": "Filled",
    "4": "Canceled",
    "8": "Rejected",
    "C": "Expired",
}
REJECTED = "8"

# FIX 4.4 market data tags (not in gateway.trading.tags: the member application does not use them).
MD_REQ_ID = 262
NO_MD_ENTRIES = 268
MD_ENTRY_TYPE = 269
MD_ENTRY_PX = 270
MD_ENTRY_SIZE = 271
MD_UPDATE_ACTION = 279
MD_REQ_REJ_REASON = 281
MD_ENTRY_TYPES = {"0": "bid", "1": "offer", "2": "trade"}
MD_UPDATE_ACTIONS = {"0": "new", "1": "change", "2": "delete"}


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    exec_type: str  # ExecType (150), FIX code: see EXEC_TYPES
    ord_status: str  # OrdStatus (39)
    client_order_id: str
    orig_client_order_id: str
    order_id: str
    account: str
    symbol: str
    side: Side | None
    order_qty: int
    price: str  # "" for a market order
    last_px: str  # of this fill; "" unless exec_type is Trade
    last_qty: int
    cum_qty: int
    leaves_qty: int
    avg_px: str
    ord_rej_reason: int | None
    text: str
    possible_duplicate: bool  # a resent report (PossDupFlag 43)

    @property
    def rejected(self) -> bool:
        return self.exec_type == REJECTED

    @property
    def exec_type_name(self) -> str:
        return EXEC_TYPES.get(self.exec_type, self.exec_type)

    @property
    def ord_status_name(self) -> str:
        return ORD_STATUSES.get(self.ord_status, self.ord_status)


@dataclass(frozen=True, slots=True)
class CancelReject:
    """OrderCancelReject (9): a cancel or replace the exchange refused."""

    client_order_id: str
    orig_client_order_id: str
    ord_status: str
    cxl_rej_reason: int | None
    text: str


@dataclass(frozen=True, slots=True)
class MassCancelReport:
    client_order_id: str
    accepted: bool  # MassCancelResponse (531) is not 0
    total_affected_orders: int
    text: str


@dataclass(frozen=True, slots=True)
class Security:
    symbol: str
    description: str
    lot: int
    rules: str  # "tick=0.01 lot=1 max_qty=99999 ref=50.00 band=45.00-55.00"


@dataclass(frozen=True, slots=True)
class MarketDataEntry:
    action: str  # new, change or delete ("new" in a snapshot)
    type: str  # bid, offer or trade
    price: str
    size: int


@dataclass(frozen=True, slots=True)
class MarketDataUpdate:
    symbol: str
    snapshot: bool  # W: the whole book; X: changes to it
    entries: tuple[MarketDataEntry, ...]


def execution_report(message: Message) -> ExecutionReport:
    side = message.get(Tag.Side)
    return ExecutionReport(
        exec_type=message.get(Tag.ExecType) or "",
        ord_status=message.get(Tag.OrdStatus) or "",
        client_order_id=message.get(Tag.ClOrdID) or "",
        orig_client_order_id=message.get(Tag.OrigClOrdID) or "",
        order_id=message.get(Tag.OrderID) or "",
        account=message.get(Tag.Account) or "",
        symbol=message.get(Tag.Symbol) or "",
        side=Side(int(side)) if side in ("1", "2") else None,
        order_qty=message.get_int(Tag.OrderQty) or 0,
        price=message.get(Tag.Price) or "",
        last_px=message.get(Tag.LastPx) or "",
        last_qty=message.get_int(Tag.LastQty) or 0,
        cum_qty=message.get_int(Tag.CumQty) or 0,
        leaves_qty=message.get_int(Tag.LeavesQty) or 0,
        avg_px=message.get(Tag.AvgPx) or "",
        ord_rej_reason=message.get_int(Tag.OrdRejReason),
        text=message.get(Tag.Text) or "",
        possible_duplicate=message.get_flag(43),
    )


def cancel_reject(message: Message) -> CancelReject:
    return CancelReject(
        client_order_id=message.get(Tag.ClOrdID) or "",
        orig_client_order_id=message.get(Tag.OrigClOrdID) or "",
        ord_status=message.get(Tag.OrdStatus) or "",
        cxl_rej_reason=message.get_int(Tag.CxlRejReason),
        text=message.get(Tag.Text) or "",
    )


def mass_cancel_report(message: Message) -> MassCancelReport:
    return MassCancelReport(
        client_order_id=message.get(Tag.ClOrdID) or "",
        accepted=message.get(Tag.MassCancelResponse) not in (None, "0"),
        total_affected_orders=message.get_int(Tag.TotalAffectedOrders) or 0,
        text=message.get(Tag.Text) or "",
    )


def security_list(message: Message) -> list[Security]:
    """The entries of a SecurityList (y); each begins with its Symbol (55)."""
    securities = []
    for entry in _group(message, Tag.NoRelatedSym, Tag.Symbol):
        securities.append(
            Security(
                symbol=entry.get(Tag.Symbol) or "",
                description=entry.get(Tag.SecurityDesc) or "",
                lot=entry.get_int(Tag.RoundLot) or 0,
                rules=entry.get(Tag.Text) or "",
            )
        )
    return securities


def market_data(message: Message) -> MarketDataUpdate:
    """A snapshot (W: entries begin with MDEntryType 269, Symbol in the body) or an
    incremental refresh (X: entries begin with MDUpdateAction 279, Symbol in each)."""
    snapshot = message.msg_type == "W"
    first = MD_ENTRY_TYPE if snapshot else MD_UPDATE_ACTION
    entries = _group(message, NO_MD_ENTRIES, first)
    symbol = message.get(Tag.Symbol) if snapshot else None
    if not symbol:
        symbol = next((s for e in entries if (s := e.get(Tag.Symbol))), "")
    return MarketDataUpdate(
        symbol=symbol,
        snapshot=snapshot,
        entries=tuple(
            MarketDataEntry(
                action=MD_UPDATE_ACTIONS.get(e.get(MD_UPDATE_ACTION) or "0", "new"),
                type=MD_ENTRY_TYPES.get(e.get(MD_ENTRY_TYPE) or "", e.get(MD_ENTRY_TYPE) or ""),
                price=e.get(MD_ENTRY_PX) or "",
                size=e.get_int(MD_ENTRY_SIZE) or 0,
            )
            for e in entries
        ),
    )


def _group(message: Message, count_tag: int, first_tag: int) -> list[Message]:
    """The instances of a repeating group, split where its first field recurs."""
    entries: list[Message] = []
    inside = False
    for tag, value in message.fields:
        if tag == count_tag:
            inside = True
        elif inside and tag == first_tag:
            entries.append(Message([(tag, value)]))
        elif inside and entries:
            entries[-1].fields.append((tag, value))
    return entries

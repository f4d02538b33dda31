"""Market data on the members' FIX sessions: MarketDataRequest (V) in; a full refresh (W),
then incremental refreshes (X) as the book and the tape move, or a MarketDataRequestReject
(Y) saying what to change.

Offered: bids (MDEntryType 269=0), offers (1) and trades (2) of any listed instrument, the
book aggregated by price level, 1 to 5 levels deep (MarketDepth 264); a snapshot alone
(SubscriptionRequestType 263=0), a snapshot then incremental updates (263=1, MDUpdateType
265 absent or 1), or the end of a subscription (263=2, same MDReqID 262: not answered,
unless no such subscription is live, which gets a Y without a reason code). MDReqIDs are
per session; a session's subscriptions end when it does.
Everything comes from the public market-data publisher, so FIX, REST and the websocket feed
always agree.

Layouts (prices CNY with two decimals, sizes whole tonnes):
  W, one per instrument: MDReqID 262, Symbol 55, NoMDEntries 268, then each bid and offer
    level best first (269, MDEntryPx 270, MDEntrySize 271, NumberOfOrders 346,
    MDEntryPositionNo 290 = 1 for the best) and, when trades were asked for, the last trade
    (269=2, 270, 271, MDEntryDate 272, MDEntryTime 273, UTC).
  X, one per change the publisher reports: MDReqID 262, NoMDEntries 268, then per entry
    MDUpdateAction 279, 269, Symbol 55 and the fields as in W. A book level is identified
    by its side and price: 279=0 (new) for a price that entered the top N, 1 (change) for
    one whose size or order count changed, 2 (delete, with 270 and 290 only) for one that
    left the top N. Deletes come first. 290 is the level's rank when the entry was made
    (for a delete, its rank before); a level whose rank moves while it stays the same is
    not re-sent, so a client orders its levels by price. A trade is 279=0, 269=2 with
    MDEntryID 278 = the exchange's trade id. A change that leaves the subscriber's view
    as it was (a level below the top N, a side not asked for) sends nothing.
"""

from collections.abc import Callable, Collection, Iterable
from enum import IntEnum, StrEnum
from functools import partial
from typing import NamedTuple

from gateway.fix.application import Outbox, SessionId
from gateway.fix.message import Message
from gateway.fix.timestamps import format_utc_timestamp
from gateway.trading.app_messages import Body, Fields
from surveillance.market_data import (
    Depth,
    Level,
    MarketDataPublisher,
    Snapshot,
    Subscription,
    TradePrint,
)
from surveillance.market_data import Message as MarketMessage
from surveillance.market_data.depth import DEPTH

BLOCK_TRADE_TEXT = "block trade"  # on a trade entry: negotiated off the book
MAX_SUBSCRIPTIONS = 50  # live subscriptions per session; each one costs a publisher slot


class MDTag(IntEnum):
    """The FIX 4.4 tags of the market-data messages, by their names."""

    Symbol = 55
    Text = 58
    MDReqID = 262
    SubscriptionRequestType = 263
    MarketDepth = 264
    MDUpdateType = 265
    AggregatedBook = 266
    NoMDEntries = 268
    MDEntryType = 269
    MDEntryPx = 270
    MDEntrySize = 271
    MDEntryDate = 272
    MDEntryTime = 273
    MDEntryID = 278
    MDUpdateAction = 279
    MDReqRejReason = 281
    OpenCloseSettlFlag = 286
    MDEntryPositionNo = 290
    NumberOfOrders = 346
    NoTradingSessions = 386
    Scope = 546


class RejectReason(StrEnum):
    """MDReqRejReason (281) values this gateway sends (FIX 4.4)."""

    UNKNOWN_SYMBOL = "0"
    DUPLICATE_MD_REQ_ID = "1"
    INSUFFICIENT_BANDWIDTH = "2"
    UNSUPPORTED_SUBSCRIPTION_REQUEST_TYPE = "4"
    UNSUPPORTED_MARKET_DEPTH = "5"
    UNSUPPORTED_MD_UPDATE_TYPE = "6"
    UNSUPPORTED_AGGREGATED_BOOK = "7"
    UNSUPPORTED_MD_ENTRY_TYPE = "8"
    UNSUPPORTED_TRADING_SESSION_ID = "9"
    UNSUPPORTED_SCOPE = "A"
    UNSUPPORTED_OPEN_CLOSE_SETTLE_FLAG = "B"


SNAPSHOT, SUBSCRIBE, UNSUBSCRIBE = "0", "1", "2"
BID, OFFER, TRADE = "0", "1", "2"
NEW, CHANGE, DELETE = "0", "1", "2"
_BOOK_TYPES = (BID, OFFER)

Entry = list[tuple[int, str]]
# (symbol, BID or OFFER) -> the publisher's levels last seen, and the top N of them shown
Shown = dict[tuple[str, str], tuple[list[Level], list[Level]]]


class Request(NamedTuple):
    """A snapshot or subscription request, as this exchange offers them."""

    req_id: str
    kind: str  # SNAPSHOT or SUBSCRIBE
    symbols: tuple[str, ...]
    book_types: tuple[str, ...]  # BID and/or OFFER
    trades: bool
    depth: int


class Refused(Exception):
    """A request asks for something not offered: the Y's reason code and its Text."""

    def __init__(self, reason: RejectReason, text: str):
        super().__init__(text)
        self.reason = reason
        self.text = text


class FixMarketData:
    """Answers MarketDataRequests and keeps each session's subscriptions, by MDReqID."""

    def __init__(self, publisher: MarketDataPublisher, outbox: Outbox):
        self.publisher = publisher
        self.outbox = outbox
        self._live: dict[SessionId, dict[str, MarketDataSubscription]] = {}

    def on_request(self, session: SessionId, fields: Fields) -> list[Message]:
        """The replies to send now: W per instrument, a Y, or nothing (unsubscribe)."""
        body = Body(fields)
        req_id = body.get(MDTag.MDReqID)
        live = self._live.get(session, {})
        if body.get(MDTag.SubscriptionRequestType) == UNSUBSCRIBE:
            ended = live.pop(req_id, None)
            if ended is None:
                text = f"no live subscription with MDReqID (262) {req_id!r} to end"
                return [_reject(req_id, None, text)]
            ended.close()
            return []
        try:
            request = read_request(body, fields, live, self.publisher.instruments())
        except Refused as refused:
            return [_reject(req_id, refused.reason, refused.text)]
        if request.kind == SNAPSHOT:
            return [
                full_refresh(request, self.publisher.snapshot(symbol), {})
                for symbol in request.symbols
            ]
        snapshots: list[Message] = []
        subscription = MarketDataSubscription(request, snapshots.append)
        subscription.source = self.publisher.subscribe(subscription.deliver, request.symbols)
        subscription.send = partial(self.outbox.send, session)
        self._live.setdefault(session, {})[req_id] = subscription
        return snapshots

    def on_logout(self, session: SessionId) -> None:
        """A session's subscriptions end with it; a member re-subscribes after logon."""
        for subscription in self._live.pop(session, {}).values():
            subscription.close()

    def subscriptions(self, session: SessionId) -> list[str]:
        """The MDReqIDs live on `session`."""
        return list(self._live.get(session, {}))


class MarketDataSubscription:
    """One MDReqID: turns the publisher's messages for its instruments into W and X,
    remembering the levels it has shown, so each depth update becomes the entries that
    changed."""

    __slots__ = ("_shown", "request", "send", "source")

    def __init__(self, request: Request, send: Callable[[Message], object]):
        self.request = request
        self.send = send
        self.source: Subscription | None = None
        self._shown: Shown = {}

    def deliver(self, message: MarketMessage) -> None:
        kind = type(message)
        if kind is Snapshot:
            self.send(full_refresh(self.request, message, self._shown))
        elif kind is Depth:
            entries = self._book_changes(message)
            if entries:
                self.send(_message("X", [(MDTag.MDReqID, self.request.req_id)], entries))
        elif kind is TradePrint and self.request.trades:
            entry = [
                (MDTag.MDUpdateAction, NEW),
                (MDTag.MDEntryType, TRADE),
                (MDTag.MDEntryID, str(message.trade_id)),
                (MDTag.Symbol, message.instrument),
                *_trade(message),
            ]
            self.send(_message("X", [(MDTag.MDReqID, self.request.req_id)], [entry]))

    def close(self) -> None:
        if self.source is not None:
            self.source.close()

    def _book_changes(self, depth: Depth) -> list[Entry]:
        entries: list[Entry] = []
        for entry_type in self.request.book_types:
            key = (depth.instrument, entry_type)
            levels = _side(depth, entry_type)
            seen, before = self._shown.get(key, (None, []))
            if levels is seen:
                continue  # unchanged: the publisher rebuilds only the side that changed
            after = levels[: self.request.depth]
            self._shown[key] = (levels, after)
            if after != before:
                entries += level_changes(depth.instrument, entry_type, before, after)
        return entries


def read_request(
    body: Body, fields: Fields, live: Collection[str], instruments: Collection[str]
) -> Request:
    """A snapshot or subscription request, or `Refused` naming the first thing this
    exchange does not offer. The session layer has already checked the dictionary."""
    req_id = body.get(MDTag.MDReqID)
    kind = body.get(MDTag.SubscriptionRequestType)
    if kind not in (SNAPSHOT, SUBSCRIBE):
        raise Refused(
            RejectReason.UNSUPPORTED_SUBSCRIPTION_REQUEST_TYPE,
            f"SubscriptionRequestType (263) {kind!r} is not offered: 0 snapshot, "
            "1 snapshot and updates, 2 end a subscription",
        )
    if req_id in live:
        raise Refused(
            RejectReason.DUPLICATE_MD_REQ_ID,
            f"MDReqID (262) {req_id!r} already names a live subscription on this session: "
            "choose another, or end it with SubscriptionRequestType (263) 2",
        )
    if kind == SUBSCRIBE and len(live) >= MAX_SUBSCRIPTIONS:
        raise Refused(
            RejectReason.INSUFFICIENT_BANDWIDTH,
            f"at most {MAX_SUBSCRIPTIONS} live subscriptions per session: end one first "
            "(one subscription may name several instruments)",
        )
    symbols = tuple(dict.fromkeys(_values(fields, MDTag.Symbol)))
    unknown = [symbol for symbol in symbols if symbol not in instruments]
    if not symbols or unknown:
        raise Refused(
            RejectReason.UNKNOWN_SYMBOL,
            f"unknown Symbol (55) {', '.join(unknown)}; the instruments are "
            f"{', '.join(sorted(instruments))}"
            if unknown
            else "name at least one instrument: NoRelatedSym (146) with Symbol (55)",
        )
    depth = body.get(MDTag.MarketDepth)
    if not depth.isdigit() or not 1 <= int(depth) <= DEPTH:
        raise Refused(
            RejectReason.UNSUPPORTED_MARKET_DEPTH,
            f"MarketDepth (264) {depth!r} is not offered: 1 (top of book) to {DEPTH} levels",
        )
    if kind == SUBSCRIBE and body.get(MDTag.MDUpdateType) not in ("", "1"):
        raise Refused(
            RejectReason.UNSUPPORTED_MD_UPDATE_TYPE,
            "MDUpdateType (265) 0 (full refresh) is not offered: send 1 (incremental) or omit it",
        )
    if body.get(MDTag.AggregatedBook) == "N":
        raise Refused(
            RejectReason.UNSUPPORTED_AGGREGATED_BOOK,
            "AggregatedBook (266) N is not offered: the book is published by price level (Y)",
        )
    entry_types = tuple(dict.fromkeys(_values(fields, MDTag.MDEntryType)))
    others = [t for t in entry_types if t not in (BID, OFFER, TRADE)]
    if not entry_types or others:
        raise Refused(
            RejectReason.UNSUPPORTED_MD_ENTRY_TYPE,
            f"MDEntryType (269) {' '.join(others) or 'missing'}: offered are 0 bid, 1 offer, "
            "2 trade",
        )
    if body.get(MDTag.NoTradingSessions) not in ("", "0"):
        raise Refused(
            RejectReason.UNSUPPORTED_TRADING_SESSION_ID,
            "the exchange has one continuous session: omit NoTradingSessions (386)",
        )
    if body.get(MDTag.Scope) not in ("", "1"):
        raise Refused(
            RejectReason.UNSUPPORTED_SCOPE,
            "Scope (546) must be 1 (local market) or omitted: this is the exchange's own book",
        )
    if body.has(MDTag.OpenCloseSettlFlag):
        raise Refused(
            RejectReason.UNSUPPORTED_OPEN_CLOSE_SETTLE_FLAG,
            "OpenCloseSettlFlag (286) is not offered: omit it",
        )
    return Request(
        req_id,
        kind,
        symbols,
        tuple(t for t in _BOOK_TYPES if t in entry_types),
        TRADE in entry_types,
        int(depth),
    )


def full_refresh(request: Request, snapshot: Snapshot, shown: Shown) -> Message:
    """W for one instrument; records in `shown` the levels it shows."""
    symbol = snapshot.instrument
    entries: list[Entry] = []
    for entry_type in request.book_types:
        side = _side(snapshot.depth, entry_type)
        levels = side[: request.depth]
        shown[(symbol, entry_type)] = (side, levels)
        entries += [
            [(MDTag.MDEntryType, entry_type), *_level(level, rank)]
            for rank, level in enumerate(levels, 1)
        ]
    last = next((trade for trade in reversed(snapshot.trades) if not trade.block), None)
    if request.trades and last is not None:  # the last book trade
        entries.append([(MDTag.MDEntryType, TRADE), *_trade(last)])
    return _message("W", [(MDTag.MDReqID, request.req_id), (MDTag.Symbol, symbol)], entries)


def level_changes(
    symbol: str, entry_type: str, before: list[Level], after: list[Level]
) -> list[Entry]:
    """The X entries that turn the levels `before` into `after`, keyed by price."""
    shown = {level.price: level for level in before}
    remaining = {level.price for level in after}
    head = [(MDTag.MDEntryType, entry_type), (MDTag.Symbol, symbol)]
    entries: list[Entry] = [
        [
            (MDTag.MDUpdateAction, DELETE),
            *head,
            (MDTag.MDEntryPx, level.price),
            (MDTag.MDEntryPositionNo, str(rank)),
        ]
        for rank, level in enumerate(before, 1)
        if level.price not in remaining
    ]
    for rank, level in enumerate(after, 1):
        previous = shown.get(level.price)
        if previous != level:
            action = NEW if previous is None else CHANGE
            entries.append([(MDTag.MDUpdateAction, action), *head, *_level(level, rank)])
    return entries


def _side(depth: Depth, entry_type: str) -> list[Level]:
    return depth.bids if entry_type == BID else depth.asks


def _level(level: Level, rank: int) -> Entry:
    return [
        (MDTag.MDEntryPx, level.price),
        (MDTag.MDEntrySize, str(level.quantity)),
        (MDTag.NumberOfOrders, str(level.orders)),
        (MDTag.MDEntryPositionNo, str(rank)),
    ]


def _trade(trade: TradePrint) -> Entry:
    """A trade entry; a block trade's says so in Text (FIX 4.4's TradeCondition has no
    value for a negotiated block)."""
    date, time = format_utc_timestamp(trade.ts).split("-")
    entry = [
        (MDTag.MDEntryPx, trade.price),
        (MDTag.MDEntrySize, str(trade.quantity)),
        (MDTag.MDEntryDate, date),
        (MDTag.MDEntryTime, time),
    ]
    if trade.block:
        entry.append((MDTag.Text, BLOCK_TRADE_TEXT))
    return entry


def _message(msg_type: str, head: Entry, entries: list[Entry]) -> Message:
    message = Message.of(msg_type, *head, (MDTag.NoMDEntries, str(len(entries))))
    for entry in entries:
        message.fields += entry
    return message


def _reject(req_id: str, reason: RejectReason | None, text: str) -> Message:
    fields: Entry = [(MDTag.MDReqID, req_id)]
    if reason is not None:
        fields.append((MDTag.MDReqRejReason, reason.value))
    return Message.of("Y", *fields, (MDTag.Text, text))


def _values(fields: Iterable[tuple[int, str]], tag: int) -> list[str]:
    return [value for field_tag, value in fields if field_tag == tag]

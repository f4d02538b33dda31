"""The market-data publisher: engine events in, market-data messages out.

Feed it every event of the stream in order (`apply`); it keeps one `InstrumentFeed` per
instrument and returns the messages each event caused, and hands them to subscribers.
A subscriber first gets a snapshot of each instrument it asked for, then every later
message of those instruments, numbered per instrument so it can tell when it missed one
(see continuity.py). A websocket, REST, FIX or stream-topic layer forwards these; a
forwarder that cannot keep up may drop messages, and its client re-snapshots on the gap.

Events it has already applied (a redelivery, `seq` at or below the last) change nothing;
an event that skips ahead is refused, since the book would silently be wrong after it.
"""

import logging
from collections.abc import Callable, Iterable

from engine.events import (
    DayClosed,
    Event,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    ReferencePriceSet,
    Trade,
    TradingStatus,
)
from engine.orders import SelfTradePrevention
from engine.reference import ReferenceData, price_band
from surveillance.market_data.auction_results import AUCTION_EVENTS, AuctionPublication
from surveillance.market_data.bulletin_history import (
    BulletinHistory,
    BulletinStore,
    DuplicateBulletin,
)
from surveillance.market_data.instrument_feed import InstrumentFeed
from surveillance.market_data.messages import Bar, Message, Snapshot, TradePrint

log = logging.getLogger("tcx.market_data")

Deliver = Callable[[Message], None]

# Events that concern one instrument's feed only, and the feed's method for each.
_INSTRUMENT_EVENTS: dict[type, Callable[[InstrumentFeed, Event], list[Message]]] = {
    OrderAccepted: InstrumentFeed.on_accepted,
    OrderCancelled: InstrumentFeed.on_cancelled,
    OrderAmended: InstrumentFeed.on_amended,
    Trade: InstrumentFeed.on_trade,
    ReferencePriceSet: InstrumentFeed.on_reference,
}


class EventGap(ValueError):
    def __init__(self, expected: int, got: int):
        super().__init__(
            f"event seq {got} skips ahead: expected {expected}; the events between are missing"
        )
        self.expected = expected
        self.got = got


class UnknownInstrument(LookupError):
    def __init__(self, symbol: str):
        super().__init__(f"no market data for instrument {symbol!r}")
        self.symbol = symbol


class Subscription:
    """One subscriber. If its `deliver` raises, the subscription closes and keeps the error,
    so one broken connection never stops the feed for the others."""

    __slots__ = ("_publisher", "closed", "deliver", "error", "instruments")

    def __init__(
        self,
        publisher: "MarketDataPublisher",
        deliver: Deliver,
        instruments: frozenset[str] | None,
    ):
        self._publisher = publisher
        self.deliver = deliver
        self.instruments = instruments  # None: every instrument, including later ones
        self.closed = False
        self.error: Exception | None = None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._publisher._unsubscribe(self)


class MarketDataPublisher:
    def __init__(
        self,
        reference: ReferenceData,
        store: BulletinStore | None = None,
        *,
        next_event_seq: int = 1,
        tape_length: int = 500,
        bar_history: int = 240,
    ):
        """`store` keeps the daily bulletins (in memory by default) and tells each
        instrument its last close and totals since listing. `next_event_seq` is the first
        event this publisher expects (1 for a stream from the start)."""
        if tape_length < 1 or bar_history < 1:
            raise ValueError("tape_length and bar_history must be at least 1")
        self.store: BulletinStore = store if store is not None else BulletinHistory()
        self._timezone = reference.calendar.timezone
        self._self_trade_cancels_both = (
            reference.rules.self_trade_prevention == SelfTradePrevention.CANCEL_BOTH
        )
        self._tape_length = tape_length
        self._bar_history = bar_history
        self.last_event_seq = next_event_seq - 1
        self._last_ts = 0
        self._market_halted = False
        self._feeds: dict[str, InstrumentFeed] = {}
        for symbol, instrument in reference.instruments.items():
            band = (
                price_band(instrument.reference_price, instrument.band_bps, instrument.tick)
                if instrument.reference_price
                else (0, 0)
            )
            self._feeds[symbol] = self._new_feed(symbol, instrument.reference_price, band)
        self._auctions = AuctionPublication()
        self._everything: list[Subscription] = []
        self._by_instrument: dict[str, list[Subscription]] = {}

    # -- the stream -----------------------------------------------------------------------

    def apply(self, event: Event) -> list[Message]:
        """The messages `event` caused (none for events that publish nothing)."""
        seq = event.seq
        if seq <= self.last_event_seq:
            return []
        if seq != self.last_event_seq + 1:
            raise EventGap(self.last_event_seq + 1, seq)
        kind = type(event)
        on_event = _INSTRUMENT_EVENTS.get(kind)
        if on_event is not None:
            messages = on_event(self._feed_for_event(event.instrument), event)
        elif kind is TradingStatus:
            messages = self._on_status(event)
        elif kind is DayClosed:
            messages = self._on_day_closed(event)
        elif kind in AUCTION_EVENTS:
            messages = self._auctions.apply(event, self._feed_for_event)
        else:
            messages = []
        self.last_event_seq = seq
        self._last_ts = event.ts
        if messages and (self._everything or self._by_instrument):
            self._deliver(messages)
        return messages

    def apply_all(self, events: Iterable[Event]) -> list[Message]:
        messages: list[Message] = []
        for event in events:
            messages += self.apply(event)
        return messages

    # -- subscribers and readers ----------------------------------------------------------

    def subscribe(self, deliver: Deliver, instruments: Iterable[str] | None = None) -> Subscription:
        """Delivers a snapshot of each instrument now, then their messages as they happen.
        `instruments` None means all, including instruments first seen later (whose
        channels then start at seq 1)."""
        wanted = None if instruments is None else frozenset(instruments)
        for symbol in wanted or ():
            self._feed(symbol)
        subscription = Subscription(self, deliver, wanted)
        if wanted is None:
            self._everything.append(subscription)
        else:
            for symbol in wanted:
                self._by_instrument.setdefault(symbol, []).append(subscription)
        for symbol in sorted(wanted if wanted is not None else self._feeds):
            self._send(subscription, self.snapshot(symbol))
        return subscription

    def snapshot(self, instrument: str) -> Snapshot:
        return self._feed(instrument).snapshot(self.last_event_seq, self._last_ts)

    def instruments(self) -> list[str]:
        return sorted(self._feeds)

    def tape(self, instrument: str) -> list[TradePrint]:
        """The recent trades, oldest first."""
        return self._feed(instrument).tape()

    def bars(self, instrument: str) -> list[Bar]:
        """The recent 1-minute bars, oldest first."""
        return self._feed(instrument).bars()

    def depth(self, instrument: str, side: int) -> dict[int, tuple[int, int]]:
        """Every level of one side of the visible book, price (fen) -> (quantity, orders)."""
        return self._feed(instrument).book.levels(side)

    # -- events ---------------------------------------------------------------------------

    def _on_status(self, event: TradingStatus) -> list[Message]:
        if event.instrument:
            return self._feed_for_event(event.instrument).on_status(event)
        self._market_halted = event.halted
        messages: list[Message] = []
        for feed in self._feeds.values():
            messages += feed.on_status(event)
        return messages

    def _on_day_closed(self, event: DayClosed) -> list[Message]:
        """One bulletin per instrument and day: a second close of a closed day (the
        end-of-day run twice) rolls the day but publishes and keeps no second bulletin."""
        feed = self._feed_for_event(event.instrument)
        bulletin = feed.bulletin_for(event)
        try:
            self.store.add(bulletin)
        except DuplicateBulletin as refused:
            log.warning("%s: event %d publishes no second bulletin", refused, event.seq)
            return feed.on_day_closed(event, None)
        return feed.on_day_closed(event, bulletin)

    # -- mechanics ------------------------------------------------------------------------

    def _feed(self, symbol: str) -> InstrumentFeed:
        feed = self._feeds.get(symbol)
        if feed is None:
            raise UnknownInstrument(symbol)
        return feed

    def _feed_for_event(self, symbol: str) -> InstrumentFeed:
        return self._feeds.get(symbol) or self._feed_seen_first(symbol)

    def _feed_seen_first(self, symbol: str) -> InstrumentFeed:
        """An instrument listed after this publisher's reference data was loaded: the
        engine is the authority, so it is followed from its first event, band unknown
        until its reference price is set."""
        feed = self._feeds[symbol] = self._new_feed(symbol, 0, (0, 0))
        feed.market_halted = self._market_halted
        return feed

    def _new_feed(self, symbol: str, reference_price: int, band: tuple[int, int]) -> InstrumentFeed:
        return InstrumentFeed(
            symbol,
            self._timezone,
            reference_price,
            band,
            self.store.latest(symbol, before_event_seq=self.last_event_seq + 1),
            self._tape_length,
            self._bar_history,
            self._self_trade_cancels_both,
        )

    def _deliver(self, messages: list[Message]) -> None:
        for message in messages:
            # Copies: a subscription whose delivery fails leaves these lists on the way.
            subscribers = self._by_instrument.get(message.instrument, ())
            for subscription in (*self._everything, *subscribers):
                self._send(subscription, message)

    def _send(self, subscription: Subscription, message: Message) -> None:
        if subscription.closed:
            return
        try:
            subscription.deliver(message)
        except Exception as exc:
            subscription.error = exc
            subscription.close()

    def _unsubscribe(self, subscription: Subscription) -> None:
        if subscription.instruments is None:
            self._everything.remove(subscription)
            return
        for symbol in subscription.instruments:
            subscribers = self._by_instrument[symbol]
            subscribers.remove(subscription)
            if not subscribers:
                del self._by_instrument[symbol]

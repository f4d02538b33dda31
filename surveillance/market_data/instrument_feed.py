"""Everything published about one instrument, and its channel of messages.

An `InstrumentFeed` follows the events that concern its instrument and answers each with
the messages that changed: a quote when the best prices or the last trade moved, the depth
when one of the best five levels did, a trade print and its bar for each trade, the state
on a halt, resume or new band, the daily bulletin at the close. Each message takes the next
number of the instrument's channel (`seq`).
"""

from collections import deque

from engine.events import (
    BlockTrade,
    DayClosed,
    Event,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    ReferencePriceSet,
    Trade,
    TradingStatus,
)
from engine.money import parse_cny
from engine.orders import Side
from surveillance.market_data.bars import MinuteBar, MinuteBars, Ohlcv
from surveillance.market_data.bulletin import daily_bulletin
from surveillance.market_data.depth import DepthBook
from surveillance.market_data.messages import (
    Bar,
    DailyBulletin,
    Depth,
    InstrumentState,
    Level,
    Message,
    Quote,
    Snapshot,
    TradePrint,
    money_text,
    price_text,
)

_BUY = Side.BUY.value
_SELL = Side.SELL.value
_AGGRESSOR = {_BUY: "buy", _SELL: "sell"}


class InstrumentFeed:
    __slots__ = (
        "_asks",
        "_bars",
        "_bids",
        "_blocks",
        "_minute",
        "_tape",
        "band_high",
        "band_low",
        "book",
        "bulletin",
        "cumulative_turnover",
        "cumulative_volume",
        "day",
        "halted",
        "last_price",
        "last_quantity",
        "market_halted",
        "previous_close",
        "reference_price",
        "seq",
        "status_reason",
        "symbol",
    )

    def __init__(
        self,
        symbol: str,
        timezone: str,
        reference_price: int,
        band: tuple[int, int],
        last_bulletin: DailyBulletin | None,
        tape_length: int,
        bar_history: int,
        self_trade_cancels_both: bool,
    ):
        self.symbol = symbol
        self.book = DepthBook(self_trade_cancels_both)
        self._bids: list[Level] = []  # the published top levels, rebuilt per side on change
        self._asks: list[Level] = []
        self._minute = MinuteBars(timezone)
        self._bars: deque[Bar] = deque(maxlen=bar_history)
        self._tape: deque[TradePrint] = deque(maxlen=tape_length)
        self._blocks: list[TradePrint] = []  # today's block trades
        self.seq = 0
        self.market_halted = False
        self.halted = False
        self.status_reason = ""
        self.reference_price = reference_price
        self.band_low, self.band_high = band
        self.last_price = 0
        self.last_quantity = 0
        self.day: Ohlcv | None = None  # until the day's first trade
        self.bulletin = last_bulletin
        # Before the first close the reference price (set by the supervisor) stands in.
        self.previous_close = 0
        self.cumulative_volume = self.cumulative_turnover = 0
        if last_bulletin is not None:
            self.previous_close = parse_cny(last_bulletin.close or "0")
            self.cumulative_volume = last_bulletin.cumulative_volume
            self.cumulative_turnover = parse_cny(last_bulletin.cumulative_turnover)

    # -- events ---------------------------------------------------------------------------

    def on_accepted(self, event: OrderAccepted) -> list[Message]:
        self.book.accept(event)
        return self._book_messages(event, [])

    def on_cancelled(self, event: OrderCancelled) -> list[Message]:
        self.book.cancel(event)
        return self._book_messages(event, [])

    def on_amended(self, event: OrderAmended) -> list[Message]:
        self.book.amend(event)
        return self._book_messages(event, [])

    def on_trade(self, event: Trade) -> list[Message]:
        price, quantity = event.price, event.quantity
        self.book.trade(event)
        self.last_price = price
        self.last_quantity = quantity
        if self.day is None:
            self.day = Ohlcv(price)
        self.day.add(price, quantity)
        trade = TradePrint(
            instrument=self.symbol,
            seq=self._next(),
            event_seq=event.seq,
            ts=event.ts,
            trade_id=event.trade_id,
            price=price_text(price),
            quantity=quantity,
            aggressor=_AGGRESSOR[event.aggressor_side],
        )
        self._tape.append(trade)
        minute, is_new = self._minute.add(event.ts, price, quantity)
        bar = self._bar(minute, event)
        if not is_new:
            self._bars.pop()
        self._bars.append(bar)
        self.book.quote_changed = True  # the last trade is part of the quote
        return self._book_messages(event, [trade, bar])

    def on_block_trade(self, event: BlockTrade) -> list[Message]:
        """On the tape, flagged; nothing else moves: a block is not a book trade."""
        trade = TradePrint(
            instrument=self.symbol,
            seq=self._next(),
            event_seq=event.seq,
            ts=event.ts,
            trade_id=event.trade_id,
            price=price_text(event.price),
            quantity=event.quantity,
            aggressor="none",
            block=True,
        )
        self._tape.append(trade)
        self._blocks.append(trade)
        return [trade]

    def on_status(self, event: TradingStatus) -> list[Message]:
        """A market-wide halt or resume (instrument "") and the instrument's own are kept
        apart: the instrument trades only when neither is in force."""
        if event.instrument:
            self.halted = event.halted
        else:
            self.market_halted = event.halted
        self.status_reason = event.reason
        return [self._state(event)]

    def on_reference(self, event: ReferencePriceSet) -> list[Message]:
        self.reference_price = event.reference_price
        self.band_low = event.band_low
        self.band_high = event.band_high
        return [self._state(event)]

    def bulletin_for(self, event: DayClosed) -> DailyBulletin:
        """The day's bulletin, built before anything changes so that a store may refuse it."""
        return daily_bulletin(
            event,
            self.seq + 1,
            self.previous_close or self.reference_price,
            self.cumulative_volume,
            self.cumulative_turnover,
            sum(block.quantity for block in self._blocks),
            sum(parse_cny(block.price) * block.quantity for block in self._blocks),
        )

    def on_day_closed(self, event: DayClosed, bulletin: DailyBulletin | None) -> list[Message]:
        """Publishes the kept bulletin, rolls the band and starts the next day's figures
        (the last trade stays on the quote until the next one). No bulletin: the store
        refused it (the day was already closed), and the day rolls without one."""
        if bulletin is not None:
            self._next()
            self.bulletin = bulletin
        self.previous_close = event.close_price
        self.cumulative_volume += event.volume
        self.cumulative_turnover += event.turnover
        for block in self._blocks:
            self.cumulative_volume += block.quantity
            self.cumulative_turnover += parse_cny(block.price) * block.quantity
        self._blocks = []
        self.reference_price = event.next_reference
        self.band_low = event.next_band_low
        self.band_high = event.next_band_high
        self.day = None
        rolled = [self._state(event), self._quote(self._next(), event.seq, event.ts)]
        return rolled if bulletin is None else [bulletin, *rolled]

    # -- reading --------------------------------------------------------------------------

    def snapshot(self, event_seq: int, ts: int) -> Snapshot:
        """`event_seq` and `ts` are those of the last event applied."""
        seq = self.seq
        return Snapshot(
            instrument=self.symbol,
            seq=seq,
            event_seq=event_seq,
            ts=ts,
            state=self._state_at(seq, event_seq, ts),
            quote=self._quote(seq, event_seq, ts),
            depth=self._depth(seq, event_seq, ts),
            trades=list(self._tape),
            bars=list(self._bars),
            bulletin=self.bulletin,
        )

    def tape(self) -> list[TradePrint]:
        return list(self._tape)

    def blocks(self) -> list[TradePrint]:
        """Today's block trades, oldest first."""
        return list(self._blocks)

    def bars(self) -> list[Bar]:
        return list(self._bars)

    # -- messages -------------------------------------------------------------------------

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def _book_messages(self, event: Event, messages: list[Message]) -> list[Message]:
        book = self.book
        if book.quote_changed:
            book.quote_changed = False
            messages.append(self._quote(self._next(), event.seq, event.ts))
        if book.depth_changed:
            self._levels(book.depth_changed)
            book.depth_changed = 0
            messages.append(self._depth(self._next(), event.seq, event.ts))
        return messages

    def _state(self, event: Event) -> InstrumentState:
        return self._state_at(self._next(), event.seq, event.ts)

    def _state_at(self, seq: int, event_seq: int, ts: int) -> InstrumentState:
        return InstrumentState(
            instrument=self.symbol,
            seq=seq,
            event_seq=event_seq,
            ts=ts,
            status="halted" if self.halted or self.market_halted else "trading",
            market_halted=self.market_halted,
            instrument_halted=self.halted,
            reason=self.status_reason,
            reference_price=price_text(self.reference_price),
            band_low=price_text(self.band_low),
            band_high=price_text(self.band_high),
        )

    def _quote(self, seq: int, event_seq: int, ts: int) -> Quote:
        bid_price, bid_quantity = self.book.best(_BUY)
        ask_price, ask_quantity = self.book.best(_SELL)
        day = self.day
        return Quote(
            instrument=self.symbol,
            seq=seq,
            event_seq=event_seq,
            ts=ts,
            bid_price=price_text(bid_price),
            bid_quantity=bid_quantity,
            ask_price=price_text(ask_price),
            ask_quantity=ask_quantity,
            last_price=price_text(self.last_price),
            last_quantity=self.last_quantity,
            open=price_text(day.open) if day else None,
            high=price_text(day.high) if day else None,
            low=price_text(day.low) if day else None,
            volume=day.volume if day else 0,
            turnover=money_text(day.turnover if day else 0),
        )

    def _levels(self, sides: int) -> None:
        """Rebuilds the published levels of the sides in `sides` (bit 1 << side)."""
        if sides & (1 << _BUY):
            self._bids = [Level(price_text(p), q, n) for p, q, n in self.book.top(_BUY)]
        if sides & (1 << _SELL):
            self._asks = [Level(price_text(p), q, n) for p, q, n in self.book.top(_SELL)]

    def _depth(self, seq: int, event_seq: int, ts: int) -> Depth:
        """The lists are shared between messages and never changed once sent."""
        return Depth(
            instrument=self.symbol,
            seq=seq,
            event_seq=event_seq,
            ts=ts,
            bids=self._bids,
            asks=self._asks,
        )

    def _bar(self, bar: MinuteBar, event: Trade) -> Bar:
        return Bar(
            instrument=self.symbol,
            seq=self._next(),
            event_seq=event.seq,
            ts=event.ts,
            start=bar.start,
            start_ts=bar.start_ts,
            open=price_text(bar.open),
            high=price_text(bar.high),
            low=price_text(bar.low),
            close=price_text(bar.close),
            volume=bar.volume,
            turnover=money_text(bar.turnover),
            trades=bar.trades,
        )

"""The market-data messages: what the public feed, REST and the stream topic carry.

This is an edge, so prices and money are decimal CNY text ("50.00", engine.money.format_cny):
any JSON reader gets exact values without knowing about fen. A price that does not exist
(no bid, nothing traded yet) is null. Quantities are whole tonnes.

Every message carries `seq`, its instrument channel's sequence number: gapless per
instrument, so a subscriber that sees it jump knows it missed something and asks for a new
snapshot. A snapshot's `seq` is that of the last message it already includes. `event_seq`
names the engine event a message came from, `ts` that event's time (ns since epoch, UTC).

`SCHEMA_VERSION` is bumped on any incompatible change to these messages: the stream topic
(stream_topic.py) writes it in front of every batch, and a reader of another version
refuses the batch whole, with a reason, as the engine's events are refused.
"""

from functools import lru_cache

import msgspec

from engine.money import format_cny

SCHEMA_VERSION = 1

# Prices repeat heavily (a band is about 2,000 ticks wide), so formatting is cached.
_price_text = lru_cache(maxsize=65_536)(format_cny)


def price_text(fen: int) -> str | None:
    """A price as decimal text; 0 (no such price) as None."""
    return _price_text(fen) if fen else None


def money_text(fen: int) -> str:
    return _price_text(fen)


class Message(msgspec.Struct, tag_field="type", kw_only=True):
    instrument: str
    seq: int
    event_seq: int
    ts: int


class Level(msgspec.Struct):
    """One price level of the book: total open quantity and how many orders make it."""

    price: str
    quantity: int
    orders: int


class Quote(Message, tag="quote"):
    """Best bid and offer, last trade and the day's running figures."""

    bid_price: str | None
    bid_quantity: int
    ask_price: str | None
    ask_quantity: int
    last_price: str | None
    last_quantity: int
    open: str | None
    high: str | None
    low: str | None
    volume: int
    turnover: str


class Depth(Message, tag="depth"):
    """The best five levels each side, best first; replaces the previous depth whole."""

    bids: list[Level]
    asks: list[Level]


class TradePrint(Message, tag="trade"):
    """One entry on the trade tape. Anonymous: no accounts or order ids, as on the book."""

    trade_id: int
    price: str
    quantity: int
    aggressor: str  # "buy" or "sell": the side of the incoming order


class Bar(Message, tag="bar"):
    """A 1-minute OHLCV bar, re-sent on every trade in its minute; a bar with a later
    `start` means the earlier one is complete. Only minutes with trades have bars."""

    start: str  # local time of the minute's start, ISO 8601 with offset
    start_ts: int
    open: str
    high: str
    low: str
    close: str
    volume: int
    turnover: str
    trades: int


class InstrumentState(Message, tag="state"):
    status: str  # "trading" or "halted"
    market_halted: bool
    instrument_halted: bool
    reason: str  # the supervisor's reason for the last halt or resume
    reference_price: str | None
    band_low: str | None
    band_high: str | None


class DailyBulletin(Message, tag="bulletin"):
    """One instrument's trading day, published at its close and kept as history.

    `close` is the volume-weighted average price of the day's book trades, or the previous
    close carried over (`carried_over`). Block trades are not yet reported by the engine,
    so `block_volume` and `block_turnover` are 0 until they are."""

    trading_date: str
    open: str | None
    high: str | None
    low: str | None
    close: str | None
    carried_over: bool
    previous_close: str | None
    change: str | None
    change_percent: str | None  # of the previous close, to 0.01 %, half away from zero
    volume: int
    turnover: str
    block_volume: int
    block_turnover: str
    cumulative_volume: int  # since listing, book and block
    cumulative_turnover: str


class Snapshot(Message, tag="snapshot"):
    """Everything a new subscriber needs; incrementals follow from `seq` + 1."""

    state: InstrumentState
    quote: Quote
    depth: Depth
    trades: list[TradePrint]  # the recent tape, oldest first
    bars: list[Bar]  # recent bars, oldest first
    bulletin: DailyBulletin | None  # the last daily bulletin


class AuctionResult(Message, tag="auction"):
    """A government auction's published results, on its instrument's channel, in two
    steps (§2): `step` 1 at the clearing (price and volume sold), `step` 2 when the
    engine publishes the rest (the fields that are null in step 1)."""

    auction_id: str
    step: int
    volume: int  # offered
    price: str | None  # the uniform clearing price; null when nothing was sold
    volume_sold: int
    cancelled: bool
    bid_volume: int | None = None
    cover_ratio: str | None = None  # bid volume / volume offered, e.g. "1.25"
    bidders: int | None = None
    winners: int | None = None
    revenue: str | None = None
    compliance_volume: int | None = None
    investor_volume: int | None = None
    min_bid: str | None = None
    max_bid: str | None = None
    mean_bid: str | None = None
    hhi: int | None = None


AnyMessage = (
    Quote | Depth | TradePrint | Bar | InstrumentState | DailyBulletin | Snapshot | AuctionResult
)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(AnyMessage)

encode_message = _encoder.encode
decode_message = _decoder.decode

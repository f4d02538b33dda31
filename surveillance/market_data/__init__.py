"""Price publication: the public market data computed from the engine's event stream.

    publisher = MarketDataPublisher(load_reference_data())
    subscription = publisher.subscribe(outbox.append, ["TJEA25"])  # a snapshot first
    for event in stream:
        publisher.apply(event)  # quotes, depth, trades, bars, state, bulletins -> outbox
    encode_message(outbox[-1])  # JSON, prices as decimal CNY text

Real time: best bid/offer and last trade with the day's figures (Quote), the best five
levels (Depth), the trade tape (TradePrint), 1-minute OHLCV bars (Bar), halted or trading
and the band (InstrumentState). At each day's close: the daily bulletin (DailyBulletin),
kept in a BulletinStore (in memory: BulletinHistory) and exportable as JSON or CSV.
"""

from surveillance.market_data.bulletin_history import (
    BulletinHistory,
    BulletinStore,
    DuplicateBulletin,
    bulletins_from_json,
    bulletins_to_csv,
    bulletins_to_json,
)
from surveillance.market_data.continuity import Continuity, SequenceTracker
from surveillance.market_data.messages import (
    AnyMessage,
    Bar,
    DailyBulletin,
    Depth,
    InstrumentState,
    Level,
    Message,
    Quote,
    Snapshot,
    TradePrint,
    decode_message,
    encode_message,
)
from surveillance.market_data.publisher import (
    EventGap,
    MarketDataPublisher,
    Subscription,
    UnknownInstrument,
)

__all__ = [
    "AnyMessage",
    "Bar",
    "BulletinHistory",
    "BulletinStore",
    "Continuity",
    "DailyBulletin",
    "Depth",
    "DuplicateBulletin",
    "EventGap",
    "InstrumentState",
    "Level",
    "MarketDataPublisher",
    "Message",
    "Quote",
    "SequenceTracker",
    "Snapshot",
    "Subscription",
    "TradePrint",
    "UnknownInstrument",
    "bulletins_from_json",
    "bulletins_to_csv",
    "bulletins_to_json",
    "decode_message",
    "encode_message",
]

"""The market-data topic: every message the publisher makes, on the stream.

Surveillance applies each batch of engine events to the `MarketDataPublisher` and puts the
messages it made (quote, depth, trade, bar, state, bulletin; never snapshots) on
`tcx.marketdata` in the order they were made, in envelopes of the market data's own schema
version (messages.SCHEMA_VERSION), msgpack maps tagged by `type` as in the JSON feed.

- Keys and order: each message is keyed by its instrument and the topic has one
  partition, so the topic's order is the engine's event order, and each instrument's
  messages carry its channel's gapless `seq`. More partitions would keep each instrument's
  order (the key) but not the order across instruments.
- Delivery is at least once: a publisher retry, or a surveillance restart, can repeat
  messages. They repeat with the same `seq`, so a reader drops what it has seen
  (`MarketDataReader`). A restarted surveillance rebuilds the market data from the day's
  events, as it always does, and publishes only from the event of the topic's last message
  on (`TopicPublication`): the topic gets neither a gap nor the day a second time.
- It is a feed, not a ledger: nothing consumes it to keep books. Every message but a trade
  print replaces its kind whole, so the last quote, depth, state and bar of an instrument
  on the topic are its current picture; a reader from the topic's beginning (it keeps the
  day, as the events topic does) has the whole day, one from its end has what happens
  next, and `/api/market` gives a snapshot to start from.
- A message that is not a readable envelope of this version is quarantined by the stream
  (`tcx.marketdata.quarantine` on Kafka) with the reason, and the reader goes on.
"""

from collections.abc import Sequence

from prometheus_client import Counter

from engine.envelope import Envelopes
from engine.stream import Publisher, Stream, Topic
from surveillance.market_data.messages import SCHEMA_VERSION, AnyMessage, Message

MARKET_DATA_TOPIC = "tcx.marketdata"
ENVELOPES: Envelopes[AnyMessage] = Envelopes("market-data messages", AnyMessage, SCHEMA_VERSION)

PUBLISHED = Counter(
    "tcx_market_data_published", "Market-data messages published on the stream topic"
)


def market_data_topic(name: str = MARKET_DATA_TOPIC) -> Topic[AnyMessage]:
    return Topic(name, ENVELOPES)


class TopicPublication:
    """Puts the publisher's messages on the topic; after a restart, skips those made from
    events before the one the topic's last message came from (that event's messages go
    again, in case only some of them made it: readers drop the repeats)."""

    __slots__ = ("_publisher", "_resume_at", "_stream", "topic")

    def __init__(self, stream: Stream, topic: Topic[AnyMessage]) -> None:
        self._stream = stream
        self.topic = topic
        self._publisher: Publisher | None = None
        self._resume_at = 0  # event seq; 0 once reached

    async def start(self) -> None:
        """Learns where the topic stands; waits for the broker while it is away."""
        last = await self._stream.last_items(self.topic)
        self._resume_at = min((message.event_seq for message in last), default=0)
        self._publisher = self._stream.publisher()

    async def publish(self, messages: Sequence[Message]) -> None:
        if self._resume_at and messages:
            if messages[-1].event_seq < self._resume_at:
                return
            messages = [m for m in messages if m.event_seq >= self._resume_at]
            self._resume_at = 0
        if messages:
            await self._publisher.publish_to(self.topic, messages)
            PUBLISHED.inc(len(messages))

    async def close(self) -> None:
        if self._publisher is not None:
            await self._publisher.close()

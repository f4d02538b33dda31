"""Reading the market-data topic: each message once, in order, gaps noticed.

    reader = MarketDataReader(stream, market_data_topic(), "my-app", start="end")
    messages = await reader.next(timeout=1.0)  # fresh messages; repeats dropped
    await reader.commit()  # with start="committed": the next run resumes after them

A repeat (same instrument and `seq`, from a publisher retry or a surveillance restart) is
dropped. A gap (messages the topic no longer keeps, a reader that fell behind) is counted
in `gaps` and logged; the messages after it are kept, since each replaces its kind whole
(but the tape misses the trades in between; `/api/market/{symbol}/trades` has them).
"""

import logging

from engine.stream import Position, Start, Stream, Topic
from surveillance.market_data.continuity import Continuity, SequenceTracker
from surveillance.market_data.messages import AnyMessage

log = logging.getLogger("tcx.market_data.reader")


class MarketDataReader:
    def __init__(
        self, stream: Stream, topic: Topic[AnyMessage], name: str, start: Start = "committed"
    ) -> None:
        self._consumer = stream.topic_consumer(topic, name, start)
        self._tracker = SequenceTracker(joins_mid_stream=True)
        self._position: Position = {}
        self.gaps = 0

    async def next(self, timeout: float) -> list[AnyMessage]:
        """The fresh messages that came within `timeout` seconds, possibly none."""
        batch = await self._consumer.next_batch(timeout)
        self._position |= batch.position
        fresh = []
        for message in batch.items:
            continuity = self._tracker.observe(message)
            if continuity is Continuity.DUPLICATE:
                continue
            if continuity is Continuity.GAP:
                self.gaps += 1
                log.warning("gap on %s before seq %d", message.instrument, message.seq)
            fresh.append(message)
        return fresh

    async def commit(self) -> None:
        """Records what was read so far as done (a no-op unless started at "committed")."""
        if self._position:
            await self._consumer.commit(self._position)
            self._position = {}

    async def close(self) -> None:
        await self._consumer.close()

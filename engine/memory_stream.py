"""The in-process stream: the embedded default, one process, no broker.

A topic is a list of chunks, one per `publish` call, so publishing costs a list append
and reading hands out the published sequences without copying or encoding them. Each
consumer name has a committed position, as a Kafka consumer group has, so a component
restarted inside the process resumes where it committed. Chunks every consumer name
ever used on the topic has committed past are dropped, so a day of trading does not pile
up in memory (a name that stops committing holds them, as a lagging group would).

A `Topic` of another vocabulary (market data) has no reader that must see everything, and
may have no reader at all: it keeps what its open readers have not read yet, at most its
last `topic_retention` chunks (publishes), and with no reader only its last chunk. A
reader that falls further behind skips the oldest, as one would past a Kafka topic's
retention (the vocabulary's own numbering shows it the gap). Kept short because what is
kept stays alive for the garbage collector to walk, which costs the publisher more than
the publishing does.

Encoded envelopes can arrive from outside the process (`append_encoded`: a captured
Kafka topic, a bridge); they are decoded when read, and quarantined like on Kafka when
they cannot be.
"""

import asyncio
from collections.abc import Sequence
from typing import Any

from engine.command_intake import Resume
from engine.commands import Command
from engine.envelope import COMMANDS, EVENTS, EnvelopeError, Envelopes
from engine.events import Event
from engine.stream import Batch, Deduplicator, Position, Start, T, Topic, quarantine_log

TRIM_EVERY = 1024  # chunks; trimming moves the list, so do it in bulk


class _Log:
    __slots__ = ("base", "chunks", "committed", "readers", "retain", "wakeup")

    def __init__(self) -> None:
        self.base = 0  # the offset of chunks[0]
        self.chunks: list[Sequence[Any] | bytes] = []
        self.committed: dict[str, int] = {}
        self.retain: int | None = None  # a `Topic`'s: the most chunks kept for readers
        self.readers: dict[int, int] = {}  # a `Topic`'s open readers: id -> next offset
        self.wakeup: asyncio.Future[None] | None = None

    @property
    def end(self) -> int:
        return self.base + len(self.chunks)

    def append(self, chunk: Sequence[Any] | bytes) -> None:
        self.chunks.append(chunk)
        if self.wakeup is not None:
            if not self.wakeup.done():
                self.wakeup.set_result(None)
            self.wakeup = None

    async def wait_beyond(self, offset: int, timeout: float) -> None:
        if offset < self.end:
            return
        if self.wakeup is None:
            self.wakeup = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self.wakeup), timeout)
        except TimeoutError:
            return

    def trim(self) -> None:
        if self.retain is not None:
            unread = min(self.readers.values(), default=self.end)
            # the last chunk stays, so the topic's last item is still known
            keep_from = min(max(unread, self.end - self.retain), self.end - 1)
            droppable = keep_from - self.base
            bulk = max(1, len(self.chunks) // 2)  # amortised: at most one move per item
        elif not self.committed:
            return
        else:
            # the last chunk stays, so the topic's last seq is still known
            droppable = min(min(self.committed.values()) - self.base, len(self.chunks) - 1)
            bulk = TRIM_EVERY
        if droppable >= bulk:
            del self.chunks[:droppable]
            self.base += droppable


class MemoryStream:
    """Topics and committed positions of one process; create one per process."""

    def __init__(self, max_batch: int = 10_000, topic_retention: int = 16) -> None:
        self._logs: dict[str, _Log] = {}
        self.max_batch = max_batch  # items per batch, give or take the last chunk
        self.topic_retention = topic_retention  # chunks a `Topic` keeps (at least 1)
        self.quarantined: list[tuple[str, bytes, str]] = []  # topic, payload, reason

    def publisher(self) -> "MemoryPublisher":
        return MemoryPublisher(self)

    def events_consumer(
        self, topic: str, name: str, after_seq: int = 0, from_start: bool = False
    ) -> "MemoryConsumer":
        """`from_start` changes nothing here: the topics start empty with the process, and
        the engine republishes the day from its journal (gateway/exchange.py)."""
        return MemoryConsumer(self, topic, name, EVENTS, Deduplicator(after_seq))

    def commands_consumer(
        self, topic: str, name: str, resume: Resume | None = None
    ) -> "MemoryConsumer":
        """`resume` is not needed: nothing published before this process started is here."""
        return MemoryConsumer(self, topic, name, COMMANDS, None)

    def topic_consumer(
        self, topic: Topic[T], name: str, start: Start = "committed"
    ) -> "MemoryConsumer":
        self.topic_log(topic)
        return MemoryConsumer(self, topic.name, name, topic.envelopes, None, start)

    async def last_seq(self, topic: str) -> int:
        last = self._last_item(self.log(topic), EVENTS)
        return 0 if last is None else last.seq

    async def last_items(self, topic: Topic[T]) -> list[T]:
        last = self._last_item(self.topic_log(topic), topic.envelopes)
        return [] if last is None else [last]

    @staticmethod
    def _last_item(log: _Log, envelopes: Envelopes) -> Any:
        for chunk in reversed(log.chunks):
            try:
                items = envelopes.decode(chunk) if isinstance(chunk, bytes) else chunk
            except EnvelopeError:
                continue
            if items:
                return items[-1]
        return None

    def append_encoded(self, topic: str, payload: bytes) -> None:
        self.log(topic).append(payload)

    def log(self, topic: str) -> _Log:
        log = self._logs.get(topic)
        if log is None:
            log = self._logs[topic] = _Log()
        return log

    def topic_log(self, topic: Topic) -> _Log:
        log = self.log(topic.name)
        log.retain = max(1, self.topic_retention)
        return log


class MemoryPublisher:
    __slots__ = ("_stream",)

    def __init__(self, stream: MemoryStream) -> None:
        self._stream = stream

    async def publish(self, topic: str, items: Sequence[Event | Command]) -> None:
        if items:
            self._stream.log(topic).append(tuple(items))

    async def publish_to(self, topic: Topic[T], items: Sequence[T]) -> None:
        if items:
            log = self._stream.topic_log(topic)
            log.append(tuple(items))
            log.trim()

    async def flush(self) -> None:
        """Nothing to wait for: a published chunk is readable at once."""

    async def close(self) -> None:
        """Nothing to release: the topics belong to the stream."""


class MemoryConsumer:
    __slots__ = (
        "_commits",
        "_dedupe",
        "_envelopes",
        "_log",
        "_max_batch",
        "_name",
        "_offset",
        "_stream",
        "_topic",
    )

    def __init__(
        self,
        stream: MemoryStream,
        topic: str,
        name: str,
        envelopes: Envelopes,
        dedupe: Deduplicator | None,
        start: Start = "committed",
    ) -> None:
        self._stream = stream
        self._max_batch = stream.max_batch
        self._topic = topic
        self._name = name
        self._envelopes = envelopes
        self._dedupe = dedupe
        self._log = log = stream.log(topic)
        self._commits = start == "committed"
        if self._commits:
            self._offset = max(log.committed.setdefault(name, log.base), log.base)
        else:
            self._offset = log.base if start == "beginning" else log.end
        if log.retain is not None:
            log.readers[id(self)] = self._offset

    async def next_batch(self, timeout: float) -> Batch:
        log = self._log
        await log.wait_beyond(self._offset, timeout)
        chunks = log.chunks
        index = max(0, self._offset - log.base)  # a `Topic` may have dropped what was unread
        items: list[Any] = []
        while index < len(chunks) and len(items) < self._max_batch:
            chunk = chunks[index]
            items.extend(self._decode(chunk) if isinstance(chunk, bytes) else chunk)
            index += 1
        self._offset = log.base + index
        if log.retain is not None:
            log.readers[id(self)] = self._offset
        fresh = items if self._dedupe is None else self._dedupe.fresh(items)
        return Batch(fresh, {0: self._offset})

    def _decode(self, payload: bytes) -> list[Any]:
        return decode_or_quarantine(self._envelopes, self._topic, payload, self._stream.quarantined)

    def input_mark(self) -> None:
        return None

    async def commit(self, position: Position) -> None:
        if self._commits and 0 in position:
            self._log.committed[self._name] = position[0]
            self._log.trim()

    async def close(self) -> None:
        """The committed position stays with the stream; a `Topic` keeps no more for us."""
        self._log.readers.pop(id(self), None)


def decode_or_quarantine(
    envelopes: Envelopes, topic: str, payload: bytes, quarantined: list[tuple[str, bytes, str]]
) -> list[Any]:
    """A payload's items, or none: what does not decode is logged and kept in `quarantined`
    with its reason, as Kafka copies it to the quarantine topic."""
    try:
        return envelopes.decode(payload)
    except EnvelopeError as error:
        quarantine_log.warning("quarantined a message on %s: %s", topic, error)
        quarantined.append((topic, payload, str(error)))
        return []

"""The stream: how events leave the engine and commands reach it, whatever carries them.

Components are written against these Protocols only; `memory_stream.MemoryStream` (one
process, the embedded default) and `kafka_stream.KafkaStream` (separate processes over
Kafka) implement them, so a component never knows which transport it runs on.

Delivery is at least once. A consumer reads batches and commits the batch's `position`
after its own processing is durable; a restarted consumer resumes from its committed
position, so anything read but not committed comes again. Event consumers drop what they
have already seen by `seq` (see `Deduplicator`), which is what makes "at least once"
into "applied once" without any help from the broker.

Other components may carry a vocabulary of their own on the stream (surveillance's market
data): a `Topic` names the topic and the `Envelopes` that write and read its items, which
those components define; the transports carry it as they carry events, keyed by
`routing_key`, on one partition, undecodable messages quarantined the same way. The
engine knows nothing of what such a topic holds.
"""

import logging
from collections.abc import Sequence
from typing import Any, Generic, Literal, Protocol, TypeVar

from engine.command_intake import Resume
from engine.commands import Command
from engine.envelope import Envelopes
from engine.events import Event

T = TypeVar("T")

EVENTS_TOPIC = "tcx.events"
COMMANDS_TOPIC = "tcx.commands"
ADMIN_KEY = "admin"  # the key of items that belong to no instrument (accounts, cash, ...)

Position = dict[int, int]  # partition -> offset of the next message to read
Start = Literal["committed", "beginning", "end"]  # where a topic consumer starts reading

quarantine_log = logging.getLogger("tcx.stream.quarantine")


class Batch:
    """Items read together, and the position to commit once they have been applied."""

    __slots__ = ("items", "position")

    def __init__(self, items: Sequence[Any], position: Position) -> None:
        self.items = items
        self.position = position


class Topic(Generic[T]):
    """A topic of another vocabulary than the engine's: its name, and the envelopes its
    items travel in (their type and schema version)."""

    __slots__ = ("envelopes", "name")

    def __init__(self, name: str, envelopes: Envelopes[T]) -> None:
        self.name = name
        self.envelopes = envelopes


class Publisher(Protocol):
    async def publish(self, topic: str, items: Sequence[Event | Command]) -> None:
        """Queues `items` for the topic in order; never waits for the broker."""

    async def publish_to(self, topic: Topic[T], items: Sequence[T]) -> None:
        """Queues items of `topic`'s vocabulary in order, as `publish` does events."""

    async def flush(self) -> None:
        """Returns once everything published so far is on the stream."""

    async def close(self) -> None: ...


class Consumer(Protocol):
    async def next_batch(self, timeout: float) -> Batch:
        """The next items after what this consumer has read; empty after `timeout` seconds."""

    async def commit(self, position: Position) -> None:
        """Records that everything before `position` has been applied by this consumer."""

    async def close(self) -> None: ...


class CommandsConsumer(Consumer, Protocol):
    def input_mark(self) -> bytes | None:
        """Where the input stands after the batches read so far, for the engine to journal
        with their commands (engine/command_intake.py); None where a restart needs none."""


class Stream(Protocol):
    def publisher(self) -> Publisher: ...

    def events_consumer(
        self, topic: str, name: str, after_seq: int = 0, from_start: bool = False
    ) -> Consumer:
        """Reads from `name`'s committed position, skipping events with seq <= `after_seq`
        (the last seq the component applied) and any event delivered again. `from_start`
        reads the whole topic instead, committing nothing: for components that rebuild
        their state from the events each time they start (order views, detectors)."""

    def commands_consumer(
        self, topic: str, name: str, resume: Resume | None = None
    ) -> CommandsConsumer:
        """Reads commands exactly once: from `resume` (the engine's journal) where the
        transport outlives the process, dropping what was taken before."""

    async def last_seq(self, topic: str) -> int:
        """The highest seq on an events topic, 0 if none: a restarted engine publishes
        its journal's events above it, so a backlog lost with the process is not."""

    def topic_consumer(self, topic: Topic[T], name: str, start: Start = "committed") -> Consumer:
        """Reads `topic`'s items as they were published, duplicates included (the
        vocabulary says how to spot them). `start`: "committed" resumes from `name`'s
        committed position (the beginning if it has none); "beginning" and "end" read
        from there and commit nothing, for a reader that keeps no position."""

    async def last_items(self, topic: Topic[T]) -> list[T]:
        """The last readable item of each partition of `topic` that has one."""


class Deduplicator:
    """Drops events at or below the last seq seen: seqs only grow on an events topic, so
    anything not above it is a redelivery (a resent batch, a replay after a restart)."""

    __slots__ = ("last_seq",)

    def __init__(self, last_seq: int = 0) -> None:
        self.last_seq = last_seq

    def fresh(self, events: Sequence[Event]) -> list[Event]:
        last = self.last_seq
        kept = []
        for event in events:
            if event.seq > last:
                kept.append(event)
                last = event.seq
        self.last_seq = last
        return kept


def routing_key(item: Any) -> str:
    """Items of one instrument share a key, so a partitioned topic keeps their order."""
    return getattr(item, "instrument", "") or ADMIN_KEY


def quarantine_topic(topic: str) -> str:
    return f"{topic}.quarantine"

"""The engine as a service: commands from the stream, through the durable sequencer, events
back onto the stream.

One loop, one thread of control, and it never waits on the disk: the journal is a
pipelined group commit (engine/durable_sequencer.py). Commands read from the topic are
queued for the next journal record; when no fsync is running, the queued commands are
written as one record, its fdatasync starts on the journal's thread, and the record is
applied while the disk works. Meanwhile the loop goes on reading (and, in one process,
serving the gateway), so the next record fills with whatever arrives during the fsync:
one command when quiet, thousands under load. When the fsync lands, the next record is
cut at once, then the landed record's events are published, and only then is the input
position it covered committed. Events are never published before their commands are
durable, which is what "acknowledged only once durable" means for members: their
execution reports are made from these events. Reading pauses while `max_commands` (the
group commit policy's) are queued, so a slow disk slows the intake instead of filling
memory.

The input position also goes into the journal, in the record of the commands it covers
(engine/command_intake.py): the position committed on the topic can lag the journal (a
crash between the two, a broker away), and the journal's is the one a restart trusts, so
no command is applied twice.

While the broker is away nothing new arrives, but what was read keeps being journaled and
its events queue in the publisher, which delivers them in order when the broker is back.
On SIGTERM the loop finishes its batch (journaled and flushed), waits a bounded time for
the publisher, and commits the input position; events still queued then are not lost: the
next start republishes whatever the topic lacks from the journal.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

from prometheus_client import Counter, Gauge, Histogram

from engine.command_intake import Resume
from engine.commands import Command
from engine.durable_sequencer import DurableSequencer
from engine.events import Event
from engine.stream import (
    COMMANDS_TOPIC,
    EVENTS_TOPIC,
    Batch,
    Consumer,
    Position,
    Publisher,
    Stream,
)

log = logging.getLogger("tcx.engine")

COMMANDS = Counter("tcx_engine_commands", "Commands journaled and applied")
EVENTS = Counter("tcx_engine_events", "Events published by the sequencer")
BATCH_COMMANDS = Histogram(
    "tcx_engine_batch_commands",
    "Commands per group commit",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000),
)
BATCH_SECONDS = Histogram(
    "tcx_engine_batch_seconds",
    "Time from cutting a journal record to its events published (fsync included)",
    buckets=(1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1),
)
FSYNC_SECONDS = Histogram(
    "tcx_journal_fsync_seconds",
    "fdatasync time of one journal record",
    buckets=(1e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 5e-2, 0.1, 1),
)
LAST_SEQ = Gauge("tcx_engine_last_seq", "Sequence number of the last event published")


class EngineService:
    def __init__(
        self,
        durable: DurableSequencer,
        stream: Stream,
        resume: Resume,
        idle_wait: float = 0.05,
        shutdown_wait: float = 5.0,
        timer: Callable[[], Command | None] | None = None,
    ):
        self.durable = durable
        self.timer = timer  # a due clock command to journal (engine/auction_timer.py)
        self.stream = stream
        self.resume = resume  # where the journal says the input stands
        self.idle_wait = idle_wait  # seconds a read waits for commands when none are queued
        self.shutdown_wait = shutdown_wait  # seconds to deliver queued events on stopping
        self.max_queued = durable.max_commands  # reading pauses with this many commands queued
        self.last_seq = 0

    async def republish(self, batches: Iterable[list[Event]]) -> int:
        """Publishes events regenerated from the journal (engine/event_replay.py) before
        new commands are taken, so consumers that missed them catch up in order."""
        publisher = self.stream.publisher()
        count = 0
        for events in batches:
            await publisher.publish(EVENTS_TOPIC, events)
            count += len(events)
        await publisher.flush()
        if count:
            log.info("republished events from the journal", extra={"events": count})
        return count

    async def run(self, stop: asyncio.Event) -> None:
        """Reads, journals and publishes until `stop`, never waiting on the disk itself:
        the fsync of one record runs on the journal's thread while this loop reads the
        next commands (and, in one process, the gateway answers its members)."""
        consumer = self.stream.commands_consumer(COMMANDS_TOPIC, "engine", self.resume)
        publisher = self.stream.publisher()
        durable = self.durable
        log.info("engine started", extra={"commands": durable.commands})
        reading: asyncio.Future[Batch] | None = None
        flight: _Flight | None = None
        queued: Position = {}  # the input position after the commands queued
        try:
            while True:
                if reading is None and not stop.is_set() and durable.queued < self.max_queued:
                    reading = asyncio.ensure_future(consumer.next_batch(self.idle_wait))
                waiting: set[asyncio.Future] = set()
                if reading is not None:
                    waiting.add(reading)
                if flight is not None:
                    waiting.add(flight.sync)
                if not waiting:
                    break  # stopping, and everything read is journaled and published
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if reading in done:
                    batch = reading.result()
                    reading = None
                    if batch.items:
                        durable.enqueue(batch.items, consumer.input_mark())
                        queued.update(batch.position)
                    tick = self.timer() if self.timer is not None else None
                    if tick is not None:
                        durable.enqueue([tick], consumer.input_mark())
                landed = None
                if flight is not None and flight.sync in done:
                    before = durable.commands
                    flight.sync.exception()  # retrieved by land(), which raises it
                    events = durable.land()  # raises if the fsync failed: nothing published
                    landed, flight = flight, None
                    FSYNC_SECONDS.observe(durable.last_sync_ns / 1e9)
                    COMMANDS.inc(durable.commands - before)
                if flight is None:  # the next record syncs while the landed one is sent
                    flight = self._start(queued)
                    if flight is not None:
                        queued = {}
                if landed is not None:
                    await self._hand_on(publisher, consumer, events, landed)
        finally:
            if reading is not None:
                reading.cancel()
            durable.close()
            await self._deliver_queued(publisher)
            await consumer.close()
            log.info("engine stopped", extra={"commands": durable.commands})

    def _start(self, queued: Position) -> "_Flight | None":
        """Cuts the queued commands into a record and starts its fsync (None if nothing
        is queued); the record is applied now, while the disk works."""
        commands = self.durable.queued
        sync = self.durable.start()
        if sync is None:
            return None
        BATCH_COMMANDS.observe(commands)
        return _Flight(asyncio.wrap_future(sync), queued, time.perf_counter())

    async def _hand_on(
        self, publisher: Publisher, consumer: Consumer, events: list[Event], landed: "_Flight"
    ) -> None:
        """Publishes the events of a durable record, then commits the input it covered."""
        if events:
            await publisher.publish(EVENTS_TOPIC, events)
            self.last_seq = events[-1].seq
            LAST_SEQ.set(self.last_seq)
            EVENTS.inc(len(events))
        await consumer.commit(landed.position)
        BATCH_SECONDS.observe(time.perf_counter() - landed.started)

    async def _deliver_queued(self, publisher: Publisher) -> None:
        try:
            await asyncio.wait_for(publisher.flush(), self.shutdown_wait)
        except TimeoutError:
            log.warning(
                "stopping with events not yet on the stream; the next start republishes "
                "them from the journal",
                extra={"last_seq": self.last_seq},
            )
        await publisher.close()


class _Flight:
    """A journal record whose fsync is running: what to commit once its events are out."""

    __slots__ = ("position", "started", "sync")

    def __init__(self, sync: "asyncio.Future[None]", position: Position, started: float) -> None:
        self.sync = sync
        self.position = position  # the input position after the record's commands
        self.started = started  # when the record was cut

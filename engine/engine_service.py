"""The engine as a service: commands from the stream, through the durable sequencer, events
back onto the stream.

One loop, one thread of control. Each read from the commands topic is one group commit:
everything that arrived since the last read is journaled with one fsync, applied, and its
events published; only then is the input position committed. Events are never published
before their commands are durable, which is what "acknowledged only once durable" means
for members: their execution reports are made from these events.

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
from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

from engine.command_intake import Resume
from engine.durable_sequencer import DurableSequencer
from engine.events import Event
from engine.stream import COMMANDS_TOPIC, EVENTS_TOPIC, Publisher, Stream

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
    "Journal, apply and publish time of one group commit",
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
    ):
        self.durable = durable
        self.stream = stream
        self.resume = resume  # where the journal says the input stands
        self.idle_wait = idle_wait  # seconds a read waits for commands when none are queued
        self.shutdown_wait = shutdown_wait  # seconds to deliver queued events on stopping
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
        consumer = self.stream.commands_consumer(COMMANDS_TOPIC, "engine", self.resume)
        publisher = self.stream.publisher()
        log.info("engine started", extra={"commands": self.durable.commands})
        try:
            while not stop.is_set():
                batch = await consumer.next_batch(self.idle_wait)
                if not batch.items:
                    continue
                started = time.perf_counter()
                events = []
                for command in batch.items:
                    events.extend(self.durable.submit(command))
                events.extend(self.durable.flush(consumer.input_mark()))
                FSYNC_SECONDS.observe(self.durable.last_sync_ns / 1e9)
                if events:
                    await publisher.publish(EVENTS_TOPIC, events)
                    self.last_seq = events[-1].seq
                    LAST_SEQ.set(self.last_seq)
                await consumer.commit(batch.position)
                COMMANDS.inc(len(batch.items))
                EVENTS.inc(len(events))
                BATCH_COMMANDS.observe(len(batch.items))
                BATCH_SECONDS.observe(time.perf_counter() - started)
        finally:
            self.durable.close()
            await self._deliver_queued(publisher)
            await consumer.close()
            log.info("engine stopped", extra={"commands": self.durable.commands})

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

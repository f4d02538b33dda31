"""Settlement as a service: events from the stream booked into the registry ledger.

Each batch read from the events topic is booked in one database transaction that also
stores the last sequence number applied (Ledger.book), and only then is the stream
position committed. A crash between the two re-reads the batch, and the ledger books
nothing twice; a trade that cannot settle is logged for supervisors as a settlement failure.

A gap in the seqs (SequenceError: events the stream lost, or delivered out of order)
books nothing. Settlement must not skip it, and cannot wait for it silently: each time it
logs an error, sets the `tcx_settlement_stalled` gauge, answers /health with 503, and
reads again from its committed position after a growing pause (up to a minute), until the
missing events are on the topic.

When the registry database goes away, the batch being booked is rolled back (or was
committed, and its seqs are then skipped as already applied), the connection is dropped,
and the service reconnects after a growing pause, reading again from its committed
position: nothing is lost or booked twice, and the stream keeps the events meanwhile.

The ledger lives on a thread of its own (opened there, as SQLite wants), so a slow commit
never stalls the event loop the gateway and the engine share in the embedded mode.
"""

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import psycopg
from prometheus_client import Counter, Gauge, Histogram

from engine.stream import EVENTS_TOPIC, Stream
from settlement.ledger import Ledger, SequenceError

log = logging.getLogger("tcx.settlement")

BOOKED = Counter("tcx_settlement_events", "Events applied to the registry ledger")
FAILURES = Counter("tcx_settlement_failures", "Trades that could not settle")
BOOK_SECONDS = Histogram(
    "tcx_settlement_batch_seconds",
    "Time to book one batch of events in one transaction",
    buckets=(1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5),
)
LAST_SEQ = Gauge("tcx_settlement_last_seq", "Sequence number of the last event booked")
STALLED = Gauge("tcx_settlement_stalled", "1 while a gap in the event seqs stops booking")
MAX_PAUSE = 60.0  # seconds between attempts to read past a gap or reach the registry
# what a registry outage looks like: a lost or refused connection, a locked or full disk
REGISTRY_UNREACHABLE = (psycopg.OperationalError, psycopg.InterfaceError, sqlite3.OperationalError)


class SettlementService:
    def __init__(self, open_ledger: Callable[[], Ledger], stream: Stream, idle_wait: float = 0.1):
        self.open_ledger = open_ledger
        self.stream = stream
        self.idle_wait = idle_wait
        self.ledger: Ledger | None = None
        self.last_seq = 0  # of the last event booked, for /health
        self.stalled = False  # at a gap in the seqs
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")

    async def on_ledger_thread(self, call: Callable, *args):
        """Runs `call` on the ledger's own thread (reads for REST use this too)."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, call, *args)

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        stuck_at = -1
        try:
            while not stop.is_set():
                try:
                    if self.ledger is None:
                        self.ledger = await self.on_ledger_thread(self.open_ledger)
                    await self._book_until(stop)
                except SequenceError as gap:
                    failures = failures + 1 if self.last_seq == stuck_at else 1
                    stuck_at = self.last_seq
                    pause = min(MAX_PAUSE, 2.0**failures)
                    self.stalled = True
                    STALLED.set(1)
                    log.error(
                        "settlement stalled at a gap in the event stream: the registry stays "
                        "at seq %d until the missing events are on the topic",
                        self.last_seq,
                        extra={"error": str(gap), "retry_in_seconds": pause},
                    )
                    await _pause(pause, stop)
                except REGISTRY_UNREACHABLE as error:
                    failures = failures + 1 if self.last_seq == stuck_at else 1
                    stuck_at = self.last_seq
                    pause = min(MAX_PAUSE, 2.0 ** (failures - 1))
                    log.error(
                        "registry database unreachable; booking resumes from the registry's "
                        "last seq once it is back",
                        extra={"error": str(error), "retry_in_seconds": pause},
                    )
                    await self._drop_ledger()
                    await _pause(pause, stop)
        finally:
            await self._drop_ledger()
            self._thread.shutdown()

    async def _drop_ledger(self) -> None:
        """Closes the ledger's connection, which may be broken already."""
        if self.ledger is not None:
            with contextlib.suppress(*REGISTRY_UNREACHABLE):
                await self.on_ledger_thread(self.ledger.close)
            self.ledger = None

    async def _book_until(self, stop: asyncio.Event) -> None:
        after_seq = await self.on_ledger_thread(self.ledger.last_seq)
        self.last_seq = after_seq
        consumer = self.stream.events_consumer(EVENTS_TOPIC, "settlement", after_seq=after_seq)
        try:
            while not stop.is_set():
                batch = await consumer.next_batch(self.idle_wait)
                if batch.items:
                    started = time.perf_counter()
                    failures = await self.on_ledger_thread(self.ledger.book, batch.items)
                    BOOK_SECONDS.observe(time.perf_counter() - started)
                    BOOKED.inc(len(batch.items))
                    self.last_seq = batch.items[-1].seq
                    LAST_SEQ.set(self.last_seq)
                    self.stalled = False
                    STALLED.set(0)
                    for failure in failures:
                        FAILURES.inc()
                        log.warning("settlement failure", extra={"failure": str(failure)})
                await consumer.commit(batch.position)
        finally:
            await consumer.close()


async def _pause(seconds: float, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)

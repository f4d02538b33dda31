"""The disclosure desk: publishes the due reports at each trading day's close, and answers
the public's and the supervisors' reads, on one worker thread with its own connection.

It follows the engine's events (a gateway listener). The last DayClosed of a trading date
is the journaled step that makes reports due (schedule.py); the desk then waits until
settlement has booked that far and the day's bulletins are stored, builds each due report
as of that seq and publishes it at the DayClosed's time. Never on a page load; a replayed
close publishes nothing twice (publications.py).
"""

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import msgspec

from engine.events import DayClosed, Event
from engine.reference import ReferenceData
from gateway.disclosure.publications import Publication, Publications
from gateway.disclosure.registry_source import RegistrySource
from gateway.disclosure.report import Closing, Report
from gateway.disclosure.reports import reports
from gateway.disclosure.schedule import due
from settlement.ledger import Ledger
from surveillance.migrations import migrate as migrate_surveillance

log = logging.getLogger("tcx.disclosure")
T = TypeVar("T")
POLL_S = 0.1
PATIENCE_S = 60.0  # how often a close still waiting for settlement is logged


class DisclosureDesk:
    def __init__(self, url: str, reference: ReferenceData):
        self.reference = reference
        self.reports: dict[str, Report] = reports(reference)
        self._url = url
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="disclosure")
        self._source: RegistrySource | None = None
        self._closed: dict[str, list[DayClosed]] = defaultdict(list)
        self._tasks: set[asyncio.Task] = set()
        self._in_order = asyncio.Lock()  # days publish one at a time, in the order they closed

    def _open(self) -> RegistrySource:
        if self._source is None:
            ledger = Ledger.open(self._url, self.reference)
            migrate_surveillance(ledger.database)  # the bulletins' table, whoever runs first
            self._source = RegistrySource(ledger, Publications(ledger.database))
        return self._source

    async def __call__(self, work: Callable[[RegistrySource], T]) -> T:
        """Runs `work` on the desk's thread (the publications are `source.publications`)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, lambda: work(self._open()))

    def on_events(self, events: Sequence[Event]) -> None:
        """A gateway listener: a trading date's last DayClosed starts its publication."""
        for event in events:
            if type(event) is not DayClosed:
                continue
            day = self._closed[event.trading_date]
            day.append(event)
            if len(day) == len(self.reference.instruments):
                del self._closed[event.trading_date]
                closing = Closing(event.trading_date, event.seq, event.ts)
                task = asyncio.get_running_loop().create_task(self.publish_day(closing))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def due_reports(self, trading_date: str) -> list[Report]:
        day = dt.date.fromisoformat(trading_date)
        calendar = self.reference.calendar
        return [report for report in self.reports.values() if due(report.schedule, day, calendar)]

    async def publish_day(self, closing: Closing) -> list[str]:
        """Publishes what is due at `closing` once the registry has it; the names published.
        A report's change on its last publication needs the days in order."""
        async with self._in_order:
            return await self._publish_day(closing)

    async def _publish_day(self, closing: Closing) -> list[str]:
        waited = 0.0
        while not await self(lambda source: self._ready(source, closing)):
            await asyncio.sleep(POLL_S)
            waited += POLL_S
            if waited >= PATIENCE_S:  # keep waiting: a later day must not publish first
                log.warning(
                    "reports wait for settlement to book the close",
                    extra=msgspec.structs.asdict(closing),
                )
                waited = 0.0
        wanted = self.due_reports(closing.trading_date)
        return await self(lambda source: self._publish(source, closing, wanted))

    def _ready(self, source: RegistrySource, closing: Closing) -> bool:
        booked = source.ledger.last_seq() >= closing.seq
        bulletins = len(source.bulletins(closing.trading_date)) == len(self.reference.instruments)
        return booked and bulletins

    def _publish(self, source: RegistrySource, closing: Closing, wanted: list[Report]) -> list[str]:
        published = []
        for report in wanted:
            table = report.build(source, closing)
            period = closing.trading_date
            if source.publications.publish(report.name, period, closing.seq, closing.ts, table):
                published.append(report.name)
        if published:
            log.info(
                "reports published", extra={"date": closing.trading_date, "reports": published}
            )
        return published

    async def republish(
        self, name: str, period: str, ts: int, actor: str, reason: str
    ) -> Publication:
        """A supervisor's correction: built again from the registry as of the same close."""
        report = self.reports[name]

        def correct(source: RegistrySource) -> Publication:
            current = source.publications.current(name, period)
            if current is None:
                raise LookupError(f"{name} has no publication for {period}")
            closing = Closing(period, current.event_seq, current.published_ts)
            table = report.build(source, closing)
            return source.publications.republish(name, period, ts, actor, reason, table)

        return await self(correct)

    async def wait_idle(self) -> None:
        """Until the publications under way are done (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stops publications under way (the gateway sees the close again when it restarts
        and publishes then) and closes the connection."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

        def close_ledger() -> None:
            if self._source is not None:
                self._source.ledger.close()

        await asyncio.get_running_loop().run_in_executor(self._thread, close_ledger)
        self._thread.shutdown()

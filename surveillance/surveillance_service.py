"""Surveillance as a service: every event through the detectors and the market data.

Detectors and market data are deterministic in the event stream, so a restarted service
reads the day from its first event again (from the topic's beginning over Kafka; in one
process the engine republishes it from the journal) and arrives at the same state; alerts
have deterministic ids, so recording one again merges into the stored alert instead of
duplicating it. A batch stores each alert it raised or changed once, as it stands after
the batch, so an episode re-raised on every cancel costs one write and one audit row per
batch, not per event. The market-data messages each batch makes go on the market-data topic
(market_data/stream_topic.py), which a restart continues from where it stands.

When the registry is unavailable the service keeps trying to store the alerts it raised,
without reading further or committing its position, and goes on when the database is
back: no alert is lost and none is stored twice.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from functools import partial

from prometheus_client import Counter, Gauge, Histogram

from engine.events import Event
from engine.stream import EVENTS_TOPIC, Stream
from surveillance.alert import Alert
from surveillance.alert_store import AlertStore
from surveillance.market_data import MarketDataPublisher
from surveillance.market_data.stream_topic import TopicPublication
from surveillance.registry_connection import RegistryUnavailable
from surveillance.runner import Surveillance
from surveillance.store_thread import StoreThread

log = logging.getLogger("tcx.surveillance")

ALERTS = Counter("tcx_surveillance_alerts", "Alerts raised or updated", ["pattern"])
EVENTS = Counter("tcx_surveillance_events", "Events run through the detectors")
LAST_SEQ = Gauge("tcx_surveillance_last_seq", "Sequence number of the last event surveilled")
ALERT_SECONDS = Histogram(
    "tcx_surveillance_alert_seconds",
    "From reading the triggering events to the alert stored and announced",
    buckets=(1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5),
)
REGISTRY_FAILURES = Counter(
    "tcx_surveillance_registry_failures", "Attempts to store alerts that found no registry"
)
RETRY_FIRST_S = 0.2
RETRY_MAX_S = 5.0


class SurveillanceService:
    def __init__(
        self,
        stream: Stream,
        detectors: Surveillance,
        alerts: StoreThread,
        market_data: MarketDataPublisher,
        publication: TopicPublication,
        clock: Callable[[], int],
        idle_wait: float = 0.05,
    ):
        self.stream = stream
        self.detectors = detectors
        self.alerts = alerts
        self.market_data = market_data
        self.publication = publication
        self.clock = clock
        self.idle_wait = idle_wait
        self.last_seq = 0  # of the last event surveilled, for /health
        self.stalled = False  # waiting for the registry to store alerts, for /health

    async def run(self, stop: asyncio.Event) -> None:
        consumer = self.stream.events_consumer(EVENTS_TOPIC, "surveillance", from_start=True)
        # a task, so a stop while the broker is away is not stuck behind it
        starting = asyncio.create_task(self.publication.start(), name="market-data-topic")
        try:
            while not stop.is_set():
                batch = await consumer.next_batch(self.idle_wait)
                if batch.items:
                    started = time.perf_counter()
                    events = batch.items
                    messages = self.market_data.apply_all(events)
                    await starting
                    await self.publication.publish(messages)
                    raised = self._latest(events)
                    if raised:
                        if not await self._store(raised, stop):
                            break
                        ALERT_SECONDS.observe(time.perf_counter() - started)
                        for alert in raised:
                            ALERTS.labels(alert.pattern).inc()
                    EVENTS.inc(len(events))
                    self.last_seq = events[-1].seq
                    LAST_SEQ.set(self.last_seq)
                await consumer.commit(batch.position)
        finally:
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            await consumer.close()
            await self.publication.close()

    def _latest(self, events: Sequence[Event]) -> list[Alert]:
        """The alerts the batch raised or changed, each once as it stands after the batch:
        the runner's alert is already merged, so its latest state holds the earlier ones."""
        raised: dict[str, Alert] = {}
        for event in events:
            for alert in self.detectors.on_event(event):
                raised[alert.id] = alert
        return list(raised.values())

    async def _store(self, alerts: list[Alert], stop: asyncio.Event) -> bool:
        """Stores the alerts, waiting out a registry outage; False if stopped first."""
        wait = RETRY_FIRST_S
        while True:
            try:
                await self.alerts(partial(_record, alerts=alerts, now=self.clock()))
                self.stalled = False
                return True
            except RegistryUnavailable as exc:
                self.stalled = True
                REGISTRY_FAILURES.inc()
                log.warning(
                    "registry unavailable, %d alerts wait to be stored: %s", len(alerts), exc
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
            if stop.is_set():
                return False
            wait = min(wait * 2, RETRY_MAX_S)


def _record(store: AlertStore, alerts: list[Alert], now: int) -> None:
    store.record(alerts, now)

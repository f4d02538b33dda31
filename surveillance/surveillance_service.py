"""Surveillance as a service: every event through the detectors and the market data.

Detectors and market data are deterministic in the event stream, so a restarted service
reads the day from its first event again (from the topic's beginning over Kafka; in one
process the engine republishes it from the journal) and arrives at the same state; alerts
have deterministic ids, so recording one again merges into the stored alert instead of
duplicating it.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from functools import partial

from prometheus_client import Counter, Gauge, Histogram

from engine.stream import EVENTS_TOPIC, Stream
from surveillance.alert import Alert
from surveillance.alert_store import AlertStore
from surveillance.market_data import MarketDataPublisher
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


class SurveillanceService:
    def __init__(
        self,
        stream: Stream,
        detectors: Surveillance,
        alerts: StoreThread,
        market_data: MarketDataPublisher,
        clock: Callable[[], int],
        idle_wait: float = 0.05,
    ):
        self.stream = stream
        self.detectors = detectors
        self.alerts = alerts
        self.market_data = market_data
        self.clock = clock
        self.idle_wait = idle_wait
        self.last_seq = 0  # of the last event surveilled, for /health

    async def run(self, stop: asyncio.Event) -> None:
        consumer = self.stream.events_consumer(EVENTS_TOPIC, "surveillance", from_start=True)
        try:
            while not stop.is_set():
                batch = await consumer.next_batch(self.idle_wait)
                if batch.items:
                    started = time.perf_counter()
                    events = batch.items
                    self.market_data.apply_all(events)
                    raised = []
                    for event in events:
                        raised.extend(self.detectors.on_event(event))
                    if raised:
                        await self.alerts(partial(_record, alerts=raised, now=self.clock()))
                        ALERT_SECONDS.observe(time.perf_counter() - started)
                        for alert in raised:
                            ALERTS.labels(alert.pattern).inc()
                    EVENTS.inc(len(events))
                    self.last_seq = events[-1].seq
                    LAST_SEQ.set(self.last_seq)
                await consumer.commit(batch.position)
        finally:
            await consumer.close()


def _record(store: AlertStore, alerts: list[Alert], now: int) -> None:
    store.record(alerts, now)

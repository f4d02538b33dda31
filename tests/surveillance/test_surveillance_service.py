"""The service stores an ongoing episode once per batch, as the runner kept it."""

import asyncio

from engine.memory_stream import MemoryStream
from engine.stream import EVENTS_TOPIC
from settlement.database import open_database
from surveillance.alert_store import AlertFilter
from surveillance.market_data import MarketDataPublisher
from surveillance.market_data.stream_topic import TopicPublication, market_data_topic
from surveillance.runner import Surveillance
from surveillance.store_thread import StoreThread
from surveillance.surveillance_service import SurveillanceService
from tests.surveillance.test_registry_outage import until
from tests.surveillance.test_runner import layering_episode

CHUNK = 500  # events per publish, and per batch


def test_an_episode_re_raised_on_every_cancel_is_written_once_per_batch(tape, tmp_path):
    layering_episode(tape, 300)  # 1,200 cancels, each one re-raising the alert
    stream = MemoryStream(max_batch=CHUNK)
    store = StoreThread(lambda: open_database(f"sqlite:///{tmp_path / 'alerts.db'}"))
    runner = Surveillance(tape.reference)
    service = SurveillanceService(
        stream,
        runner,
        store,
        MarketDataPublisher(tape.reference),
        TopicPublication(stream, market_data_topic()),
        clock=lambda: 1,
        idle_wait=0.01,
    )
    chunks = [tape.events[i : i + CHUNK] for i in range(0, len(tape.events), CHUNK)]

    async def surveil() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(service.run(stop))
        publisher = stream.publisher()
        for chunk in chunks:
            await publisher.publish(EVENTS_TOPIC, chunk)
        await until(lambda: service.last_seq == tape.events[-1].seq or running.done())
        stop.set()
        await running

    try:
        asyncio.run(surveil())
        [kept] = [a for a in runner.alerts.values() if a.pattern == "layering"]
        [stored] = store.run(lambda s: s.search(AlertFilter(pattern="layering")).alerts)
        trail = store.run(lambda s: s.trail(kept.id))
    finally:
        store.close()
    assert stored.alert == kept
    assert len(kept.order_ids) > 1000
    assert [entry.action for entry in trail][:1] == ["raised"]
    assert 1 < len(trail) <= len(chunks)

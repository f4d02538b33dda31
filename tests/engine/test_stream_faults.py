"""Broker outages on the Kafka transport, made by a proxy between the clients and a live
Tansu (so the broker keeps its in-memory topics while the clients lose it)."""

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from engine.kafka_stream import KafkaPublisher
from engine.stream import EVENTS_TOPIC
from tests.brokers import Tansu, proxied_tansu
from tests.engine.conftest import drain, kafka_stream_for_tests, make_events, read, seqs
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.anyio

FLUSH_BOUND = 120.0  # seconds: a hang fails the test instead of the whole run


@pytest.fixture
async def proxied_broker() -> AsyncIterator[tuple[Tansu, TcpProxy]]:
    async with proxied_tansu() as broker_and_proxy:
        yield broker_and_proxy


async def test_outage_mid_stream_loses_nothing_and_applies_nothing_twice(
    proxied_broker: tuple[Tansu, TcpProxy], caplog: pytest.LogCaptureFixture
) -> None:
    """Settlement restarts during the outage; surveillance stays up through it."""
    broker, proxy = proxied_broker
    stream = kafka_stream_for_tests(broker.bootstrap_servers)
    publisher = stream.publisher()
    settlement = stream.events_consumer(EVENTS_TOPIC, "settlement")
    surveillance = stream.events_consumer(EVENTS_TOPIC, "surveillance")
    settled: list[int] = []
    watched: list[int] = []
    try:
        await publisher.publish(EVENTS_TOPIC, make_events(1, 100))
        await asyncio.wait_for(publisher.flush(), FLUSH_BOUND)
        settled += seqs((await read(settlement, 100))[0])
        watched += seqs((await read(surveillance, 100))[0])

        proxy.cut_off()
        for first in range(101, 401, 30):  # the engine goes on journaling and publishing
            await publisher.publish(EVENTS_TOPIC, make_events(first, 30))
            await asyncio.sleep(0.05)
        assert isinstance(publisher, KafkaPublisher)
        assert publisher.backlog > 0
        assert await drain(settlement) == []
        await settlement.close()
        with caplog.at_level(logging.WARNING, logger="tcx.stream.kafka"):
            for _ in range(240):  # until the client library gives up and the publisher retries
                if any("broker unreachable" in r.getMessage() for r in caplog.records):
                    break
                watched += seqs(await drain(surveillance, rounds=1))
        assert any("broker unreachable" in r.getMessage() for r in caplog.records)

        proxy.restore()
        await asyncio.wait_for(publisher.flush(), FLUSH_BOUND)
        watched += seqs((await read(surveillance, 300))[0])
        watched += seqs(await drain(surveillance))
        settlement = stream.events_consumer(EVENTS_TOPIC, "settlement")  # from its commit
        settled += seqs((await read(settlement, 300))[0])
        settled += seqs(await drain(settlement))
    finally:
        await surveillance.close()
        await settlement.close()
        await publisher.close()
    assert proxy.refused > 0  # the clients did try while cut off
    assert settled == list(range(1, 401))
    assert watched == list(range(1, 401))


async def test_publisher_and_consumer_that_start_during_an_outage_catch_up_in_order(
    proxied_broker: tuple[Tansu, TcpProxy],
) -> None:
    broker, proxy = proxied_broker
    stream = kafka_stream_for_tests(broker.bootstrap_servers)
    proxy.cut_off()
    publisher = stream.publisher()
    consumer = stream.events_consumer(EVENTS_TOPIC, "surveillance")
    try:
        for first in range(1, 1001, 100):
            await publisher.publish(EVENTS_TOPIC, make_events(first, 100))
        assert (await consumer.next_batch(timeout=0.5)).items == []
        proxy.restore()
        await asyncio.wait_for(publisher.flush(), FLUSH_BOUND)
        received, _ = await read(consumer, 1000)
        assert seqs(received) == list(range(1, 1001))
        assert await drain(consumer) == []
    finally:
        await consumer.close()
        await publisher.close()

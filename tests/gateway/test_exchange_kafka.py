"""The composition root over Kafka: a restarted engine publishes from its journal what the
events topic lacks, and the gateway reads the events from the topic's beginning."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.envelope import decode_envelope
from engine.events import Event
from engine.kafka_stream import KafkaStream
from engine.orders import Side
from engine.stream import EVENTS_TOPIC
from gateway.exchange import Exchange, JournalBehindStream
from gateway.settings import load_settings
from tests.brokers import Tansu
from tests.engine.conftest import kafka_stream_for_tests, raw_messages
from tests.gateway.exchange_fixtures import directory
from tests.gateway.test_exchange import exchange_on, opening_commands, order, run_until

BOUND = 1000  # rounds of 20 ms


@pytest.fixture
def broker() -> Iterator[Tansu]:
    """A broker of its own: these tests use the exchange's fixed topic names."""
    with Tansu() as tansu:
        yield tansu


def over_kafka(data_dir: Path, stream: KafkaStream, components: tuple[str, ...]) -> Exchange:
    settings = load_settings(data_dir=data_dir, http_port=0, fix_port=0, stream="kafka")
    return Exchange(settings, components=components, stream=stream, directory=directory())


async def run_while(exchange: Exchange, done) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(exchange.run(stop))
    for _ in range(BOUND):
        if await done():
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(running, 30)


async def published(broker: Tansu) -> list[Event]:
    messages = await raw_messages(broker.bootstrap_servers, EVENTS_TOPIC, 1)
    return [event for m in messages for event in decode_envelope(m.value, carries_events=True)]


def test_an_engine_publishes_the_events_its_journal_has_and_the_topic_lacks(
    tmp_path: Path, broker: Tansu
) -> None:
    """The first run's events never reached this broker, as a backlog lost with a killed
    engine would not; the next start publishes them, once, in order."""
    first = exchange_on(tmp_path, components=("engine", "gateway"))
    commands = [*opening_commands(), order("SELLER", "s1", Side.SELL, 5_000, 300)]

    async def engine_at_5() -> bool:
        return first.engine.last_seq >= 5

    asyncio.run(run_until(first, commands, engine_at_5))

    stream = kafka_stream_for_tests(broker.bootstrap_servers)
    for _ in range(2):  # the second start finds the topic complete: publishes nothing
        engine = over_kafka(tmp_path, stream, ("engine",))

        async def caught_up(engine: Exchange = engine) -> bool:
            return engine.engine.last_seq >= 5

        asyncio.run(run_while(engine, caught_up))
        assert [event.seq for event in asyncio.run(published(broker))] == [1, 2, 3, 4, 5]

    stranger = over_kafka(tmp_path / "wiped", stream, ("engine",))
    with pytest.raises(JournalBehindStream, match="events topic is at seq 5 but the journal"):
        asyncio.run(asyncio.wait_for(stranger.run(asyncio.Event()), 30))


def test_a_gateway_reads_the_events_from_the_beginning_each_start(
    tmp_path: Path, broker: Tansu
) -> None:
    """Its order views are rebuilt from the day, so committed positions must not skip it."""
    stream = kafka_stream_for_tests(broker.bootstrap_servers)
    engine = over_kafka(tmp_path / "engine", stream, ("engine",))
    gateway = over_kafka(tmp_path / "gateway", stream, ("gateway",))
    commands = [*opening_commands(), order("SELLER", "s1", Side.SELL, 5_000, 300)]

    async def both() -> None:
        stop = asyncio.Event()
        running = asyncio.gather(engine.run(stop), gateway.run(stop))
        await gateway.submit(commands)
        for _ in range(BOUND):
            if gateway.gateway.last_seq >= 5:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(running, 30)

    asyncio.run(both())
    assert gateway.gateway.last_seq == 5
    restarted = over_kafka(tmp_path / "gateway", stream, ("gateway",))
    seen: list[int] = []
    restarted.gateway.listeners.append(lambda events: seen.extend(e.seq for e in events))

    async def all_seen() -> bool:
        return len(seen) >= 5

    asyncio.run(run_while(restarted, all_seen))
    assert seen == [1, 2, 3, 4, 5]

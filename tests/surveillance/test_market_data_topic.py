"""The market-data topic on the in-process stream: surveillance publishes every message it
makes, a restart continues the topic without a gap or a second day, readers drop repeats,
and what cannot be read is quarantined with the reason."""

import asyncio
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from engine.envelope import encode_envelope
from engine.events import Event
from engine.memory_stream import MemoryStream
from engine.stream import EVENTS_TOPIC
from settlement.database import open_database
from surveillance.market_data import DailyBulletin, MarketDataPublisher, Message, Quote, TradePrint
from surveillance.market_data.messages import SCHEMA_VERSION, Bar
from surveillance.market_data.stream_topic import TopicPublication, market_data_topic
from surveillance.market_data.topic_reader import MarketDataReader
from surveillance.parameters import Parameters
from surveillance.runner import Surveillance
from surveillance.store_thread import StoreThread
from surveillance.surveillance_service import SurveillanceService
from tests.surveillance.test_market_data_engine import REFERENCE
from tests.surveillance.test_registry_bulletins import two_days

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return two_days()


def made_by_a_publisher(events: list[Event]) -> list[Message]:
    return MarketDataPublisher(REFERENCE).apply_all(events)


async def read_all(reader: MarketDataReader, count: int) -> list[Message]:
    """Reads until `count` fresh messages came, or nothing more comes."""
    found: list[Message] = []
    quiet = 0
    while len(found) < count and quiet < 20:
        batch = await reader.next(timeout=0.05)
        quiet = 0 if batch else quiet + 1
        found += batch
    return found


def published_total() -> float:
    return REGISTRY.get_sample_value("tcx_market_data_published_total") or 0.0


async def test_surveillance_puts_every_market_data_message_on_the_topic(
    tmp_path: Path, events: list[Event]
) -> None:
    stream = MemoryStream()
    topic = market_data_topic()
    alerts = StoreThread(lambda: open_database(str(tmp_path / "registry.db")))
    service = SurveillanceService(
        stream,
        Surveillance(REFERENCE, Parameters()),
        alerts,
        MarketDataPublisher(REFERENCE),
        TopicPublication(stream, topic),
        clock=lambda: events[-1].ts,
    )
    reader = MarketDataReader(stream, topic, "reader", start="beginning")
    expected = made_by_a_publisher(events)
    before = published_total()
    stop = asyncio.Event()
    running = asyncio.create_task(service.run(stop))
    try:
        publisher = stream.publisher()
        for start in range(0, len(events), 7):  # batches of all sizes reach the service
            await publisher.publish(EVENTS_TOPIC, events[start : start + 7])
        received = await read_all(reader, len(expected))
    finally:
        stop.set()
        await running
        alerts.close()
    assert received == expected
    assert {type(m) for m in received} >= {Quote, TradePrint, Bar, DailyBulletin}
    assert reader.gaps == 0
    assert published_total() - before == len(expected)


async def test_a_restarted_publication_continues_from_the_topics_last_event(
    events: list[Event],
) -> None:
    """The first run got the messages of its last event only partly onto the topic; the
    restarted one rebuilds the day and publishes from that event on: the reader sees
    every message once and no gap, and the topic holds nothing earlier twice."""
    messages = made_by_a_publisher(events)
    cut = len(messages) // 2
    last_event = messages[cut].event_seq
    while messages[cut - 1].event_seq == last_event:  # part of one event's messages
        cut -= 1
    cut += 1
    assert messages[cut].event_seq == last_event  # the event has more messages after the cut
    stream = MemoryStream()
    topic = market_data_topic()
    reader = MarketDataReader(stream, topic, "reader", start="beginning")  # keeps it all here
    first = TopicPublication(stream, topic)
    await first.start()
    await first.publish(messages[:cut])
    await first.close()

    again = TopicPublication(stream, topic)
    await again.start()
    for start in range(0, len(messages), 50):  # the whole day again, as surveillance replays it
        await again.publish(messages[start : start + 50])
    on_topic = [m for chunk in stream.log(topic.name).chunks for m in chunk]
    repeated = [m for m in messages[:cut] if m.event_seq == last_event]
    assert repeated and len(on_topic) == len(messages) + len(repeated)  # not the day twice
    assert on_topic[cut:] == messages[cut - len(repeated) :]
    assert await read_all(reader, len(messages)) == messages
    assert reader.gaps == 0


async def test_a_reader_from_the_end_starts_with_what_comes_next(events: list[Event]) -> None:
    messages = made_by_a_publisher(events)
    stream = MemoryStream()
    topic = market_data_topic()
    publication = TopicPublication(stream, topic)
    await publication.start()
    await publication.publish(messages[:10])
    reader = MarketDataReader(stream, topic, "watch", start="end")
    await publication.publish(messages[10:])
    assert await read_all(reader, len(messages) - 10) == messages[10:]
    assert reader.gaps == 0  # joining mid-stream is not a gap


async def test_unreadable_records_are_quarantined_with_the_reason_and_reading_goes_on(
    events: list[Event],
) -> None:
    messages = made_by_a_publisher(events)[:6]
    stream = MemoryStream()
    topic = market_data_topic()
    reader = MarketDataReader(stream, topic, "reader", start="beginning")
    publication = TopicPublication(stream, topic)
    await publication.start()
    await publication.publish(messages[:3])
    garbage = b"\x93not an envelope"
    newer = encode_envelope(messages[3:4], version=SCHEMA_VERSION + 1)
    engine_events = encode_envelope(events[:2], version=SCHEMA_VERSION)
    for payload in (garbage, newer, engine_events):
        stream.append_encoded(topic.name, payload)
    await publication.publish(messages[3:])
    assert await read_all(reader, 6) == messages
    reasons = [reason for name, _, reason in stream.quarantined if name == topic.name]
    assert len(reasons) == 3
    assert "not an envelope" in reasons[0]
    assert f"unknown schema version {SCHEMA_VERSION + 1} of market-data messages" in reasons[1]
    assert "holds bad market-data messages" in reasons[2]

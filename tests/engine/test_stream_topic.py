"""A topic of another vocabulary than the engine's, on both transports: typed items in
publish order, the three places a consumer starts, the last item, quarantine."""

import logging

import msgspec
import pytest

from engine.envelope import Envelopes, encode_envelope
from engine.memory_stream import MemoryStream
from engine.stream import Topic
from tests.engine.conftest import Transport, drain, make_events, read

pytestmark = pytest.mark.anyio


class Tick(msgspec.Struct, tag="tick"):
    instrument: str
    seq: int


class Note(msgspec.Struct, tag="note"):
    instrument: str
    text: str


TICKS = Envelopes("ticks", Tick | Note, 3)


def ticks(first: int, count: int, instrument: str = "CCER") -> list[Tick]:
    return [Tick(instrument, seq) for seq in range(first, first + count)]


@pytest.fixture
def ticker(topic: str) -> Topic[Tick | Note]:
    return Topic(f"{topic}.ticks", TICKS)


async def test_items_arrive_typed_and_in_order_and_a_name_resumes_where_it_committed(
    transport: Transport, ticker: Topic
) -> None:
    publisher = transport.stream.publisher()
    items = [*ticks(1, 3), Note("TJEA2025", "hello"), *ticks(4, 3, "TJEA2025")]
    try:
        await publisher.publish_to(ticker, items)
        await publisher.flush()
        consumer = transport.stream.topic_consumer(ticker, "viewer")
        received, _ = await read(consumer, len(items))
        await consumer.close()
        assert received == items
        await publisher.publish_to(ticker, ticks(7, 2))
        await publisher.flush()
        again = transport.stream.topic_consumer(ticker, "viewer")
        try:
            resumed, _ = await read(again, 2)
            assert resumed == ticks(7, 2)
        finally:
            await again.close()
    finally:
        await publisher.close()


async def test_a_reader_from_the_end_sees_only_what_comes_after(
    transport: Transport, ticker: Topic
) -> None:
    publisher = transport.stream.publisher()
    from_start = transport.stream.topic_consumer(ticker, "watch", start="beginning")
    try:
        await publisher.publish_to(ticker, ticks(1, 5))
        await publisher.flush()
        from_end = transport.stream.topic_consumer(ticker, "watch", start="end")
        try:
            assert await drain(from_end) == []  # also lets Kafka assign and seek
            await publisher.publish_to(ticker, ticks(6, 2))
            await publisher.flush()
            received, _ = await read(from_end, 2)
            assert received == ticks(6, 2)
        finally:
            await from_end.close()
        received, _ = await read(from_start, 7)
        assert received == ticks(1, 7)
    finally:
        await from_start.close()
        await publisher.close()


async def test_last_items_names_the_last_readable_item(transport: Transport, ticker: Topic) -> None:
    assert await transport.stream.last_items(ticker) == []
    publisher = transport.stream.publisher()
    try:
        await publisher.publish_to(ticker, ticks(1, 4))
        await publisher.flush()
        await transport.inject(ticker.name, b"garbage after the last tick")
        assert await transport.stream.last_items(ticker) == [Tick("CCER", 4)]
    finally:
        await publisher.close()


async def test_unreadable_messages_are_quarantined_with_the_reason(
    transport: Transport, ticker: Topic, caplog: pytest.LogCaptureFixture
) -> None:
    garbage = b"\x00\xffnot msgpack at all"
    newer = encode_envelope(ticks(9, 1), version=4)
    events = encode_envelope(make_events(1, 2), version=3)  # the right version, not ticks
    consumer = transport.stream.topic_consumer(ticker, "viewer")
    publisher = transport.stream.publisher()
    try:
        await publisher.publish_to(ticker, ticks(1, 2))
        await publisher.flush()
        for payload in (garbage, newer, events):
            await transport.inject(ticker.name, payload)
        await publisher.publish_to(ticker, ticks(3, 1))
        await publisher.flush()
        with caplog.at_level(logging.WARNING, logger="tcx.stream.quarantine"):
            received, _ = await read(consumer, 3)
        assert received == ticks(1, 3)
        quarantined = await transport.quarantined(ticker.name, 3)
        assert [payload for payload, _ in quarantined] == [garbage, newer, events]
        reasons = [reason for _, reason in quarantined]
        assert "not an envelope" in reasons[0]
        assert "unknown schema version 4 of ticks (this build reads 3)" in reasons[1]
        assert "holds bad ticks" in reasons[2]
        assert len(caplog.records) == 3
    finally:
        await consumer.close()
        await publisher.close()


async def test_in_process_a_topic_keeps_its_last_chunks_and_a_slow_reader_skips_ahead(
    ticker: Topic,
) -> None:
    stream = MemoryStream(topic_retention=10)
    slow = stream.topic_consumer(ticker, "slow")
    publisher = stream.publisher()
    for seq in range(1, 1100):  # one chunk per publish; nobody commits
        await publisher.publish_to(ticker, [Tick("CCER", seq)])
    chunks = stream.log(ticker.name).chunks
    assert len(chunks) < 1100 - 1000  # trimmed in bulk, down to the last 10
    received, _ = await read(slow, 1, commit=False)
    assert received[0].seq > 1000 and received[-1].seq == 1099
    assert await stream.last_items(ticker) == [Tick("CCER", 1099)]


async def test_in_process_a_topic_nobody_reads_keeps_only_its_last_publish(
    ticker: Topic,
) -> None:
    stream = MemoryStream()
    publisher = stream.publisher()
    reader = stream.topic_consumer(ticker, "reader", start="end")
    for seq in range(1, 4):
        await publisher.publish_to(ticker, [Tick("CCER", seq)])
    assert len(stream.log(ticker.name).chunks) == 3  # the reader has read none of them
    await reader.close()
    await publisher.publish_to(ticker, [Tick("CCER", 4)])
    assert stream.log(ticker.name).chunks == [(Tick("CCER", 4),)]
    assert await stream.last_items(ticker) == [Tick("CCER", 4)]

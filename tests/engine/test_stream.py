"""The stream contract, run against both transports: whatever carries the events, a
component sees every event once, in seq order, and resumes where it committed."""

import logging

import pytest

from engine.commands import Halt, MoveCash, NewOrder
from engine.envelope import encode_envelope
from engine.stream import COMMANDS_TOPIC
from tests.engine.conftest import Transport, drain, make_events, read, seqs

pytestmark = pytest.mark.anyio


async def test_events_arrive_in_published_order(transport: Transport, topic: str) -> None:
    publisher = transport.stream.publisher()
    consumer = transport.stream.events_consumer(topic, "settlement")
    try:
        published = make_events(1, 40)
        for start in range(0, 40, 7):
            await publisher.publish(topic, published[start : start + 7])
        await publisher.flush()
        received, _ = await read(consumer, 40)
        assert received == published
    finally:
        await consumer.close()
        await publisher.close()


async def test_restarted_consumer_resumes_after_its_committed_position(
    transport: Transport, topic: str
) -> None:
    publisher = transport.stream.publisher()
    await publisher.publish(topic, make_events(1, 10))
    first = transport.stream.events_consumer(topic, "settlement")
    received, _ = await read(first, 10, commit=True)
    await first.close()
    await publisher.publish(topic, make_events(11, 10))
    await publisher.flush()
    restarted = transport.stream.events_consumer(topic, "settlement")
    try:
        received, _ = await read(restarted, 10)
        assert seqs(received) == list(range(11, 21))
        assert await drain(restarted) == []
    finally:
        await restarted.close()
        await publisher.close()


async def test_uncommitted_events_come_again_and_after_seq_skips_them(
    transport: Transport, topic: str
) -> None:
    publisher = transport.stream.publisher()
    await publisher.publish(topic, make_events(1, 12))
    await publisher.flush()
    crashed = transport.stream.events_consumer(topic, "surveillance")
    received, _ = await read(crashed, 12, commit=False)
    assert seqs(received) == list(range(1, 13))
    await crashed.close()

    again = transport.stream.events_consumer(topic, "surveillance")
    redelivered, _ = await read(again, 12, commit=False)
    assert seqs(redelivered) == list(range(1, 13))
    await again.close()

    applied_up_to_8 = transport.stream.events_consumer(topic, "surveillance", after_seq=8)
    try:
        rest, _ = await read(applied_up_to_8, 4)
        assert seqs(rest) == [9, 10, 11, 12]
    finally:
        await applied_up_to_8.close()
        await publisher.close()


async def test_a_batch_published_twice_is_applied_once(transport: Transport, topic: str) -> None:
    publisher = transport.stream.publisher()
    consumer = transport.stream.events_consumer(topic, "settlement")
    try:
        events = make_events(1, 30)
        await publisher.publish(topic, events[:20])
        await publisher.publish(topic, events[10:20])  # a resend after a lost acknowledgement
        await publisher.publish(topic, events[20:])
        await publisher.flush()
        received, _ = await read(consumer, 30)
        assert seqs(received) == list(range(1, 31))
        assert await drain(consumer) == []
    finally:
        await consumer.close()
        await publisher.close()


async def test_unreadable_messages_are_quarantined_and_the_consumer_goes_on(
    transport: Transport, topic: str, caplog: pytest.LogCaptureFixture
) -> None:
    garbage = b"\x00\xffnot msgpack at all"
    from_the_future = encode_envelope(make_events(4, 2), version=99)
    publisher = transport.stream.publisher()
    consumer = transport.stream.events_consumer(topic, "surveillance")
    try:
        await publisher.publish(topic, make_events(1, 3))
        await publisher.flush()
        await transport.inject(topic, garbage)
        await transport.inject(topic, from_the_future)
        await publisher.publish(topic, make_events(6, 3))
        await publisher.flush()
        with caplog.at_level(logging.WARNING, logger="tcx.stream.quarantine"):
            received, _ = await read(consumer, 6)
        assert seqs(received) == [1, 2, 3, 6, 7, 8]
        reasons = [record.getMessage() for record in caplog.records]
        assert len(reasons) == 2
        assert "not an envelope" in reasons[0]
        assert "unknown schema version 99" in reasons[1]
        quarantined = await transport.quarantined(topic, 2)
        assert [payload for payload, _ in quarantined] == [garbage, from_the_future]
        assert "unknown schema version 99" in quarantined[1][1]
    finally:
        await consumer.close()
        await publisher.close()


async def test_consumers_with_different_names_keep_separate_positions(
    transport: Transport, topic: str
) -> None:
    publisher = transport.stream.publisher()
    await publisher.publish(topic, make_events(1, 6))
    await publisher.flush()
    settlement = transport.stream.events_consumer(topic, "settlement")
    await read(settlement, 6)
    await settlement.close()
    surveillance = transport.stream.events_consumer(topic, "surveillance")
    try:
        received, _ = await read(surveillance, 6)
        assert seqs(received) == list(range(1, 7))
    finally:
        await surveillance.close()
        await publisher.close()


async def test_commands_travel_without_seq(transport: Transport, topic: str) -> None:
    commands_topic = f"{COMMANDS_TOPIC}.{topic}"
    commands = [
        NewOrder(1, "A1", "c1", "TJEA2025", 1, 2, 0, 4_000, 10),
        MoveCash(2, "A1", 50_000, 1, "dep-1", "ops"),
        NewOrder(3, "A2", "c2", "TJEA2026", 2, 2, 0, 4_100, 5),
        Halt(4, "", "supervisor", "drill"),
        NewOrder(3, "A2", "c2", "TJEA2026", 2, 2, 0, 4_100, 5),  # a true repeat stays
    ]
    publisher = transport.stream.publisher()
    engine = transport.stream.commands_consumer(commands_topic, "engine")
    try:
        await publisher.publish(commands_topic, commands)
        await publisher.flush()
        received, _ = await read(engine, len(commands))
        assert received == commands
    finally:
        await engine.close()
        await publisher.close()

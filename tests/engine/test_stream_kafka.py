"""What the Kafka transport puts on the wire, read back with a plain Kafka client."""

import pytest
from aiokafka import AIOKafkaProducer

from engine.envelope import decode_envelope
from engine.stream import routing_key
from tests.brokers import Tansu
from tests.engine.conftest import kafka_stream_for_tests, make_events, raw_messages

pytestmark = pytest.mark.anyio


async def test_messages_are_keyed_runs_of_one_instrument_in_publish_order(
    tansu: Tansu, topic: str
) -> None:
    stream = kafka_stream_for_tests(tansu.bootstrap_servers)
    publisher = stream.publisher()
    events = make_events(1, 50)
    try:
        await publisher.publish(topic, events)
        await publisher.flush()
    finally:
        await publisher.close()
    messages = await raw_messages(tansu.bootstrap_servers, topic, 1)
    carried = []
    for message in messages:
        items = decode_envelope(message.value, carries_events=True)
        assert {routing_key(item).encode() for item in items} == {message.key}
        carried += items
    assert carried == events  # once each, in order: no duplicates without a fault
    assert 1 < len(messages) < len(events)
    assert await partitions(tansu, topic) == {0}  # one partition: seq order is total


async def partitions(broker: Tansu, topic: str) -> set[int]:
    client = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers)
    await client.start()
    try:
        return await client.partitions_for(topic)
    finally:
        await client.stop()


async def test_small_publishes_share_messages(tansu: Tansu, topic: str) -> None:
    stream = kafka_stream_for_tests(tansu.bootstrap_servers)
    publisher = stream.publisher()
    events = [event for event in make_events(1, 300) if routing_key(event) == "CCER"]
    try:
        for event in events:  # one publish per event, as an engine without batching would
            await publisher.publish(topic, [event])
        await publisher.flush()
    finally:
        await publisher.close()
    messages = await raw_messages(tansu.bootstrap_servers, topic, 1)
    carried = [item for m in messages for item in decode_envelope(m.value, carries_events=True)]
    assert carried == events
    assert len(messages) < len(events) / 2


async def test_a_publisher_that_cannot_encode_says_so_instead_of_hanging(
    tansu: Tansu, topic: str
) -> None:
    publisher = kafka_stream_for_tests(tansu.bootstrap_servers).publisher()
    try:
        await publisher.publish(topic, [object()])  # type: ignore[list-item]
        with pytest.raises(TypeError, match="Encoding objects of type object is unsupported"):
            await publisher.flush()
    finally:
        await publisher.close()

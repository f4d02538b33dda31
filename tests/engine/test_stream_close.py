"""A service stopping while the broker is away: its consumer's last commit and its leaving
the group give up after a bound instead of waiting for the broker (SIGTERM must work in
an outage), and what was not committed is simply read again later."""

import asyncio

import pytest

from engine.kafka_stream import KafkaConsumer, KafkaStream
from engine.stream import EVENTS_TOPIC
from tests.brokers import committed, proxied_tansu
from tests.engine.conftest import kafka_stream_for_tests, make_events, read, seqs

pytestmark = pytest.mark.anyio

HANG_GUARD = 60.0  # seconds: far above the stream's 5 s bounds; a hang fails the test


async def settlement_after_twenty_events(stream: KafkaStream) -> KafkaConsumer:
    """Events 1-20 on the topic, and a settlement consumer that has not read them yet."""
    publisher = stream.publisher()
    await publisher.publish(EVENTS_TOPIC, make_events(1, 20))
    await publisher.flush()
    await publisher.close()
    return stream.events_consumer(EVENTS_TOPIC, "settlement")


async def test_a_consumer_closes_while_the_broker_is_away_and_its_batches_come_again() -> None:
    async with proxied_tansu() as (broker, proxy):
        stream = kafka_stream_for_tests(broker.bootstrap_servers)
        consumer = await settlement_after_twenty_events(stream)
        first, position = await read(consumer, 20, commit=False)
        assert seqs(first) == list(range(1, 21))

        proxy.cut_off()
        await asyncio.wait_for(consumer.commit(position), HANG_GUARD)  # deferred
        await asyncio.wait_for(consumer.close(), HANG_GUARD)
        proxy.restore()

        again = stream.events_consumer(EVENTS_TOPIC, "settlement")
        try:
            second, _ = await read(again, 20)
        finally:
            await again.close()
        # Either the deferred commit never reached the broker and the batch comes again, or
        # it slipped through before the cut took hold and nothing does; never a part of it.
        assert seqs(second) in (seqs(first), [])


async def test_a_commit_that_outlasts_its_bound_still_lands_and_the_later_one_after_it() -> None:
    """Two commits in flight could reach the broker out of order and move the position
    back; so a commit that outlasts its bound is left to land, and the next waits for it."""
    async with proxied_tansu() as (broker, proxy):
        stream = kafka_stream_for_tests(broker.bootstrap_servers)
        stream.commit_timeout = 0.5
        consumer = await settlement_after_twenty_events(stream)
        _, position = await read(consumer, 20, commit=False)
        end = position[0]
        await consumer.commit({0: end - 5})  # the group's coordinator is known from here

        proxy.hold()  # the broker stops answering: the commit stays in flight
        await asyncio.wait_for(consumer.commit({0: end - 1}), HANG_GUARD)  # gives up waiting
        await asyncio.wait_for(consumer.commit({0: end}), HANG_GUARD)  # queued behind it
        proxy.release()
        await asyncio.wait_for(consumer.close(), HANG_GUARD)  # commits what is left
        assert await committed(broker, "settlement", EVENTS_TOPIC) == end

"""The in-process transport's own duties: batches of any size, and bounded memory."""

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.memory_stream import TRIM_EVERY, MemoryStream
from tests.engine.conftest import make_events, read, seqs

pytestmark = pytest.mark.anyio


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(0, 40), max_size=30), max_batch=st.integers(1, 50))
async def test_every_published_event_is_read_once_in_order(
    sizes: list[int], max_batch: int
) -> None:
    stream = MemoryStream(max_batch=max_batch)
    publisher = stream.publisher()
    consumer = stream.events_consumer("events", "settlement")
    seq = 1
    for size in sizes:
        await publisher.publish("events", make_events(seq, size))
        seq += size
    received, position = await read(consumer, seq - 1)
    assert seqs(received) == list(range(1, seq))
    assert position in ({}, {0: len([size for size in sizes if size])})


async def test_chunks_every_consumer_committed_past_are_dropped() -> None:
    stream = MemoryStream(max_batch=100)
    publisher = stream.publisher()
    settlement = stream.events_consumer("events", "settlement")
    surveillance = stream.events_consumer("events", "surveillance")
    for seq in range(1, 3001):
        await publisher.publish("events", make_events(seq, 1))
    await read(settlement, 3000)
    assert stream.log("events").base == 0  # surveillance has not committed anything yet
    await read(surveillance, 2500)
    log = stream.log("events")
    assert 2500 - TRIM_EVERY < log.base <= 2500
    assert len(log.chunks) == 3000 - log.base
    restarted = stream.events_consumer("events", "surveillance")
    rest, _ = await read(restarted, 500)
    assert seqs(rest) == list(range(2501, 3001))


def test_the_embedded_mode_does_not_load_kafka() -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, engine.stream, engine.memory_stream, engine.envelope;"
            "print(sorted(m for m in sys.modules if m.startswith('aiokafka')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"

"""The local stream across a process boundary: a second client (a back office started
again) resumes from what the first committed, a from-the-day reader that resumes past
what the served stream still holds gets the day from the journal first, and commands
published through the socket reach the serving process's engine (a bad payload is
quarantined there, changing nothing)."""

import tempfile
from pathlib import Path

import pytest

from engine.commands import Halt
from engine.memory_stream import MemoryStream
from engine.socket_stream import SocketStream, StreamServer
from engine.stream import COMMANDS_TOPIC, EVENTS_TOPIC
from tests.engine.conftest import make_events, read, seqs

pytestmark = pytest.mark.anyio


def socket_path() -> Path:
    return Path(tempfile.mkdtemp(prefix="tcx-stream-")) / "stream.sock"


async def test_a_new_client_resumes_from_the_committed_position_and_gets_the_rest_again():
    memory = MemoryStream()
    server = StreamServer(memory, socket_path())
    await server.start()
    publisher = memory.publisher()
    await publisher.publish(EVENTS_TOPIC, make_events(1, 10))
    try:
        killed = SocketStream(server.path)
        first = killed.events_consumer(EVENTS_TOPIC, "settlement")
        committed, _ = await read(first, 10)
        await publisher.publish(EVENTS_TOPIC, make_events(11, 10))
        rest, _ = await read(first, 10, commit=False)  # read, never committed
        assert seqs(committed + rest) == list(range(1, 21))
        await killed.close()  # the connection drops, as with a SIGKILL

        started_again = SocketStream(server.path)
        again = started_again.events_consumer(EVENTS_TOPIC, "settlement", after_seq=12)
        redelivered, _ = await read(again, 8)
        assert seqs(redelivered) == list(range(13, 21))  # after the commit, above after_seq
        await started_again.close()
    finally:
        await server.close()


async def test_a_reader_of_the_day_resuming_past_the_held_events_gets_the_journal_first():
    memory = MemoryStream()
    day = make_events(1, 30)
    replayed_after: list[int] = []

    def replay(after_seq: int):
        replayed_after.append(after_seq)
        yield from (day[i : i + 7] for i in range(0, 30, 7))

    server = StreamServer(memory, socket_path(), replay)
    await server.start()
    await memory.publisher().publish(EVENTS_TOPIC, day)
    try:
        client = SocketStream(server.path)
        first = client.events_consumer(EVENTS_TOPIC, "surveillance", from_start=True)
        read_once, _ = await read(first, 30)
        assert seqs(read_once) == list(range(1, 31)) and replayed_after == []
        await client.close()
        await memory.publisher().publish(EVENTS_TOPIC, make_events(31, 5))

        client = SocketStream(server.path)
        again = client.events_consumer(EVENTS_TOPIC, "surveillance", from_start=True)
        rebuilt, _ = await read(again, 35)
        assert seqs(rebuilt) == list(range(1, 36))  # the day, then what came since, once
        assert replayed_after == [0]
        await client.close()
    finally:
        await server.close()


async def test_commands_reach_the_serving_stream_and_a_bad_payload_is_quarantined():
    memory = MemoryStream()
    server = StreamServer(memory, socket_path())
    await server.start()
    engine = memory.commands_consumer(COMMANDS_TOPIC, "engine")
    try:
        client = SocketStream(server.path)
        await client.publisher().publish(COMMANDS_TOPIC, [Halt(1, "TJEA2025", "ops", "test")])
        await client.send("publish", 0, COMMANDS_TOPIC, "commands", b"\x93not an envelope")
        await client.publisher().flush()
        received, _ = await read(engine, 1)
        assert received == [Halt(1, "TJEA2025", "ops", "test")]
        assert [(t, p) for t, p, _ in memory.quarantined] == [
            (COMMANDS_TOPIC, b"\x93not an envelope")
        ]
        await client.close()
    finally:
        await server.close()


async def test_a_failure_serving_a_batch_drops_the_client_instead_of_leaving_it_waiting():
    memory = MemoryStream()

    def broken_journal(after_seq: int):
        raise OSError("journal unreadable")
        yield  # a generator, as events_after is

    server = StreamServer(memory, socket_path(), broken_journal)
    await server.start()
    await memory.publisher().publish(EVENTS_TOPIC, make_events(1, 3))
    try:
        client = SocketStream(server.path)
        reader = client.events_consumer(EVENTS_TOPIC, "surveillance", from_start=True)
        await reader.commit((await reader.next_batch(1.0)).position)
        await client.close()

        client = SocketStream(server.path)
        again = client.events_consumer(EVENTS_TOPIC, "surveillance", from_start=True)
        with pytest.raises(ConnectionError):
            await again.next_batch(1.0)
        await client.close()
    finally:
        await server.close()

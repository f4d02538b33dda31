"""The pipelined group commit: a record's events come out only once its fsync returned,
while the next record fills; and the engine service keeps its loop free meanwhile.

The journal's fdatasync is replaced by a gate the test opens one call at a time, so "the
fsync is still running" is a state the test holds, not a race it hopes to win."""

import asyncio
import errno
import os
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from engine.command_intake import Resume
from engine.durable_sequencer import DurableSequencer, GroupCommit
from engine.engine_service import EngineService
from engine.events import Event
from engine.journal import JournalReader
from engine.memory_stream import MemoryStream
from engine.recovery import JOURNAL_FILE, SNAPSHOT_DIRECTORY, recover
from engine.stream import COMMANDS_TOPIC, EVENTS_TOPIC
from tests.engine.tally import Tally, cash_movements

GATE_TIMEOUT_S = 60.0  # a sync nobody opens fails the test rather than hanging it


class GatedSync:
    """Stands in for os.fdatasync: each call waits until the test opens the gate for it,
    then syncs for real, or raises what the test gave instead."""

    def __init__(self, real) -> None:
        self.real = real
        self.entered = threading.Semaphore(0)  # one release per call that is waiting
        self.outcomes: queue.Queue[OSError | None] = queue.Queue()

    def __call__(self, fd: int) -> None:
        self.entered.release()
        outcome = self.outcomes.get(timeout=GATE_TIMEOUT_S)
        if outcome is not None:
            raise outcome
        self.real(fd)

    def wait_entered(self) -> None:
        assert self.entered.acquire(timeout=GATE_TIMEOUT_S), "no fsync started"

    def open(self, outcome: OSError | None = None) -> None:
        self.outcomes.put(outcome)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[GatedSync]:
    gated = GatedSync(os.fdatasync)
    monkeypatch.setattr(os, "fdatasync", gated)
    yield gated
    for _ in range(8):  # let any sync still waiting finish, so no thread outlives the test
        gated.open()


def landed(durable: DurableSequencer, sync: Future[None]) -> list[Event]:
    sync.exception(timeout=GATE_TIMEOUT_S)
    return durable.land()


def seqs(events: list[Event]) -> list[int]:
    return [event.seq for event in events]


def records(directory: Path) -> list[int]:
    """Commands per journal record."""
    return [len(batch) for batch in JournalReader(directory / JOURNAL_FILE)]


def test_a_records_events_come_out_only_once_its_fsync_returned(
    tmp_path: Path, gate: GatedSync
) -> None:
    durable = DurableSequencer(tmp_path, Tally(), GroupCommit(snapshot_every=0))
    durable.enqueue(cash_movements(seed=1, count=2))
    sync = durable.start()
    assert sync is not None
    gate.wait_entered()
    assert not sync.done()
    with pytest.raises(RuntimeError, match="still running"):
        durable.land()
    assert durable.commands == 0
    gate.open()
    assert seqs(landed(durable, sync)) == [1, 2]
    assert durable.commands == 2
    assert durable.start() is None  # nothing queued, nothing in flight
    durable.close()


def test_commands_queued_during_a_sync_make_the_next_record_in_order(
    tmp_path: Path, gate: GatedSync
) -> None:
    commands = cash_movements(seed=2, count=9)
    durable = DurableSequencer(tmp_path, Tally(), GroupCommit(max_commands=2, snapshot_every=0))
    durable.enqueue(commands[:1])
    first = durable.start()
    gate.wait_entered()
    for command in commands[1:]:  # more than max_commands: queuing never cuts
        durable.enqueue([command])
    assert durable.start() is first  # one record at a time
    assert records(tmp_path) == [1]
    assert durable.queued == 8
    gate.open()
    assert seqs(landed(durable, first)) == [1]
    second = durable.start()
    gate.wait_entered()
    assert records(tmp_path) == [1, 8]  # the record grew with what came during the sync
    assert durable.queued == 0
    gate.open()
    assert seqs(landed(durable, second)) == list(range(2, 10))
    durable.close()
    machine = Tally()
    assert recover(tmp_path, machine).commands == 9
    replayed = Tally()
    for command in commands:
        replayed.apply(command)
    assert machine.state_hash() == replayed.state_hash()


def test_a_failed_fsync_hands_back_nothing_and_journals_nothing_more(
    tmp_path: Path, gate: GatedSync
) -> None:
    commands = cash_movements(seed=3, count=3)
    durable = DurableSequencer(tmp_path, Tally(), GroupCommit(snapshot_every=0))
    durable.enqueue(commands[:2])
    sync = durable.start()
    gate.wait_entered()
    durable.enqueue(commands[2:])
    gate.open(OSError(errno.EIO, "disk gone"))
    with pytest.raises(OSError, match="disk gone"):
        landed(durable, sync)
    assert durable.commands == 0
    assert durable.queued == 0  # the queued command is dropped, never acknowledged
    size = (tmp_path / JOURNAL_FILE).stat().st_size
    durable.enqueue(commands[2:])
    with pytest.raises(OSError, match="closed or failed"):
        durable.start()
    assert durable.land() == []
    assert durable.close() == []
    assert (tmp_path / JOURNAL_FILE).stat().st_size == size


def test_an_input_mark_is_journaled_with_the_commands_before_it(
    tmp_path: Path, gate: GatedSync
) -> None:
    commands = cash_movements(seed=4, count=5)
    durable = DurableSequencer(tmp_path, Tally(), GroupCommit(snapshot_every=0))
    durable.enqueue(commands[:2], b"after two")
    first = durable.start()
    gate.wait_entered()
    durable.enqueue(commands[2:4], b"after four")
    durable.enqueue(commands[4:])  # read after the mark, which does not cover it
    gate.open()
    landed(durable, first)
    assert JournalReader(tmp_path / JOURNAL_FILE).last_mark() == (b"after two", 0)
    second = durable.start()
    gate.wait_entered()
    gate.open()
    landed(durable, second)
    # "after four" would claim the fifth command as taken: the record goes unmarked, and a
    # restart reads again from "after two", skipping the three journaled since
    assert JournalReader(tmp_path / JOURNAL_FILE).last_mark() == (b"after two", 3)
    durable.enqueue([], b"nothing new")
    third = durable.start()  # a mark alone is a record of its own
    gate.wait_entered()
    gate.open()
    assert landed(durable, third) == []
    assert JournalReader(tmp_path / JOURNAL_FILE).last_mark() == (b"nothing new", 0)
    assert records(tmp_path) == [2, 3, 0]
    durable.close()


def test_a_snapshot_due_at_start_is_written_on_its_own_thread(
    tmp_path: Path, gate: GatedSync
) -> None:
    commands = cash_movements(seed=5, count=6)
    durable = DurableSequencer(tmp_path, Tally(), GroupCommit(snapshot_every=4))
    for part in (commands[:4], commands[4:]):
        durable.enqueue(part)
        sync = durable.start()
        gate.wait_entered()
        gate.open()
        landed(durable, sync)
    durable.close()  # waits for the snapshot being written
    machine = Tally()
    recovery = recover(tmp_path, machine)
    assert (recovery.snapshot_commands, recovery.commands) == (4, 6)


def test_a_failed_snapshot_stops_the_next_start_and_is_taken_again(
    tmp_path: Path, gate: GatedSync
) -> None:
    blocker = tmp_path / SNAPSHOT_DIRECTORY
    blocker.write_bytes(b"a file where the snapshot directory should be")
    commands = cash_movements(seed=6, count=8)
    durable = DurableSequencer(tmp_path, Tally(), GroupCommit(snapshot_every=4))
    durable.enqueue(commands[:4])
    sync = durable.start()
    gate.wait_entered()
    gate.open()
    landed(durable, sync)
    durable.enqueue(commands[4:6])
    sync = durable.start()  # starts the snapshot, which fails on its thread
    gate.wait_entered()
    gate.open()
    assert seqs(landed(durable, sync)) == [5, 6]
    durable.enqueue(commands[6:])
    with pytest.raises(FileExistsError):
        durable.start()
    assert records(tmp_path) == [4, 2]  # nothing journaled by the failed start
    blocker.unlink()
    sync = durable.start()  # the snapshot again, of the state now
    gate.wait_entered()
    gate.open()
    assert seqs(landed(durable, sync)) == [7, 8]
    durable.close()
    recovery = recover(tmp_path, Tally())
    assert (recovery.snapshot_commands, recovery.commands) == (6, 8)


async def read_events(stream: MemoryStream, count: int) -> list[int]:
    consumer = stream.events_consumer(EVENTS_TOPIC, "test")
    seen: list[int] = []
    for _ in range(200):
        if len(seen) >= count:
            break
        seen.extend(seqs(list((await consumer.next_batch(0.05)).items)))
    return seen


def test_the_engine_service_publishes_a_record_only_once_it_is_durable(
    tmp_path: Path, gate: GatedSync
) -> None:
    """While a record's fsync runs, the service's loop reads and queues the next commands,
    publishes nothing of the record and commits nothing of its input; then it publishes the
    records in order, each once its own fsync has returned."""
    stream = MemoryStream()
    durable = DurableSequencer(tmp_path, Tally(), GroupCommit(snapshot_every=0))
    service = EngineService(durable, stream, Resume(None, 0), idle_wait=0.01)
    commands = cash_movements(seed=7, count=4)
    input_log = stream.log(COMMANDS_TOPIC)

    async def scenario() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(service.run(stop))
        publisher = stream.publisher()
        await publisher.publish(COMMANDS_TOPIC, commands[:1])
        await asyncio.to_thread(gate.wait_entered)
        await publisher.publish(COMMANDS_TOPIC, commands[1:])
        for _ in range(1_000):  # the loop is free: it reads on during the fsync
            if durable.queued == 3:
                break
            await asyncio.sleep(0.01)
        assert durable.queued == 3
        assert await stream.last_seq(EVENTS_TOPIC) == 0
        assert input_log.committed["engine"] == 0
        gate.open()
        await asyncio.to_thread(gate.wait_entered)  # the second record's fsync
        assert await read_events(stream, 1) == [1]
        assert input_log.committed["engine"] == 1
        assert await stream.last_seq(EVENTS_TOPIC) == 1
        gate.open()
        assert await read_events(stream, 4) == [1, 2, 3, 4]
        assert input_log.committed["engine"] == 2
        stop.set()
        await asyncio.wait_for(running, GATE_TIMEOUT_S)

    asyncio.run(scenario())
    assert records(tmp_path) == [1, 3]
    assert service.last_seq == 4


def test_the_engine_service_stops_on_a_failed_fsync_without_publishing(
    tmp_path: Path, gate: GatedSync
) -> None:
    stream = MemoryStream()
    durable = DurableSequencer(tmp_path, Tally(), GroupCommit(snapshot_every=0))
    service = EngineService(durable, stream, Resume(None, 0), idle_wait=0.01)

    async def scenario() -> None:
        running = asyncio.create_task(service.run(asyncio.Event()))
        await stream.publisher().publish(COMMANDS_TOPIC, cash_movements(seed=8, count=2))
        await asyncio.to_thread(gate.wait_entered)
        gate.open(OSError(errno.EIO, "disk gone"))
        await asyncio.wait({running}, timeout=GATE_TIMEOUT_S)
        assert "disk gone" in str(running.exception())

    asyncio.run(scenario())
    assert service.last_seq == 0
    assert not stream.log(EVENTS_TOPIC).chunks
    assert stream.log(COMMANDS_TOPIC).committed["engine"] == 0

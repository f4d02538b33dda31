"""Exactly-once command intake: a command read again after a crash, or resent by its
publisher, is journaled (and so applied) once."""

from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from hypothesis import given
from hypothesis import strategies as st

from engine.command_intake import MAX_ORIGINS, Intake, Resume, resume_point
from engine.commands import Command, Halt
from engine.durable_sequencer import DurableSequencer, GroupCommit
from engine.envelope import encode_envelope
from engine.journal import JournalReader, JournalWriter
from engine.kafka_stream import NUMBER_HEADER, ORIGIN_HEADER, KafkaConsumer
from engine.recovery import JOURNAL_FILE
from engine.stream import CommandsConsumer
from tests.brokers import Tansu
from tests.engine.conftest import kafka_stream_for_tests

# ---- the journal's marks ---------------------------------------------------------------


def halts(first: int, count: int) -> list[Command]:
    """Distinct commands the sequencer refuses or applies without needing accounts."""
    return [Halt(n, f"X{n}", "ops", f"halt {n}") for n in range(first, first + count)]


def test_marked_records_read_back_as_their_commands_and_the_last_mark(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    writer = JournalWriter(path, 0)
    for commands, mark in (
        (halts(1, 2), None),
        (halts(3, 2), b"first"),
        ([], b"second"),  # a mark alone
        (halts(5, 3), None),
    ):
        writer.append(commands, mark)
        writer.sync()
    writer.close()
    assert list(JournalReader(path)) == [halts(1, 2), halts(3, 2), [], halts(5, 3)]
    assert JournalReader(path).last_mark() == (b"second", 3)


def test_a_journal_without_marks_has_every_command_after_none(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    writer = JournalWriter(path, 0)
    writer.append(halts(1, 4))
    writer.sync()
    writer.close()
    assert JournalReader(path).last_mark() == (None, 4)
    assert resume_point(tmp_path) == Resume(None, 4)


class Machine:
    """Records what it applies: the journal, not the machine, is under test here."""

    def __init__(self) -> None:
        self.applied: list[Command] = []

    def apply(self, command: Command) -> list:
        self.applied.append(command)
        return []

    def snapshot(self) -> bytes:
        return b""

    def restore(self, data: bytes) -> None:
        raise AssertionError("no snapshots in these tests")


def test_flush_journals_the_mark_with_the_commands_it_covers(tmp_path: Path) -> None:
    policy = GroupCommit(max_commands=2, snapshot_every=0)
    durable = DurableSequencer(tmp_path, Machine(), policy)
    for command in halts(1, 3):  # cuts a record of two on the way
        durable.submit(command)
    durable.flush(b"after three")
    durable.flush(b"nothing new")  # a record of its own
    durable.submit(halts(4, 1)[0])
    durable.close()
    assert JournalReader(tmp_path / JOURNAL_FILE).last_mark() == (b"nothing new", 1)
    recovered = Machine()
    assert DurableSequencer(tmp_path, recovered, policy).commands == 4
    assert recovered.applied == halts(1, 4)


# ---- the intake's decisions ------------------------------------------------------------


def test_a_resent_message_is_dropped_and_a_new_one_taken() -> None:
    intake = Intake(Resume(None, 0))
    assert intake.admit(0, 0, "gw", 1, halts(1, 2)) == halts(1, 2)
    assert intake.admit(0, 1, "gw", 1, halts(1, 2)) == []  # the resend
    assert intake.admit(0, 2, "other", 1, halts(3, 1)) == halts(3, 1)  # its own numbers
    assert intake.admit(0, 3, "gw", 2, halts(4, 1)) == halts(4, 1)
    assert intake.position == {0: 4}


def test_the_commands_journaled_after_the_mark_are_skipped_once() -> None:
    intake = Intake(Resume(None, 3))
    assert intake.admit(0, 0, "gw", 1, halts(1, 2)) == []
    assert intake.admit(0, 1, "gw", 2, halts(3, 2)) == halts(4, 1)
    assert intake.admit(0, 2, "gw", 3, halts(5, 1)) == halts(5, 1)


@given(st.lists(st.integers(1, 3 * MAX_ORIGINS), max_size=400))
def test_origins_are_bounded_and_the_latest_kept(origins: list[int]) -> None:
    intake = Intake(Resume(None, 0))
    numbers: dict[int, int] = {}
    for offset, origin in enumerate(origins):
        numbers[origin] = numbers.get(origin, 0) + 1
        intake.admit(0, offset, str(origin), numbers[origin], halts(offset, 1))
    assert len(intake.origins) <= MAX_ORIGINS
    if origins:
        assert intake.origins[f"{origins[-1]}/0"] == numbers[origins[-1]]


# ---- over Kafka: a crash between journaling and committing -----------------------------


def journaled(tmp_path: Path) -> list[str]:
    return [command.reason for batch in JournalReader(tmp_path / JOURNAL_FILE) for command in batch]


async def take(
    consumer: CommandsConsumer, durable: DurableSequencer, count: int, mark: bool = True
) -> int:
    """What the engine service does with each batch, short of committing; without `mark`
    it stops (crashes) after submitting, before the batch's closing record."""
    taken = 0
    for _ in range(60):
        if taken >= count:
            break
        batch = await consumer.next_batch(0.25)
        for command in batch.items:
            durable.submit(command)
        if mark:
            durable.flush(consumer.input_mark())
        taken += len(batch.items)
    return taken


@pytest.mark.anyio
async def test_commands_journaled_but_not_committed_are_not_taken_again(
    tansu: Tansu, tmp_path: Path
) -> None:
    stream = kafka_stream_for_tests(tansu.bootstrap_servers)
    topic = f"test.commands.{tmp_path.name}"
    publisher = stream.publisher()
    policy = GroupCommit(max_commands=4, snapshot_every=0)  # records end inside batches
    try:
        await publisher.publish(topic, halts(1, 10))
        await publisher.flush()
        durable = DurableSequencer(tmp_path, Machine(), policy)
        consumer = stream.commands_consumer(topic, "engine", resume_point(tmp_path))
        assert await take(consumer, durable, 10) == 10
        await publisher.publish(topic, halts(11, 5))
        await publisher.flush()
        assert await take(consumer, durable, 5, mark=False) == 5
        durable.close()  # journals the last of them: all five are on disk, unmarked
        await consumer.close()  # and nothing was committed on the topic
        assert resume_point(tmp_path).skip == 5

        await publisher.publish(topic, halts(16, 3))
        await publisher.flush()
        durable = DurableSequencer(tmp_path, Machine(), policy)
        consumer = stream.commands_consumer(topic, "engine", resume_point(tmp_path))
        assert await take(consumer, durable, 3) == 3
        assert await take(consumer, durable, 1) == 0  # and nothing more
        durable.close()
        await consumer.close()
    finally:
        await publisher.close()
    assert journaled(tmp_path) == [f"halt {n}" for n in range(1, 19)]


@pytest.mark.anyio
async def test_a_message_resent_by_its_publisher_is_taken_once(
    tansu: Tansu, tmp_path: Path
) -> None:
    """A resend looks like this on the topic: the same message, origin and number again."""
    stream = kafka_stream_for_tests(tansu.bootstrap_servers)
    topic = f"test.commands.{tmp_path.name}"
    await stream.ensure_topic(topic)
    producer = AIOKafkaProducer(bootstrap_servers=tansu.bootstrap_servers)
    await producer.start()
    try:
        for number, first in ((1, 1), (1, 1), (2, 3), (2, 3), (3, 5)):
            headers = [(ORIGIN_HEADER, b"gateway-a"), (NUMBER_HEADER, str(number).encode())]
            await producer.send_and_wait(
                topic, encode_envelope(halts(first, 2)), key=b"admin", headers=headers
            )
    finally:
        await producer.stop()
    durable = DurableSequencer(tmp_path, Machine(), GroupCommit(snapshot_every=0))
    consumer = stream.commands_consumer(topic, "engine", resume_point(tmp_path))
    assert isinstance(consumer, KafkaConsumer)
    try:
        assert await take(consumer, durable, 6) == 6
    finally:
        durable.close()
        await consumer.close()
    assert journaled(tmp_path) == [f"halt {n}" for n in range(1, 7)]

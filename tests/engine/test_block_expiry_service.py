"""Block expiry needs time in a deterministic engine: the engine service journals a
ClockTick once its clock passes the next allegation's deadline, so a replay of the
journal expires the allegation exactly as the running engine did; and an allegation
still open at a restart comes back from the journal and can be accepted."""

import asyncio
from pathlib import Path

from engine.block_timer import BlockTimer
from engine.command_intake import Resume
from engine.commands import AcceptBlock, ClockTick, Command
from engine.durable_sequencer import DurableSequencer, GroupCommit
from engine.engine_service import EngineService
from engine.events import BlockAlleged, BlockClosed, BlockTrade, Event
from engine.journal import JournalReader
from engine.memory_stream import MemoryStream
from engine.recovery import JOURNAL_FILE
from engine.reference import ReferenceData
from engine.sequencer import Sequencer
from engine.stream import COMMANDS_TOPIC, EVENTS_TOPIC
from settlement.holds import SettlementHolds
from tests.engine.test_block_trades import AFTERNOON, report, setup

MINUTE = 60 * 1_000_000_000


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def fresh(reference: ReferenceData) -> Sequencer:
    return Sequencer(reference, SettlementHolds(reference))


def journaled(directory: Path) -> list[Command]:
    return [command for batch in JournalReader(directory / JOURNAL_FILE) for command in batch]


async def run_service(
    directory: Path,
    sequencer: Sequencer,
    clock: Clock,
    commands: list[Command],
    until: type,
    jump: int = 0,
) -> list[Event]:
    """Runs the engine service on `commands` until an event of type `until` is out; once
    the allegation is out, the clock moves on by `jump`."""
    stream = MemoryStream()
    durable = DurableSequencer(directory, sequencer, GroupCommit(snapshot_every=0))
    service = EngineService(
        durable,
        stream,
        Resume(None, 0),
        idle_wait=0.01,
        timer=BlockTimer(sequencer.blocks, clock),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(service.run(stop))
    await stream.publisher().publish(COMMANDS_TOPIC, commands)
    consumer = stream.events_consumer(EVENTS_TOPIC, "test")
    seen: list[Event] = []
    for _ in range(500):
        seen.extend((await consumer.next_batch(0.01)).items)
        if any(type(event) is BlockAlleged for event in seen):
            clock.now = AFTERNOON + jump
        if any(type(event) is until for event in seen):
            break
    stop.set()
    await asyncio.wait_for(running, 10)
    await consumer.close()
    return seen


def test_the_engine_service_expires_an_allegation_by_a_journaled_tick(
    tmp_path: Path, reference: ReferenceData
) -> None:
    live = fresh(reference)
    clock = Clock(AFTERNOON)
    seen = asyncio.run(
        run_service(tmp_path, live, clock, [*setup(), report()], BlockClosed, 16 * MINUTE)
    )
    (closed,) = [event for event in seen if type(event) is BlockClosed]
    assert closed.ts == AFTERNOON + 16 * MINUTE
    ticks = [command for command in journaled(tmp_path) if type(command) is ClockTick]
    assert [tick.ts for tick in ticks] == [AFTERNOON + 16 * MINUTE]  # one tick, not one a turn
    replayed = fresh(reference)
    DurableSequencer(tmp_path, replayed, GroupCommit(snapshot_every=0)).close()
    assert replayed.blocks.allegations == {}
    assert replayed.state_hash() == live.state_hash()


def test_an_open_allegation_is_recovered_from_the_journal_and_then_accepted(
    tmp_path: Path, reference: ReferenceData
) -> None:
    live = fresh(reference)
    clock = Clock(AFTERNOON)
    asyncio.run(run_service(tmp_path, live, clock, [*setup(), report()], BlockAlleged))
    restarted = fresh(reference)
    durable = DurableSequencer(tmp_path, restarted, GroupCommit(snapshot_every=0))
    assert list(restarted.blocks.allegations) == [1]
    assert restarted.state_hash() == live.state_hash()
    durable.submit(AcceptBlock(AFTERNOON + 5 * MINUTE, "MB", "acc", 1))
    events = durable.flush()
    durable.close()
    assert [type(event) for event in events] == [BlockTrade]

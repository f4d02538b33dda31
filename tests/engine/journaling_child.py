"""The process the crash test kills: journals the benchmark's seeded command stream through
the real sequencer with in-memory holds, and prints how many commands are acknowledged,
one line whenever the count moves, only after they are durable.

Usage: python journaling_child.py DIRECTORY SEED EVENTS
It recovers from DIRECTORY first and carries on from the first unacknowledged command.
"""

import sys
from pathlib import Path

from bench.workload import generate
from engine.commands import Command
from engine.durable_sequencer import DurableSequencer, GroupCommit
from engine.memory_holds import MemoryHolds
from engine.reference import load_reference_data
from engine.sequencer import Sequencer

POLICY = GroupCommit(max_commands=50, max_wait_ns=1_000_000, snapshot_every=2_000)


def command_stream(seed: int, events: int) -> list[Command]:
    workload = generate(events, seed=seed)
    return workload.setup + workload.warmup + workload.timed


def fresh_sequencer() -> Sequencer:
    return Sequencer(load_reference_data(), MemoryHolds())


def main(directory: Path, seed: int, events: int) -> None:
    commands = command_stream(seed, events)
    sequencer = DurableSequencer(directory, fresh_sequencer(), POLICY)
    acknowledged = sequencer.commands
    print(acknowledged, flush=True)
    for command in commands[acknowledged:]:
        sequencer.submit(command)
        if sequencer.commands != acknowledged:
            acknowledged = sequencer.commands
            print(acknowledged, flush=True)
    sequencer.close()
    print(sequencer.commands, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))

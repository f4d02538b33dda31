"""The process the crash test kills: journals a reproducible command stream and prints how
many commands are acknowledged, one line per group commit, only after they are durable.

Usage: python journaling_child.py DIRECTORY SEED COUNT
It recovers from DIRECTORY first and carries on from the first unacknowledged command.
"""

import sys
from pathlib import Path

from engine.durable_sequencer import DurableSequencer, GroupCommit
from tests.engine.tally import Tally, cash_movements

POLICY = GroupCommit(max_commands=50, max_wait_ns=1_000_000, snapshot_every=2_000)


def main(directory: Path, seed: int, count: int) -> None:
    commands = cash_movements(seed, count)
    sequencer = DurableSequencer(directory, Tally(), POLICY)
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

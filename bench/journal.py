"""Benchmark (c): the sequencer with pre-trade holds and the journal on.

Commands are submitted back to back (the engine is never idle), journaled with group
commit and fdatasync, applied and acknowledged. Reports commands/s over the whole run
(snapshots included), the acknowledgement latency of each command (submit to the return
of the call that released its events) and the fdatasync time per batch; median of the runs.

    python -m bench.journal [--commands 1000000] [--runs 5] [--directory /tmp]
"""

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.commands import Command
from engine.durable_sequencer import DurableSequencer, GroupCommit
from engine.recovery import StateMachine


@dataclass(frozen=True, slots=True)
class JournalRun:
    commands_per_s: float
    ack_us: tuple[float, float, float]  # p50, p99, p99.9
    sync_us: tuple[float, float]  # p50, p99 of fdatasync per batch
    batches: int


def run(
    directory: Path, machine: StateMachine, commands: list[Command], policy: GroupCommit
) -> JournalRun:
    sequencer = DurableSequencer(directory, machine, policy)
    clock = time.perf_counter_ns
    submit = sequencer.submit
    submitted = [0] * len(commands)
    acknowledged = [0] * len(commands)
    syncs: list[int] = []
    done = 0
    started = clock()
    for position, command in enumerate(commands):
        submitted[position] = clock()
        submit(command)
        if sequencer.commands != done:
            now = clock()
            acknowledged[done : sequencer.commands] = [now] * (sequencer.commands - done)
            done = sequencer.commands
            syncs.append(sequencer.last_sync_ns)
    sequencer.close()
    finished = clock()
    if sequencer.commands != done:
        acknowledged[done:] = [finished] * (len(commands) - done)
        syncs.append(sequencer.last_sync_ns)
    latency_us = (np.array(acknowledged) - np.array(submitted)) / 1_000
    sync_us = np.array(syncs) / 1_000
    return JournalRun(
        commands_per_s=len(commands) / ((finished - started) / 1e9),
        ack_us=tuple(float(v) for v in np.percentile(latency_us, [50, 99, 99.9])),
        sync_us=tuple(float(v) for v in np.percentile(sync_us, [50, 99])),
        batches=len(syncs),
    )

"""Benchmark (c): the sequencer with settlement's pre-trade holds and the journal on.

    python -m bench.journal [--runs 5] [--events 200000] [--seed 1] [--max-commands 1000]
                            [--max-wait-us 2000] [--snapshot-every 1000000] [--directory /tmp]

The workload of bench/engine.py (set-up and warm-up journaled first, untimed) is submitted
back to back, so the engine is never idle: commands are journaled with group commit and
fdatasync, applied, and acknowledged. Reported, median over the runs:
- commands/s until the last timed command is acknowledged, snapshots included, in a pass
  without per-command timing; with figure (b), the same sequencer without the journal,
  measured in the same run for the ratio (the machine is shared, so the ratio is steadier
  than either figure);
- in a second pass, the acknowledgement latency of each command: from its `submit` to the
  return of the call that handed back its events, so at full load it includes the batch
  filling and the batch before it landing;
- fdatasync time per batch as the sync thread sees it (so including its wait for the GIL
  once the call returns), and the time to take one snapshot of the final state.
"""

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.targets import plain_sequencer, sequencer_target, settlement_sequencer, throughput
from bench.workload import Workload, generate
from engine.durable_sequencer import DurableSequencer, GroupCommit
from engine.sequencer import Sequencer


@dataclass(frozen=True, slots=True)
class JournalLatency:
    ack_us: tuple[float, float, float]  # p50, p99, p99.9
    sync_us: tuple[float, float]  # p50, p99 of fdatasync per batch
    batches: int
    snapshot_ms: float  # one snapshot of the final state, written and fsynced
    snapshot_mb: float


def prepared(
    directory: Path, workload: Workload, policy: GroupCommit, factory: Callable[[], Sequencer]
) -> DurableSequencer:
    """A journaled sequencer with the workload's set-up and warm-up durable and applied."""
    sequencer = DurableSequencer(directory, factory(), policy)
    for command in workload.setup + workload.warmup:
        sequencer.submit(command)
    sequencer.flush()
    return sequencer


def journaled_throughput(
    directory: Path,
    workload: Workload,
    policy: GroupCommit,
    factory: Callable[[], Sequencer] = plain_sequencer,
) -> float:
    """Commands/s until the last timed command is acknowledged; no per-command timing."""
    sequencer = prepared(directory, workload, policy, factory)
    submit = sequencer.submit
    gc.collect()
    started = time.perf_counter()
    for command in workload.timed:
        submit(command)
    sequencer.close()
    return len(workload.timed) / (time.perf_counter() - started)


def journaled_latency(
    directory: Path,
    workload: Workload,
    policy: GroupCommit,
    factory: Callable[[], Sequencer] = plain_sequencer,
) -> JournalLatency:
    sequencer = prepared(directory, workload, policy, factory)
    timed = workload.timed
    clock = time.perf_counter_ns
    submit = sequencer.submit
    submitted = [0] * len(timed)
    acknowledged = [0] * len(timed)
    syncs: list[int] = []
    base = done = sequencer.commands

    def acknowledge(now: int) -> None:
        nonlocal done
        acknowledged[done - base : sequencer.commands - base] = [now] * (sequencer.commands - done)
        done = sequencer.commands
        syncs.append(sequencer.last_sync_ns)

    gc.collect()
    for position, command in enumerate(timed):
        submitted[position] = clock()
        submit(command)
        if sequencer.commands != done:
            acknowledge(clock())
    sequencer.flush()
    if sequencer.commands != done:
        acknowledge(clock())
    snapshot_started = clock()
    sequencer.take_snapshot()
    snapshot_ns = clock() - snapshot_started
    sequencer.close()
    snapshot_bytes = max(path.stat().st_size for path in directory.rglob("snapshot-*"))
    latency_us = (np.array(acknowledged) - np.array(submitted)) / 1_000
    sync_us = np.array(syncs) / 1_000
    return JournalLatency(
        ack_us=tuple(float(v) for v in np.percentile(latency_us, [50, 99, 99.9])),
        sync_us=tuple(float(v) for v in np.percentile(sync_us, [50, 99])),
        batches=len(syncs),
        snapshot_ms=snapshot_ns / 1e6,
        snapshot_mb=snapshot_bytes / 1e6,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    defaults = GroupCommit()
    parser.add_argument("--max-commands", type=int, default=defaults.max_commands)
    parser.add_argument("--max-wait-us", type=int, default=defaults.max_wait_ns // 1_000)
    parser.add_argument("--snapshot-every", type=int, default=defaults.snapshot_every)
    parser.add_argument("--directory", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    policy = GroupCommit(args.max_commands, args.max_wait_us * 1_000, args.snapshot_every)
    workload = generate(args.events, seed=args.seed)
    bare: list[float] = []
    journaled: list[float] = []
    latencies: list[JournalLatency] = []
    for _ in range(args.runs):
        bare.append(
            throughput(sequencer_target(settlement_sequencer, workload)(), workload.timed)[0]
        )
        with tempfile.TemporaryDirectory(dir=args.directory) as directory:
            journaled.append(
                journaled_throughput(Path(directory), workload, policy, settlement_sequencer)
            )
        with tempfile.TemporaryDirectory(dir=args.directory) as directory:
            latencies.append(
                journaled_latency(Path(directory), workload, policy, settlement_sequencer)
            )

    def median(values: list[float]) -> float:
        return statistics.median(values)

    print(
        f"{len(workload.timed):,} timed commands after {len(workload.warmup):,} warm-up orders, "
        f"median of {args.runs} runs; {policy}"
    )
    print(f"(b) sequencer + settlement holds {median(bare):>10,.0f} commands/s")
    print(
        f"(c) (b) + journal                {median(journaled):>10,.0f} commands/s"
        f"  ({median(journaled) / median(bare):.2f} x (b))"
    )
    ack = [median([run.ack_us[i] for run in latencies]) for i in range(3)]
    sync = [median([run.sync_us[i] for run in latencies]) for i in range(2)]
    batches = median([run.batches for run in latencies])
    snapshot_ms = median([run.snapshot_ms for run in latencies])
    snapshot_mb = median([run.snapshot_mb for run in latencies])
    print(f"    ack latency p50 / p99 / p99.9: {ack[0]:,.0f} / {ack[1]:,.0f} / {ack[2]:,.0f} µs")
    sync_line = f"{sync[0]:,.0f} / {sync[1]:,.0f} µs over {batches:,.0f} batches"
    print(f"    fdatasync per batch p50 / p99: {sync_line}")
    print(f"    snapshot of the final state: {snapshot_ms:,.0f} ms, {snapshot_mb:,.1f} MB")


if __name__ == "__main__":
    main()

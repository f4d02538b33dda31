"""Engine benchmark: `python -m bench.engine [--runs 5] [--events 200000] [--tuned-gc]`.

Runs one seeded workload (bench/workload.py) through
  (a) the bare fast book (engine/book.py), matching and resting, no holds, no events;
  (b) the sequencer with event emission and pre-trade holds, once with the engine's
      minimal in-memory holds and once with settlement's (fees, position limits, T+1:
      the holds the exchange runs with, so the figure the target is set for);
  (c) that sequencer with the journal on (engine/durable_sequencer.py: group commit and
      fdatasync), until the last command is acknowledged;
and, on the same events in the same runs, the plain dict + deque + SortedDict reference
book (engine/reference_book.py), which the others are given against as a ratio: the
machine is shared, so a ratio is steadier than an absolute figure. Ratios are of CPU
rates, except (c)'s, of wall-clock rates (its time includes waiting for the disk).

Each run measures every target's throughput in one pass with no per-event timing, then
its latency in a separate pass on a fresh target; figures are medians over the runs.
(c)'s acknowledgement latency, which includes its batch filling, is bench/journal.py's.
"""

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.journal import journaled_throughput
from bench.targets import (
    Apply,
    Target,
    book_target,
    plain_sequencer,
    sequencer_target,
    settlement_sequencer,
    throughput,
)
from bench.workload import Workload, generate
from engine.book import Book
from engine.commands import Command
from engine.durable_sequencer import GroupCommit
from engine.reference_book import ReferenceBook
from engine.sequencer import Sequencer


def latencies(apply: Apply, events: Sequence[Command]) -> list[int]:
    """Wall-clock nanoseconds per event, in event order."""
    clock = time.perf_counter_ns
    timings = [0] * len(events)
    for index, command in enumerate(events):
        start = clock()
        apply(command)
        timings[index] = clock() - start
    return timings


def percentile(sorted_values: Sequence[int], fraction: float) -> int:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def ready(target: Target, tuned_gc: bool) -> Apply:
    """A fresh, warmed-up target; with `tuned_gc` everything alive so far is frozen
    out of the collector's sight, as a long-running engine process would do."""
    apply = target()
    gc.collect()
    if tuned_gc:
        gc.freeze()
    return apply


@dataclass
class Figures:
    name: str
    wall_rates: list[float] = field(default_factory=list)
    cpu_rates: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # rate / reference book's, per run
    p50s: list[int] = field(default_factory=list)
    p99s: list[int] = field(default_factory=list)
    p999s: list[int] = field(default_factory=list)

    def row(self) -> str:
        median = statistics.median
        cpu = f"{median(self.cpu_rates):>12,.0f}" if self.cpu_rates else f"{'':>12}"
        latency = (
            f"{median(self.p50s) / 1000:>9.2f}{median(self.p99s) / 1000:>9.2f}"
            f"{median(self.p999s) / 1000:>10.2f}"
            if self.p50s
            else ""
        )
        return (
            f"{self.name:<38}{median(self.wall_rates):>12,.0f}{cpu}"
            f"{median(self.ratios):>8.2f}{latency}"
        )


HEADER = (
    f"{'target':<38}{'events/s':>12}{'ev/CPU-s':>12}{'x ref':>8}"
    f"{'p50 µs':>9}{'p99 µs':>9}{'p99.9 µs':>10}"
)


def measure(
    targets: dict[str, Target],
    journaled: Callable[[], float] | None,
    events: Sequence[Command],
    runs: int,
    tuned_gc: bool,
) -> list[Figures]:
    """Each run measures every target in turn, the reference book (the first) included,
    so load from elsewhere hits them alike; the ratio is taken within each run.
    `journaled`, when given, is one pass of (c) returning its wall-clock rate."""
    figures = [Figures(name) for name in targets]
    journal_row = Figures("(c) sequencer + settlement + journal")
    for _ in range(runs):
        for row, target in zip(figures, targets.values(), strict=True):
            wall, cpu = throughput(ready(target, tuned_gc), events)
            gc.unfreeze()
            row.wall_rates.append(wall)
            row.cpu_rates.append(cpu)
            row.ratios.append(cpu / figures[0].cpu_rates[-1])
        if journaled is not None:
            gc.collect()
            journal_row.wall_rates.append(journaled())
            journal_row.ratios.append(journal_row.wall_rates[-1] / figures[0].wall_rates[-1])
        for row, target in zip(figures, targets.values(), strict=True):
            timings = sorted(latencies(ready(target, tuned_gc), events))
            gc.unfreeze()
            row.p50s.append(percentile(timings, 0.5))
            row.p99s.append(percentile(timings, 0.99))
            row.p999s.append(percentile(timings, 0.999))
    return figures + ([journal_row] if journaled is not None else [])


def journaled_pass(workload: Workload, directory: Path) -> Callable[[], float]:
    """(c) with the default group-commit policy, in a fresh journal directory each pass."""

    def run() -> float:
        with tempfile.TemporaryDirectory(dir=directory) as folder:
            return journaled_throughput(Path(folder), workload, GroupCommit(), settlement_sequencer)

    return run


def main(extra: dict[str, Callable[[], Sequencer]] | None = None) -> None:
    """`extra` names more sequencer factories to measure on the same events."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--tuned-gc",
        action="store_true",
        help="freeze the warmed-up heap and collect young objects every 50,000 "
        "allocations instead of 700, as a production engine process would",
    )
    parser.add_argument("--no-journal", action="store_true", help="leave out (c)")
    parser.add_argument(
        "--directory",
        type=Path,
        default=Path(tempfile.gettempdir()),
        help="where (c) journals (its disk is part of the figure)",
    )
    args = parser.parse_args()
    if args.tuned_gc:
        gc.set_threshold(50_000, 20, 100)
    workload = generate(args.events, seed=args.seed)
    targets = {
        "reference book (dict+deque+Sorted)": book_target(ReferenceBook, workload),
        "(a) fast book": book_target(Book, workload),
        "(b) sequencer + memory holds": sequencer_target(plain_sequencer, workload),
        "(b) sequencer + settlement holds": sequencer_target(settlement_sequencer, workload),
    }
    for name, factory in (extra or {}).items():
        targets[name] = sequencer_target(factory, workload)
    journaled = None if args.no_journal else journaled_pass(workload, args.directory)
    figures = measure(targets, journaled, workload.timed, args.runs, args.tuned_gc)
    print(
        f"{len(workload.timed):,} timed events after {len(workload.warmup):,} warm-up orders; "
        f"median of {args.runs} runs; garbage collector "
        f"{'tuned' if args.tuned_gc else 'as Python ships it'}"
    )
    print(HEADER)
    for row in figures:
        print(row.row())


if __name__ == "__main__":
    main()

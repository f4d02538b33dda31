"""Engine benchmark: `python -m bench.engine [--runs 5] [--events 200000] [--tuned-gc]`.

Runs one seeded workload (bench/workload.py) through
  (a) the bare fast book (engine/book.py), matching and resting, no holds, no events;
  (b) the sequencer with in-memory holds and event emission;
and, on the same events in the same runs, the plain dict + deque + SortedDict reference
book (engine/reference_book.py), which the others are given against as a ratio (of CPU
rates): the machine is shared, so a ratio is steadier than an absolute figure.

Each run measures every target's throughput in one pass with no per-event timing, then
its latency in a separate pass on a fresh target; figures are medians over the runs.
More sequencer set-ups (the journaled one, say) plug in through `main(extra=...)`, a
name -> factory map measured on the same events.
"""

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.workload import BAND, TICK, Workload, generate
from engine.book import Book
from engine.commands import Command, NewOrder
from engine.memory_holds import MemoryHolds
from engine.order import Order
from engine.orders import SelfTradePrevention, TimeInForce
from engine.reference import load_reference_data
from engine.reference_book import ReferenceBook
from engine.sequencer import Sequencer

Apply = Callable[[Command], object]
Target = Callable[[], Apply]

_DAY = int(TimeInForce.DAY)
_CANCEL_INCOMING = int(SelfTradePrevention.CANCEL_INCOMING)


class BookDriver:
    """Feeds commands straight to a book: what the sequencer does minus checks, holds
    and events."""

    def __init__(self, book_class: type[Book] | type[ReferenceBook]) -> None:
        self.book = book_class(*BAND, TICK)
        self.resting: dict[str, Order] = {}
        self.next_order_id = 1

    def apply(self, command: Command) -> None:
        if type(command) is NewOrder:
            order = Order(
                self.next_order_id,
                command.account,
                command.account,
                command.client_order_id,
                command.instrument,
                command.side,
                command.price,
                command.quantity,
            )
            self.next_order_id += 1
            self.book.match(order, command.price, _CANCEL_INCOMING)
            if order.leaves and command.time_in_force == _DAY:
                self.book.add(order)
                self.resting[command.client_order_id] = order
        else:
            self.book.remove(self.resting.pop(command.orig_client_order_id))


def book_target(book_class: type[Book] | type[ReferenceBook], workload: Workload) -> Target:
    def prepare() -> Apply:
        driver = BookDriver(book_class)
        for command in workload.warmup:
            driver.apply(command)
        return driver.apply

    return prepare


def sequencer_target(factory: Callable[[], Sequencer], workload: Workload) -> Target:
    """`factory` builds a fresh sequencer (with whatever holds or journal it needs)."""

    def prepare() -> Apply:
        sequencer = factory()
        for command in workload.setup + workload.warmup:
            sequencer.apply(command)
        return sequencer.apply

    return prepare


def plain_sequencer() -> Sequencer:
    return Sequencer(load_reference_data(), MemoryHolds())


def throughput(apply: Apply, events: Sequence[Command]) -> tuple[float, float]:
    """(events per wall-clock second, events per CPU second) over the whole pass. The
    CPU figure is steadier on a machine shared with other work."""
    wall, cpu = time.perf_counter(), time.process_time()
    for command in events:
        apply(command)
    return len(events) / (time.perf_counter() - wall), len(events) / (time.process_time() - cpu)


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
    ratios: list[float] = field(default_factory=list)  # CPU rate / reference book's, per run
    p50s: list[int] = field(default_factory=list)
    p99s: list[int] = field(default_factory=list)
    p999s: list[int] = field(default_factory=list)

    def row(self) -> str:
        median = statistics.median
        return (
            f"{self.name:<34}{median(self.wall_rates):>12,.0f}{median(self.cpu_rates):>12,.0f}"
            f"{median(self.ratios):>8.2f}{median(self.p50s) / 1000:>9.2f}"
            f"{median(self.p99s) / 1000:>9.2f}{median(self.p999s) / 1000:>10.2f}"
        )


HEADER = (
    f"{'target':<34}{'events/s':>12}{'ev/CPU-s':>12}{'x ref':>8}"
    f"{'p50 µs':>9}{'p99 µs':>9}{'p99.9 µs':>10}"
)


def measure(
    targets: dict[str, Target], events: Sequence[Command], runs: int, tuned_gc: bool
) -> list[Figures]:
    """Each run measures every target in turn, the reference book (the first) included,
    so load from elsewhere hits them alike; the ratio is taken within each run."""
    figures = [Figures(name) for name in targets]
    for _ in range(runs):
        for row, target in zip(figures, targets.values(), strict=True):
            wall, cpu = throughput(ready(target, tuned_gc), events)
            gc.unfreeze()
            row.wall_rates.append(wall)
            row.cpu_rates.append(cpu)
            row.ratios.append(cpu / figures[0].cpu_rates[-1])
        for row, target in zip(figures, targets.values(), strict=True):
            timings = sorted(latencies(ready(target, tuned_gc), events))
            gc.unfreeze()
            row.p50s.append(percentile(timings, 0.5))
            row.p99s.append(percentile(timings, 0.99))
            row.p999s.append(percentile(timings, 0.999))
    return figures


def main(extra: dict[str, Callable[[], Sequencer]] | None = None) -> None:
    """`extra` names more sequencer factories to measure on the same events (the
    journal's benchmark passes the journaled sequencer here)."""
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
    args = parser.parse_args()
    if args.tuned_gc:
        gc.set_threshold(50_000, 20, 100)
    workload = generate(args.events, seed=args.seed)
    targets = {
        "reference book (dict+deque+Sorted)": book_target(ReferenceBook, workload),
        "(a) fast book": book_target(Book, workload),
        "(b) sequencer + holds + events": sequencer_target(plain_sequencer, workload),
    }
    for name, factory in (extra or {}).items():
        targets[name] = sequencer_target(factory, workload)
    figures = measure(targets, workload.timed, args.runs, args.tuned_gc)
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

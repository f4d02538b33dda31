"""Engine benchmark: `python -m bench.engine [--runs 5] [--events 200000] [--seed 1]`.

Runs one seeded workload (bench/workload.py) through
  (a) the bare fast book (engine/book.py), matching and resting, no holds, no events;
  (b) the sequencer with in-memory holds and event emission;
and, on the same events in the same run, the plain dict + deque + SortedDict reference
book (engine/reference_book.py), whose figure the others are given against as a ratio:
the machine is shared, so a ratio is steadier than an absolute figure.

Each run measures throughput in one pass with no per-event timing, then latency in a
separate pass on a fresh target; the figures are the median over the runs. Another
target (the sequencer with its journal, say) plugs in as a `Target`: a callable that
returns a fresh `apply` function with the workload's set-up and warm-up already applied.
"""

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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


def throughput(apply: Apply, events: Sequence[Command]) -> float:
    """Events per second over the whole pass."""
    gc.collect()
    start = time.perf_counter()
    for command in events:
        apply(command)
    return len(events) / (time.perf_counter() - start)


def latencies(apply: Apply, events: Sequence[Command]) -> list[int]:
    """Nanoseconds per event, in event order."""
    clock = time.perf_counter_ns
    timings = [0] * len(events)
    gc.collect()
    for index, command in enumerate(events):
        start = clock()
        apply(command)
        timings[index] = clock() - start
    return timings


def percentile(sorted_values: Sequence[int], fraction: float) -> int:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


@dataclass(frozen=True)
class Figures:
    name: str
    events_per_second: float
    p50_ns: int
    p99_ns: int
    p999_ns: int


def measure(name: str, target: Target, events: Sequence[Command], runs: int) -> Figures:
    rates, p50s, p99s, p999s = [], [], [], []
    for _ in range(runs):
        rates.append(throughput(target(), events))
        timings = sorted(latencies(target(), events))
        p50s.append(percentile(timings, 0.5))
        p99s.append(percentile(timings, 0.99))
        p999s.append(percentile(timings, 0.999))
    return Figures(
        name,
        statistics.median(rates),
        int(statistics.median(p50s)),
        int(statistics.median(p99s)),
        int(statistics.median(p999s)),
    )


def report(figures: list[Figures], baseline: Figures) -> str:
    lines = [
        f"{'target':<34}{'events/s':>12}{'x ref':>8}{'p50 µs':>9}{'p99 µs':>9}{'p99.9 µs':>10}"
    ]
    for row in figures:
        lines.append(
            f"{row.name:<34}{row.events_per_second:>12,.0f}"
            f"{row.events_per_second / baseline.events_per_second:>8.2f}"
            f"{row.p50_ns / 1000:>9.2f}{row.p99_ns / 1000:>9.2f}{row.p999_ns / 1000:>10.2f}"
        )
    return "\n".join(lines)


def main(extra: dict[str, Callable[[], Sequencer]] | None = None) -> None:
    """`extra` names more sequencer factories to measure on the same events (the
    journal's benchmark passes the journaled sequencer here)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    workload = generate(args.events, seed=args.seed)
    events = workload.timed
    print(
        f"{len(events):,} timed events after {len(workload.warmup):,} warm-up orders, "
        f"median of {args.runs} runs"
    )
    baseline = measure(
        "reference book (dict+deque+SortedDict)",
        book_target(ReferenceBook, workload),
        events,
        args.runs,
    )
    figures = [
        baseline,
        measure("(a) fast book", book_target(Book, workload), events, args.runs),
        measure(
            "(b) sequencer + holds + events",
            sequencer_target(plain_sequencer, workload),
            events,
            args.runs,
        ),
    ]
    for name, factory in (extra or {}).items():
        figures.append(measure(name, sequencer_target(factory, workload), events, args.runs))
    print(report(figures, baseline))


if __name__ == "__main__":
    main()

"""pytest-benchmark suite for the engine (`pytest tests/bench --benchmark-enable`).

Disabled by default (pytest addopts), each benchmark then runs once as a plain test and
its assertions still check the work was done. `python -m bench.engine` gives the full
figures against the reference book."""

import pytest

from bench.engine import book_target, plain_sequencer, sequencer_target, settlement_sequencer
from bench.workload import Workload, generate
from engine.book import Book
from engine.orders import Side
from engine.reference_book import ReferenceBook

BUY, SELL = Side.BUY.value, Side.SELL.value


@pytest.fixture(scope="module")
def workload() -> Workload:
    return generate(events=5_000, warmup=1_000, seed=7)


def replay(apply, workload: Workload) -> list[tuple[int, int]]:
    """Runs the timed events; returns the resting (order id, leaves) on both sides."""
    for command in workload.timed:
        apply(command)
    book = apply.__self__.book
    return [(o.order_id, o.leaves) for side in (BUY, SELL) for o in book.orders(side)]


@pytest.mark.parametrize("book_class", [Book, ReferenceBook], ids=["fast", "reference"])
def test_book(benchmark, workload: Workload, book_class: type) -> None:
    prepare = book_target(book_class, workload)
    resting = benchmark.pedantic(
        replay, setup=lambda: ((prepare(), workload), {}), rounds=5, iterations=1
    )
    assert resting == replay(book_target(ReferenceBook, workload)(), workload)
    assert len(resting) > 1_000


def test_sequencer(benchmark, workload: Workload) -> None:
    prepare = sequencer_target(plain_sequencer, workload)
    events = []

    def apply_all(apply, workload: Workload) -> int:
        for command in workload.timed:
            events.extend(apply(command))
        return len(workload.timed)

    benchmark.pedantic(apply_all, setup=lambda: ((prepare(), workload), {}), rounds=5, iterations=1)
    assert events and not any(type(e).__name__.endswith("Rejected") for e in events)


def test_settlement_holds_accept_the_whole_workload(workload: Workload) -> None:
    """The accounts are realistic (investors inside the position limit, compliance
    entities with allocations) yet every order is accepted, so (b) with settlement's holds
    measures the same work as with the memory holds."""
    events = []
    for target in (settlement_sequencer, plain_sequencer):
        sequencer = target()
        emitted = [
            e for c in workload.setup + workload.warmup + workload.timed for e in sequencer.apply(c)
        ]
        events.append([(type(e).__name__, getattr(e, "order_id", 0)) for e in emitted])
    assert not any(name.endswith("Rejected") for name, _ in events[0])
    assert events[0] == events[1]

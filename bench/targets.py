"""What the engine benchmarks run, and how one pass over the events is timed.

A target is a factory: each call builds a fresh, warmed-up set-up and returns the
function that takes one command. bench/engine.py and bench/journal.py measure them on
the same events.
"""

import time
from collections.abc import Callable, Sequence

from bench.workload import BAND, TICK, Workload
from engine.book import Book
from engine.commands import Command, NewOrder
from engine.memory_holds import MemoryHolds
from engine.order import Order
from engine.orders import SelfTradePrevention, TimeInForce
from engine.reference import load_reference_data
from engine.reference_book import ReferenceBook
from engine.sequencer import Sequencer
from settlement.holds import SettlementHolds

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
        """Reads each command field once: the harness should cost little next to the book."""
        if type(command) is NewOrder:
            account, client_order_id, price = (
                command.account,
                command.client_order_id,
                command.price,
            )
            order_id = self.next_order_id
            self.next_order_id = order_id + 1
            order = Order(
                order_id,
                account,
                account,
                client_order_id,
                command.instrument,
                command.side,
                price,
                command.quantity,
            )
            book = self.book
            book.match(order, price, _CANCEL_INCOMING)
            if order.leaves and command.time_in_force == _DAY:
                book.add(order)
                self.resting[client_order_id] = order
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
    """`factory` builds a fresh sequencer (with whatever holds it needs)."""

    def prepare() -> Apply:
        sequencer = factory()
        for command in workload.setup + workload.warmup:
            sequencer.apply(command)
        return sequencer.apply

    return prepare


def plain_sequencer() -> Sequencer:
    """The engine's own minimal holds (engine/memory_holds.py): no fees, no limits."""
    return Sequencer(load_reference_data(), MemoryHolds())


def settlement_sequencer() -> Sequencer:
    """The holds the exchange runs with (settlement/holds.py): fees, position limits, T+1."""
    reference = load_reference_data()
    return Sequencer(reference, SettlementHolds(reference))


def throughput(apply: Apply, events: Sequence[Command]) -> tuple[float, float]:
    """(events per wall-clock second, events per CPU second) over the whole pass. The
    CPU figure is steadier on a machine shared with other work."""
    wall, cpu = time.perf_counter(), time.process_time()
    for command in events:
        apply(command)
    return len(events) / (time.perf_counter() - wall), len(events) / (time.process_time() - cpu)

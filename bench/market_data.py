"""How fast price publication keeps up with the event stream.

    python -m bench.market_data [--events 200000] [--runs 5]

Builds an event stream once (orders resting near the mid, aggressive orders sweeping
levels, IOC orders, cancels and amends over four instruments, a session's worth of
minutes), then times a fresh MarketDataPublisher applying all of it, median of `--runs`:
  - publish: the messages built (quote, depth, trade, bar, ...), no subscriber;
  - publish + JSON: one subscriber for everything that encodes every message to JSON,
    as the websocket feed does.
"""

import argparse
import datetime as dt
import random
import statistics
import time
from collections import deque
from zoneinfo import ZoneInfo

from sortedcontainers import SortedDict

from engine.events import Event, OrderAccepted, OrderAmended, OrderCancelled, Trade
from engine.orders import CancelCause, OrderType, Side, TimeInForce
from engine.reference import ReferenceData, load_reference_data
from surveillance.market_data import MarketDataPublisher, encode_message

SESSION_START = int(
    dt.datetime(2026, 11, 24, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
) * (1_000_000_000)
STEP_NS = 5_000_000  # 5 ms between commands: 12,000 a minute


class _Book:
    """A price-time book for writing realistic events: FIFO queues per price level."""

    def __init__(self, symbol: str, mid: int):
        self.symbol = symbol
        self.mid = mid
        self.sides = {Side.BUY: SortedDict(), Side.SELL: SortedDict()}
        self.orders: dict[int, list[int]] = {}  # order id -> [side, price, leaves]


class EventWriter:
    """Writes a consistent event stream: each command's events as the sequencer would."""

    def __init__(self, reference: ReferenceData, seed: int):
        self.rng = random.Random(seed)
        self.books = [
            _Book(symbol, instrument.reference_price)
            for symbol, instrument in reference.instruments.items()
        ]
        self.events: list[Event] = []
        self.ts = SESSION_START
        self.order_id = 0
        self.trade_id = 0

    def write(self, count: int) -> list[Event]:
        rng = self.rng
        while len(self.events) < count:
            self.ts += STEP_NS
            book = rng.choice(self.books)
            roll = rng.random()
            if roll < 0.55 or not book.orders:
                self._new_order(book, TimeInForce.DAY, rng.randint(-12, 8))
            elif roll < 0.75:
                self._cancel(book, rng.choice(list(book.orders)))
            elif roll < 0.85:
                self._amend_down(book, rng.choice(list(book.orders)))
            else:
                self._new_order(book, TimeInForce.IOC, rng.randint(0, 6))
        return self.events

    def _seq(self) -> int:
        return len(self.events) + 1

    def _new_order(self, book: _Book, tif: TimeInForce, ticks_through: int) -> None:
        """An order `ticks_through` ticks past the mid towards the other side."""
        side = self.rng.choice((Side.BUY, Side.SELL))
        price = book.mid + ticks_through if side == Side.BUY else book.mid - ticks_through
        quantity = self.rng.randint(1, 200)
        self.order_id += 1
        order_id = self.order_id
        self.events.append(
            OrderAccepted(
                self._seq(), self.ts, order_id, "A", "c", book.symbol, side,
                OrderType.LIMIT, tif, price, quantity,
            )
        )  # fmt: skip
        leaves = self._match(book, order_id, side, price, quantity)
        if leaves and tif == TimeInForce.DAY:
            book.orders[order_id] = [side, price, leaves]
            book.sides[side].setdefault(price, deque()).append(order_id)
        elif leaves:
            self.events.append(
                OrderCancelled(
                    self._seq(), self.ts, order_id, "A", "c", book.symbol, side, price,
                    leaves, quantity - leaves, CancelCause.IOC_REMAINDER,
                )
            )  # fmt: skip
        if self.events[-1].__class__ is Trade:
            book.mid = self.events[-1].price

    def _match(self, book: _Book, order_id: int, side: int, price: int, leaves: int) -> int:
        opposite = book.sides[Side.SELL if side == Side.BUY else Side.BUY]
        while leaves and opposite:
            best = opposite.keys()[0] if side == Side.BUY else opposite.keys()[-1]
            if (side == Side.BUY and best > price) or (side == Side.SELL and best < price):
                break
            queue = opposite[best]
            resting_id = queue[0]
            resting = book.orders[resting_id]
            quantity = min(leaves, resting[2])
            leaves -= quantity
            resting[2] -= quantity
            if resting[2] == 0:
                queue.popleft()
                del book.orders[resting_id]
                if not queue:
                    del opposite[best]
            buy, sell = (order_id, resting_id) if side == Side.BUY else (resting_id, order_id)
            buy_leaves, sell_leaves = (
                (leaves, resting[2]) if side == Side.BUY else (resting[2], leaves)
            )
            self.trade_id += 1
            self.events.append(
                Trade(
                    self._seq(), self.ts, self.trade_id, book.symbol, best, quantity, side,
                    buy, "A", "c", buy_leaves, sell, "B", "c", sell_leaves,
                )
            )  # fmt: skip
        return leaves

    def _cancel(self, book: _Book, order_id: int) -> None:
        side, price, leaves = book.orders.pop(order_id)
        queue = book.sides[side][price]
        queue.remove(order_id)
        if not queue:
            del book.sides[side][price]
        self.events.append(
            OrderCancelled(
                self._seq(), self.ts, order_id, "A", "c", book.symbol, side, price, leaves, 0,
                CancelCause.REQUESTED,
            )
        )  # fmt: skip

    def _amend_down(self, book: _Book, order_id: int) -> None:
        order = book.orders[order_id]
        if order[2] == 1:
            self._cancel(book, order_id)
            return
        order[2] -= self.rng.randint(1, order[2] - 1)
        self.events.append(
            OrderAmended(
                self._seq(), self.ts, order_id, "A", "c2", "c", book.symbol, order[0], order[1],
                order[2], order[2], True,
            )
        )  # fmt: skip


def _time(reference: ReferenceData, events: list[Event], encode: bool) -> tuple[float, int]:
    publisher = MarketDataPublisher(reference)
    encoded: list[int] = [0]
    if encode:

        def forward(message) -> None:
            encoded[0] += len(encode_message(message))

        publisher.subscribe(forward)
    apply = publisher.apply
    messages = 0
    started = time.perf_counter()
    for event in events:
        messages += len(apply(event))
    return time.perf_counter() - started, messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not 1 <= args.events <= 10_000_000 or not 1 <= args.runs <= 50:
        parser.error("--events must be 1..10,000,000 and --runs 1..50")

    reference = load_reference_data()
    events = EventWriter(reference, args.seed).write(args.events)
    kinds: dict[str, int] = {}
    for event in events:
        kinds[type(event).__name__] = kinds.get(type(event).__name__, 0) + 1
    print(f"{len(events):,} events: " + ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items())))
    for label, encode in (("publish", False), ("publish + JSON", True)):
        runs = [_time(reference, events, encode) for _ in range(args.runs)]
        seconds = statistics.median(run[0] for run in runs)
        messages = runs[0][1]
        print(
            f"{label:>15}: {len(events) / seconds:>10,.0f} events/s "
            f"({seconds * 1e6 / len(events):.2f} µs/event, {messages / len(events):.2f} "
            f"messages/event, median of {args.runs})"
        )


if __name__ == "__main__":
    main()

"""The plain order book: a sorted map of price levels, each a deque, plus a dict by id.

It has the same interface as engine/book.py and is written to be obviously right rather
than fast. The tests run random order streams through both and require identical
results, and the benchmark reports the fast book's speed as a ratio against this one.
"""

from collections import deque
from collections.abc import Iterator
from itertools import takewhile

from sortedcontainers import SortedDict

from engine.order import Order
from engine.orders import SelfTradePrevention, Side

Fill = tuple[Order, int]


class ReferenceBook:
    def __init__(self, band_low: int, band_high: int, tick: int) -> None:
        self.tick = tick
        self.levels: dict[int, SortedDict] = {Side.BUY: SortedDict(), Side.SELL: SortedDict()}

    def add(self, order: Order) -> None:
        self.levels[order.side].setdefault(order.price, deque()).append(order)

    def remove(self, order: Order) -> None:
        levels = self.levels[order.side]
        level = levels[order.price]
        level.remove(order)
        if not level:
            del levels[order.price]

    def best_bid(self) -> int:
        bids = self.levels[Side.BUY]
        return bids.peekitem(-1)[0] if bids else 0

    def best_ask(self) -> int:
        asks = self.levels[Side.SELL]
        return asks.peekitem(0)[0] if asks else 0

    def orders(self, side: int) -> list[Order]:
        return list(self._priority(side))

    def _priority(self, side: int) -> Iterator[Order]:
        levels = self.levels[side]
        prices = reversed(levels) if side == Side.BUY else iter(levels)
        return (order for price in prices for order in levels[price])

    def _crossing(self, incoming: Order, limit: int) -> Iterator[Order]:
        """The other side's orders `incoming` may trade with, in priority order."""
        if incoming.side == Side.BUY:
            return takewhile(lambda order: order.price <= limit, self._priority(Side.SELL))
        return takewhile(lambda order: order.price >= limit, self._priority(Side.BUY))

    def fillable(self, incoming: Order, limit: int, prevention: int) -> int:
        total = 0
        for resting in self._crossing(incoming, limit):
            if resting.owner == incoming.owner:
                if prevention == SelfTradePrevention.CANCEL_RESTING:
                    continue
                break
            total += resting.leaves
        return min(total, incoming.leaves)

    def match(self, incoming: Order, limit: int, prevention: int) -> tuple[list[Fill], bool]:
        buying = incoming.side == Side.BUY
        other = self.levels[Side.SELL if buying else Side.BUY]
        fills: list[Fill] = []
        while incoming.leaves and other:
            price, level = other.peekitem(0 if buying else -1)
            if (price > limit) if buying else (price < limit):
                break
            resting = level[0]
            if resting.owner == incoming.owner:
                if prevention != SelfTradePrevention.CANCEL_INCOMING:
                    self.remove(resting)
                    fills.append((resting, 0))
                if prevention != SelfTradePrevention.CANCEL_RESTING:
                    return fills, True
                continue
            quantity = min(incoming.leaves, resting.leaves)
            for order in (incoming, resting):
                order.leaves -= quantity
                order.filled += quantity
            fills.append((resting, quantity))
            if resting.leaves == 0:
                self.remove(resting)
        return fills, False

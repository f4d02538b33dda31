"""The order book of one instrument: price-time priority, trades at the resting price.

Prices on the book are bounded by the day's band, so each side keeps its levels in a
plain list indexed by tick offset instead of a sorted map. A level is an intrusive FIFO
(`Order.prev`/`Order.next`), which makes a cancel O(1), and each side tracks the index
of its best level. Both sides use the same arithmetic: level `k` holds the price
`base + k * step`, and the best level is always the lowest non-empty `k` (asks count up
from the band's low edge, bids count down from its high edge).

engine/reference_book.py is the plain version of the same interface; the tests check
this one against it on random order streams.
"""

from engine.order import Order
from engine.orders import SelfTradePrevention, Side

_BUY = Side.BUY.value
_CANCEL_INCOMING = SelfTradePrevention.CANCEL_INCOMING.value
_CANCEL_RESTING = SelfTradePrevention.CANCEL_RESTING.value

# One entry per resting order the incoming one met: (resting order, tonnes traded).
# Tonnes 0 means self-trade prevention took the resting order off the book untraded.
Fill = tuple[Order, int]


class _Side:
    """The levels of one side; `best` is len(heads) when the side is empty."""

    __slots__ = ("base", "best", "heads", "step", "tails")

    def __init__(self, base: int, step: int, levels: int) -> None:
        self.base = base
        self.step = step
        self.heads: list[Order | None] = [None] * levels
        self.tails: list[Order | None] = [None] * levels
        self.best = levels

    def add(self, order: Order) -> None:
        key = (order.price - self.base) // self.step
        order.key = key
        order.next = None
        tail = self.tails[key]
        if tail is None:
            order.prev = None
            self.heads[key] = order
            if key < self.best:
                self.best = key
        else:
            tail.next = order
            order.prev = tail
        self.tails[key] = order

    def remove(self, order: Order) -> None:
        key = order.key
        prev = order.prev
        after = order.next
        if prev is None:
            self.heads[key] = after
        else:
            prev.next = after
        if after is None:
            self.tails[key] = prev
        else:
            after.prev = prev
        order.prev = order.next = None
        if prev is None and after is None and key == self.best:
            self.best = self.next_level(key)

    def next_level(self, key: int) -> int:
        """The first non-empty level after `key` (len(heads) when there is none)."""
        heads = self.heads
        end = len(heads)
        key += 1
        while key < end and heads[key] is None:
            key += 1
        return key

    def limit_key(self, price: int) -> int:
        """Levels at keys <= this one are at or better than `price` for an incoming order."""
        return (price - self.base) // self.step

    def orders(self) -> list[Order]:
        """Resting orders in priority order: best level first, FIFO within a level."""
        found = []
        heads = self.heads
        for key in range(self.best, len(heads)):
            order = heads[key]
            while order is not None:
                found.append(order)
                order = order.next
        return found


class Book:
    __slots__ = ("asks", "bids", "tick")

    def __init__(self, band_low: int, band_high: int, tick: int) -> None:
        self.tick = tick
        levels = (band_high - band_low) // tick + 1
        self.bids = _Side(band_high, -tick, levels)
        self.asks = _Side(band_low, tick, levels)

    def add(self, order: Order) -> None:
        """Rests `order` at the back of its price level."""
        (self.bids if order.side == _BUY else self.asks).add(order)

    def remove(self, order: Order) -> None:
        (self.bids if order.side == _BUY else self.asks).remove(order)

    def best_bid(self) -> int:
        """The best bid price, 0 when there is none."""
        bids = self.bids
        return bids.heads[bids.best].price if bids.best < len(bids.heads) else 0

    def best_ask(self) -> int:
        asks = self.asks
        return asks.heads[asks.best].price if asks.best < len(asks.heads) else 0

    def orders(self, side: int) -> list[Order]:
        return (self.bids if side == _BUY else self.asks).orders()

    def fillable(self, incoming: Order, limit: int, prevention: int) -> int:
        """How much of `incoming` would trade at or better than `limit` (a FOK's test),
        stopping where self-trade prevention would stop the incoming order. Counts at
        most `incoming.leaves`."""
        side = self.asks if incoming.side == _BUY else self.bids
        wanted = incoming.leaves
        owner = incoming.owner
        heads = side.heads
        last = min(side.limit_key(limit), len(heads) - 1)
        total = 0
        for key in range(side.best, last + 1):
            resting = heads[key]
            while resting is not None:
                if resting.owner == owner:
                    if prevention != _CANCEL_RESTING:
                        return total
                else:
                    total += resting.leaves
                    if total >= wanted:
                        return wanted
                resting = resting.next
        return total

    def match(self, incoming: Order, limit: int, prevention: int) -> tuple[list[Fill], bool]:
        """Trades `incoming` against the other side at prices at or better than `limit`,
        best level first, FIFO within a level. Updates both orders' `leaves`/`filled`
        and takes fully filled resting orders off the book; `incoming` is not rested.
        Returns the fills in the order they happened and whether self-trade prevention
        stopped the incoming order."""
        side = self.asks if incoming.side == _BUY else self.bids
        heads = side.heads
        end = len(heads)
        last = side.limit_key(limit)
        owner = incoming.owner
        leaves = incoming.leaves
        fills: list[Fill] = []
        stopped = False
        best = side.best
        while leaves and best <= last and best < end:
            resting = heads[best]
            if resting.owner == owner:
                if prevention != _CANCEL_INCOMING:
                    side.remove(resting)
                    fills.append((resting, 0))
                if prevention != _CANCEL_RESTING:
                    stopped = True
                    break
                best = side.best
                continue
            quantity = resting.leaves
            if quantity > leaves:
                quantity = leaves
            leaves -= quantity
            resting.filled += quantity
            fills.append((resting, quantity))
            if resting.leaves == quantity:
                resting.leaves = 0
                after = resting.next
                heads[best] = after
                resting.next = None
                if after is None:
                    side.tails[best] = None
                    side.best = best = side.next_level(best)
                else:
                    after.prev = None
            else:
                resting.leaves -= quantity
        incoming.filled += incoming.leaves - leaves
        incoming.leaves = leaves
        return fills, stopped

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

from collections.abc import Sequence

from engine.order import Order
from engine.orders import SelfTradePrevention, Side

_BUY = Side.BUY.value
_CANCEL_INCOMING = SelfTradePrevention.CANCEL_INCOMING.value
_CANCEL_RESTING = SelfTradePrevention.CANCEL_RESTING.value

# One entry per resting order the incoming one met: (resting order, tonnes traded).
# Tonnes 0 means self-trade prevention took the resting order off the book untraded.
Fill = tuple[Order, int]
_NO_FILLS: tuple[Sequence[Fill], bool] = ((), False)


class _Side:
    """The levels of one side. Bit k of `occupied` is set while level k has orders, so
    finding the next best level is a bit trick, not a scan; `best` is len(heads) when
    the side is empty."""

    __slots__ = ("base", "best", "heads", "occupied", "step", "tails")

    def __init__(self, base: int, step: int, levels: int) -> None:
        self.base = base
        self.step = step
        self.heads: list[Order | None] = [None] * levels
        self.tails: list[Order | None] = [None] * levels
        self.occupied = 0
        self.best = levels

    def clear(self) -> None:
        """Takes every order off, cutting the links between them: orders are not tracked
        by the garbage collector (engine/order.py), so linked ones would never be freed."""
        heads = self.heads
        for key in range(len(heads)):
            order = heads[key]
            while order is not None:
                after = order.next
                order.prev = order.next = None
                order = after
            heads[key] = self.tails[key] = None
        self.occupied = 0
        self.best = len(heads)

    def __del__(self) -> None:
        """A side dropped with orders still on it (a discarded sequencer) frees them."""
        self.clear()

    def empty_level(self, key: int) -> None:
        """Level `key` has just lost its last order."""
        occupied = self.occupied ^ (1 << key)
        self.occupied = occupied
        if key == self.best:
            lowest = occupied & -occupied
            self.best = lowest.bit_length() - 1 if lowest else len(self.heads)

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
        side = self.bids if order.side == _BUY else self.asks
        key = (order.price - side.base) // side.step
        order.key = key
        order.next = None
        tail = side.tails[key]
        if tail is None:
            order.prev = None
            side.heads[key] = order
            side.occupied |= 1 << key
            if key < side.best:
                side.best = key
        else:
            tail.next = order
            order.prev = tail
        side.tails[key] = order

    def remove(self, order: Order) -> None:
        """Takes a resting order off the book, wherever it is in its level."""
        side = self.bids if order.side == _BUY else self.asks
        key = order.key
        prev = order.prev
        after = order.next
        if prev is None:
            side.heads[key] = after
        else:
            prev.next = after
        if after is None:
            side.tails[key] = prev
        else:
            after.prev = prev
        order.prev = order.next = None
        if prev is None and after is None:
            side.empty_level(key)

    def best_bid(self) -> int:
        """The best bid price, 0 when there is none."""
        bids = self.bids
        return bids.heads[bids.best].price if bids.best < len(bids.heads) else 0

    def best_ask(self) -> int:
        asks = self.asks
        return asks.heads[asks.best].price if asks.best < len(asks.heads) else 0

    def orders(self, side: int) -> list[Order]:
        return (self.bids if side == _BUY else self.asks).orders()

    def clear(self) -> None:
        """Takes every order off both sides; they may then rest on another book."""
        self.bids.clear()
        self.asks.clear()

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

    def match(self, incoming: Order, limit: int, prevention: int) -> tuple[Sequence[Fill], bool]:
        """Trades `incoming` against the other side at prices at or better than `limit`,
        best level first, FIFO within a level. Updates both orders' `leaves`/`filled`
        and takes fully filled resting orders off the book; `incoming` is not rested.
        Returns the fills in the order they happened and whether self-trade prevention
        stopped the incoming order."""
        side = self.asks if incoming.side == _BUY else self.bids
        best = side.best
        last = (limit - side.base) // side.step  # side.limit_key(limit), inlined
        if best > last:  # nothing crosses (an empty side's best is past every level)
            return _NO_FILLS
        heads = side.heads
        end = len(heads)
        owner = incoming.owner
        leaves = incoming.leaves
        fills: list[Fill] = []
        stopped = False
        while leaves and best <= last and best < end:
            resting = heads[best]
            if resting.owner == owner:
                if prevention != _CANCEL_INCOMING:
                    self.remove(resting)
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
                    side.empty_level(best)
                    best = side.best
                else:
                    after.prev = None
            else:
                resting.leaves -= quantity
        incoming.filled += incoming.leaves - leaves
        incoming.leaves = leaves
        return fills, stopped

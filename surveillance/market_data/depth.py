"""One instrument's visible book, rebuilt from the engine's events.

Only what the public sees: open quantity and order count per price level, no queue order.
Events are applied one at a time, and after each one the depth equals the engine's book at
that point. The subtle case is the incoming order: the engine matches it before it rests,
so an order that crosses the book is held aside ("incoming") while its trades arrive and
rests only once the opposite side no longer crosses its price, exactly where the engine's
match loop stops. IOC, FOK and market orders never rest; their remainders are cancelled.
Self-trade prevention stops the loop early when it cancels the incoming order (alone or,
with "cancel both", after the resting one): the incoming order is then cancelled, never
rested, so under "cancel both" a self-trade cancel of a resting order marks it so.

Per event the work is a dict lookup and, when a level appears or disappears, a sorted-list
insert or delete (O(log levels)). `quote_changed` says whether the best prices moved and
`depth_changed` on which sides (bit 1 << side) one of the top `DEPTH` levels did, so the
publisher builds and sends only what changed.
"""

from itertools import islice

from sortedcontainers import SortedList

from engine.events import OrderAccepted, OrderAmended, OrderCancelled, Trade
from engine.orders import CancelCause, OrderType, Side, TimeInForce

DEPTH = 5
_BUY = Side.BUY.value
_SELL = Side.SELL.value
_DAY = TimeInForce.DAY.value
_LIMIT = OrderType.LIMIT.value
_SELF_TRADE = CancelCause.SELF_TRADE.value


class _Order:
    __slots__ = ("leaves", "price", "side")

    def __init__(self, side: int, price: int, leaves: int):
        self.side = side
        self.price = price
        self.leaves = leaves


class DepthBook:
    __slots__ = (
        "_incoming",
        "_incoming_id",
        "_incoming_rests",
        "_keys",
        "_levels",
        "_orders",
        "_self_trade_stops",
        "depth_changed",
        "quote_changed",
    )

    def __init__(self, self_trade_cancels_both: bool = False) -> None:
        self._self_trade_stops = self_trade_cancels_both
        self._orders: dict[int, _Order] = {}
        # Indexed by side (1 buy, 2 sell). A level is [quantity, orders]. Keys sort best
        # first on both sides: bids are keyed by -price, asks by price.
        self._levels: tuple[None, dict[int, list[int]], dict[int, list[int]]] = (None, {}, {})
        self._keys: tuple[None, SortedList, SortedList] = (None, SortedList(), SortedList())
        self._incoming: _Order | None = None
        self._incoming_id = 0
        self._incoming_rests = False
        self.quote_changed = False
        self.depth_changed = 0

    # -- events ---------------------------------------------------------------------------

    def accept(self, event: OrderAccepted) -> None:
        order = _Order(event.side, event.price, event.quantity)
        rests = event.time_in_force == _DAY and event.order_type == _LIMIT
        self._enter(event.order_id, order, rests)

    def trade(self, event: Trade) -> None:
        self._fill(event.buy_order_id, event.quantity, event.buy_leaves)
        self._fill(event.sell_order_id, event.quantity, event.sell_leaves)
        self._settle_incoming()

    def cancel(self, event: OrderCancelled) -> None:
        order = self._orders.pop(event.order_id, None)
        if order is not None:
            self._reduce(order.side, order.price, order.leaves, gone=True)
            if event.cause == _SELF_TRADE and self._self_trade_stops:
                self._incoming_rests = False
        elif event.order_id == self._incoming_id:
            self._incoming = None
            self._incoming_id = 0
        self._settle_incoming()

    def amend(self, event: OrderAmended) -> None:
        """A price change or quantity increase may make the order cross, in which case the
        engine matches it like a new order; time priority does not show in the depth."""
        order = self._orders.pop(event.order_id, None)
        if order is None:
            return
        self._reduce(order.side, order.price, order.leaves, gone=True)
        if event.leaves > 0:
            order.price = event.price
            order.leaves = event.leaves
            self._enter(event.order_id, order, rests=True)

    # -- reading --------------------------------------------------------------------------

    def best(self, side: int) -> tuple[int, int]:
        """(price, quantity) of the best level on `side`, or (0, 0) when it is empty."""
        keys = self._keys[side]
        if not keys:
            return 0, 0
        price = -keys[0] if side == _BUY else keys[0]
        return price, self._levels[side][price][0]

    def top(self, side: int, depth: int = DEPTH) -> list[tuple[int, int, int]]:
        """(price, quantity, orders) of the best `depth` levels on `side`, best first."""
        levels = self._levels[side]
        sign = -1 if side == _BUY else 1
        return [(sign * key, *levels[sign * key]) for key in islice(self._keys[side], depth)]

    def levels(self, side: int) -> dict[int, tuple[int, int]]:
        """Every level on `side`: price -> (quantity, orders)."""
        return {price: (level[0], level[1]) for price, level in self._levels[side].items()}

    def open_orders(self) -> int:
        return len(self._orders)

    # -- mechanics ------------------------------------------------------------------------

    def _enter(self, order_id: int, order: _Order, rests: bool) -> None:
        if rests and not self._crosses(order.side, order.price):
            self._rest(order_id, order)
        else:
            self._incoming = order
            self._incoming_id = order_id
            self._incoming_rests = rests

    def _crosses(self, side: int, price: int) -> bool:
        if side == _BUY:
            asks = self._keys[_SELL]
            return bool(asks) and asks[0] <= price
        bids = self._keys[_BUY]
        return bool(bids) and -bids[0] >= price

    def _settle_incoming(self) -> None:
        incoming = self._incoming
        if incoming is None:
            return
        if incoming.leaves == 0:
            self._incoming = None
            self._incoming_id = 0
        elif self._incoming_rests and not self._crosses(incoming.side, incoming.price):
            self._rest(self._incoming_id, incoming)
            self._incoming = None
            self._incoming_id = 0

    def _fill(self, order_id: int, quantity: int, leaves: int) -> None:
        order = self._orders.get(order_id)
        if order is not None:
            self._reduce(order.side, order.price, quantity, gone=leaves == 0)
            if leaves == 0:
                del self._orders[order_id]
            else:
                order.leaves = leaves
        elif order_id == self._incoming_id:
            self._incoming.leaves = leaves

    def _rest(self, order_id: int, order: _Order) -> None:
        self._orders[order_id] = order
        side, price = order.side, order.price
        levels = self._levels[side]
        key = -price if side == _BUY else price
        level = levels.get(price)
        if level is None:
            levels[price] = [order.leaves, 1]
            self._keys[side].add(key)
        else:
            level[0] += order.leaves
            level[1] += 1
        self._mark(side, key)

    def _reduce(self, side: int, price: int, quantity: int, gone: bool) -> None:
        levels = self._levels[side]
        key = -price if side == _BUY else price
        self._mark(side, key)
        level = levels[price]
        level[0] -= quantity
        if gone:
            level[1] -= 1
            if level[1] == 0:
                del levels[price]
                self._keys[side].remove(key)

    def _mark(self, side: int, key: int) -> None:
        """Called while the level at `key` exists: after it appears, before it goes."""
        keys = self._keys[side]
        if key == keys[0]:
            self.quote_changed = True
            self.depth_changed |= 1 << side
        elif len(keys) <= DEPTH or key <= keys[DEPTH - 1]:
            self.depth_changed |= 1 << side

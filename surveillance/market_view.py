"""The derived market state every detector reads, built from the event stream alone.

Who controls which account (and the party, surveillance/acting.py, it acts in), the live
orders with their acceptance times, each account's open quantity on each side, the size
of the book at each price (for the median top-of-book size spoofing is measured against), the
day's volume and turnover per instrument, the price band, and each account's holdings.
Nothing here is kept per request: memory follows the live orders, the accounts and the
price levels, so a long busy day does not grow it. The runner
applies an event here before the detectors see it and retires what it closed after, so a
detector looking at a cancel or a fill still finds the order it is about.
"""

import bisect
import heapq
from dataclasses import dataclass

from engine.events import (
    AccountOpened,
    ControlGroupSet,
    DayClosed,
    Event,
    HoldingMoved,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    ReferencePriceSet,
    Trade,
)
from engine.orders import AccountKind, CancelCause, HoldingMovementKind, Side
from engine.reference import ReferenceData, price_band

HOLDING_SIGN = {
    HoldingMovementKind.ALLOCATE: 1,
    HoldingMovementKind.TRANSFER_IN: 1,
    HoldingMovementKind.TRANSFER_OUT: -1,
    HoldingMovementKind.CANCEL: -1,
    HoldingMovementKind.SURRENDER: -1,
    HoldingMovementKind.RETURN: -1,
    HoldingMovementKind.REVERSE_SURRENDER: 1,
    HoldingMovementKind.CANCEL_FROZEN: -1,
    HoldingMovementKind.ENFORCE: -1,
    HoldingMovementKind.ENFORCE_RECEIVE: 1,
}


class Order:
    __slots__ = (
        "accepted_ts",
        "account",
        "filled",
        "instrument",
        "order_id",
        "previous_leaves",
        "price",
        "quantity",
        "session",
        "side",
        "time_in_force",
    )

    def __init__(self, event: OrderAccepted):
        self.order_id = event.order_id
        self.account = event.account
        self.instrument = event.instrument
        self.side = event.side
        self.price = event.price
        self.quantity = event.quantity
        self.time_in_force = event.time_in_force
        self.accepted_ts = event.ts
        self.filled = 0
        self.session = event.session
        self.previous_leaves = event.quantity  # open before the latest amendment


class RunningMedian:
    """The exact median of every value seen, in memory that grows with the distinct values
    rather than with the count (top-of-book sizes repeat: a day samples one per order).

    The distinct values stay sorted, each with its count, and a cursor sits on the value
    holding the lower middle rank; a new value moves the cursor by at most one value."""

    __slots__ = ("below", "count", "counts", "cursor", "values")

    def __init__(self) -> None:
        self.values: list[int] = []  # distinct, ascending
        self.counts: dict[int, int] = {}
        self.count = 0
        self.cursor = 0  # index in `values` of the lower middle value
        self.below = 0  # how many values seen are smaller than values[cursor]

    def add(self, value: int) -> None:
        values, counts = self.values, self.counts
        if value in counts:
            counts[value] += 1
        else:
            counts[value] = 1
            index = bisect.bisect_left(values, value)
            values.insert(index, value)
            if index <= self.cursor and self.count:
                self.cursor += 1  # the cursor's value moved right
        if self.count and value < values[self.cursor]:
            self.below += 1
        self.count += 1
        rank = (self.count - 1) // 2  # the lower middle, 0-based
        while rank < self.below:
            self.cursor -= 1
            self.below -= counts[values[self.cursor]]
        while rank >= self.below + counts[values[self.cursor]]:
            self.below += counts[values[self.cursor]]
            self.cursor += 1

    def median(self) -> float:
        if not self.count:
            return 0.0
        low = self.values[self.cursor]
        if self.count % 2 or self.count // 2 < self.below + self.counts[low]:
            return float(low)
        return (low + self.values[self.cursor + 1]) / 2


class Book:
    """Open quantity per price, each side; enough for the top of the book. Best prices
    come from heaps cleaned lazily, cheaper per event than a sorted container."""

    __slots__ = ("ask_prices", "asks", "bid_prices", "bids", "top_sizes")

    def __init__(self) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.bid_prices: list[int] = []  # negated: a max-heap
        self.ask_prices: list[int] = []
        self.top_sizes = RunningMedian()

    def change(self, side: int, price: int, quantity: int) -> None:
        levels = self.bids if side == Side.BUY else self.asks
        before = levels.get(price)
        left = (before or 0) + quantity
        if left > 0:
            levels[price] = left
            if before is None:
                heapq.heappush(
                    self.bid_prices if side == Side.BUY else self.ask_prices,
                    -price if side == Side.BUY else price,
                )
        elif before is not None:
            del levels[price]

    def best_bid(self) -> int:
        prices, bids = self.bid_prices, self.bids
        while prices and -prices[0] not in bids:
            heapq.heappop(prices)
        return -prices[0] if prices else 0

    def best_ask(self) -> int:
        prices, asks = self.ask_prices, self.asks
        while prices and prices[0] not in asks:
            heapq.heappop(prices)
        return prices[0] if prices else 0

    def sample_top(self) -> None:
        bid, ask = self.best_bid(), self.best_ask()
        if bid:
            self.top_sizes.add(self.bids[bid])
        if ask:
            self.top_sizes.add(self.asks[ask])


@dataclass(slots=True)
class Holder:
    """Who an account is, for limits and for 'the same account or group'."""

    member: str
    kind: int
    control_group: str
    allocation: int


class MarketView:
    def __init__(self, reference: ReferenceData):
        self.reference = reference
        self.holders: dict[str, Holder] = {}
        self.orders: dict[int, Order] = {}
        self.books: dict[str, Book] = {symbol: Book() for symbol in reference.instruments}
        self.volume: dict[str, int] = {symbol: 0 for symbol in reference.instruments}  # today's
        self.turnover: dict[str, int] = {symbol: 0 for symbol in reference.instruments}  # fen
        self.bands: dict[str, tuple[int, int]] = {
            symbol: price_band(instrument.reference_price, instrument.band_bps, instrument.tick)
            for symbol, instrument in reference.instruments.items()
            if instrument.reference_price
        }
        self.references: dict[str, int] = {  # the previous close, fen
            symbol: instrument.reference_price
            for symbol, instrument in reference.instruments.items()
        }
        self.holdings: dict[tuple[str, str], int] = {}  # (account, instrument) -> tonnes
        # grouping -> account (or session) -> party: several detectors ask on every event
        self.parties: dict[str, dict[str, str]] = {
            "account": {},
            "control_group": {},
            "member": {},
            "session": {},
        }
        self.parties_changed = 0  # counts changes of who belongs to which party
        # (account, instrument) -> open tonnes of its resting (day) orders [_, buy, sell]
        self.resting: dict[tuple[str, str], list[int]] = {}
        # state several detectors derive alike and share (surveillance/party_fills.py)
        self.shared: dict = {}

    def group(self, account: str) -> str:
        """The account's control group, or the account itself when it has none."""
        holder = self.holders.get(account)
        return holder.control_group if holder and holder.control_group else account

    def member(self, account: str) -> str:
        holder = self.holders.get(account)
        return holder.member if holder and holder.member else account

    def party(self, account: str, acts_by: str, session: str = "") -> str:
        """Who acts for `account` under the grouping `acts_by` (see surveillance/acting.py),
        as a key no account, group, session or member name can collide with."""
        if acts_by == "session":
            if session:
                sessions = self.parties["session"]
                party = sessions.get(session)
                if party is None:
                    party = sessions[session] = "session " + session
                return party
            acts_by = "account"
        known = self.parties[acts_by]
        party = known.get(account)
        if party is None:
            if acts_by == "control_group":
                party = "group " + self.group(account)
            elif acts_by == "member":
                party = "member " + self.member(account)
            else:
                party = "account " + account
            known[account] = party
        return party

    def related(self, first: str, second: str) -> bool:
        return self.group(first) == self.group(second)

    def book(self, instrument: str) -> Book:
        book = self.books.get(instrument)
        if book is None:
            book = self.books[instrument] = Book()
        return book

    def apply(self, event: Event) -> None:
        kind = type(event)  # the most frequent kinds first
        if kind is OrderAmended:
            order = self.orders.get(event.order_id)
            if order is not None:
                book = self.book(event.instrument)
                leaves = order.quantity - order.filled
                book.change(order.side, order.price, -leaves)
                book.change(order.side, event.price, event.leaves)
                if not order.time_in_force:  # only a resting (day) order is amended
                    sides = self.resting[(order.account, order.instrument)]
                    sides[order.side] += event.leaves - leaves
                order.previous_leaves = leaves
                order.price = event.price
                order.quantity = event.quantity
        elif kind is OrderAccepted:
            book = self.book(event.instrument)
            book.sample_top()
            self.orders[event.order_id] = Order(event)
            book.change(event.side, event.price, event.quantity)
            if not event.time_in_force:
                key = (event.account, event.instrument)
                sides = self.resting.get(key)
                if sides is None:
                    sides = self.resting[key] = [0, 0, 0]
                sides[event.side] += event.quantity
        elif kind is Trade:
            book, quantity, holdings = self.book(event.instrument), event.quantity, self.holdings
            for order_id in (event.buy_order_id, event.sell_order_id):
                order = self.orders.get(order_id)
                if order is not None:
                    order.filled += quantity
                    book.change(order.side, order.price, -quantity)
                    if not order.time_in_force:
                        self.resting[(order.account, order.instrument)][order.side] -= quantity
            bought, sold = (
                (event.buy_account, event.instrument),
                (event.sell_account, event.instrument),
            )
            holdings[bought] = holdings.get(bought, 0) + quantity
            holdings[sold] = holdings.get(sold, 0) - quantity
            self.volume[event.instrument] = self.volume.get(event.instrument, 0) + quantity
            self.turnover[event.instrument] = (
                self.turnover.get(event.instrument, 0) + quantity * event.price
            )
        elif kind is OrderCancelled:
            self.book(event.instrument).change(event.side, event.price, -event.cancelled_quantity)
            order = self.orders.get(event.order_id)
            if order is not None and not order.time_in_force:
                sides = self.resting[(order.account, order.instrument)]
                sides[order.side] -= event.cancelled_quantity
        elif kind is HoldingMoved:
            key = (event.account, event.instrument)
            self.holdings[key] = (
                self.holdings.get(key, 0) + HOLDING_SIGN.get(event.kind, 0) * event.quantity
            )
        elif kind is AccountOpened:
            self._forget_parties(event.account)
            self.holders[event.account] = Holder(
                event.member, event.kind, event.control_group, event.allocation
            )
        elif kind is ControlGroupSet:
            self._forget_parties(event.account)
            holder = self.holders.get(event.account)
            if holder is None:
                holder = self.holders[event.account] = Holder("", AccountKind.INVESTOR, "", 0)
            holder.control_group = event.control_group
        elif kind is ReferencePriceSet:
            self.bands[event.instrument] = (event.band_low, event.band_high)
            self.references[event.instrument] = event.reference_price

    def resting_quantity(self, account: str, instrument: str, side: int) -> int:
        sides = self.resting.get((account, instrument))
        return sides[side] if sides is not None else 0

    def _forget_parties(self, account: str) -> None:
        self.parties_changed += 1
        for grouping in ("account", "control_group", "member"):
            self.parties[grouping].pop(account, None)

    def retire(self, event: Event) -> None:
        kind = type(event)
        if kind is Trade:
            if not event.buy_leaves:
                self.orders.pop(event.buy_order_id, None)
            if not event.sell_leaves:
                self.orders.pop(event.sell_order_id, None)
        elif kind is OrderCancelled:
            self.orders.pop(event.order_id, None)
        elif kind is DayClosed:
            self.volume[event.instrument] = self.turnover[event.instrument] = 0
            self.books[event.instrument] = Book()
            for key in [key for key in self.resting if key[1] == event.instrument]:
                del self.resting[key]
            if event.next_reference:
                self.bands[event.instrument] = (event.next_band_low, event.next_band_high)
                self.references[event.instrument] = event.next_reference
            stale = [oid for oid, o in self.orders.items() if o.instrument == event.instrument]
            for order_id in stale:
                del self.orders[order_id]


MEMBER_CANCEL_CAUSES = frozenset((CancelCause.REQUESTED, CancelCause.MASS_CANCEL))


def is_member_cancel(event: OrderCancelled) -> bool:
    """IOC/FOK remainders, self-trade prevention and expiry are the system's, not the member's."""
    return event.cause in MEMBER_CANCEL_CAUSES

"""What the dashboard shows about a day that the detectors do not keep: every order event.

The detectors keep only what their rules need (live orders, the day's trades); an alert
page wants the subject's orders and trades around the alert and the book as it stood at
any moment of it, and an account page wants the account's orders, cancels and trades.
So the dashboard reads the event stream itself and keeps the order events (accepted,
amended, cancelled, trades) of the two most recent trading days, all of them, in
`DayEvents` (off the Python heap, see day_events.py). Holders, holdings and position limits
come from the same `MarketView` and position-limit arithmetic the detectors use.
"""

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from engine.events import (
    AccountOpened,
    BlockTrade,
    ControlGroupSet,
    Event,
    HoldingMoved,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    Trade,
)
from engine.orders import Side
from engine.reference import ReferenceData
from engine.stream import EVENTS_TOPIC, Stream
from surveillance.dashboard.block_desk import BlockDesk
from surveillance.dashboard.day_events import DayEvents, OrderEvent
from surveillance.detectors.position_limit import PositionLimitDetector
from surveillance.market_view import MarketView, is_member_cancel
from surveillance.parameters import PositionLimit

DAYS_KEPT = 2
BUCKET_NS = 10 * 60 * 1_000_000_000  # order-to-trade history in 10-minute steps
DEPTH_LEVELS = 5

_ORDER_EVENTS = (OrderAccepted, OrderAmended, OrderCancelled, Trade)
_HOLDER_EVENTS = (AccountOpened, ControlGroupSet, HoldingMoved, Trade, BlockTrade)


@dataclass(slots=True)
class Activity:
    """One account's message counts in one 10-minute step."""

    orders: int = 0
    amends: int = 0
    cancels: int = 0  # by the member (not IOC remainders or expiry)
    trades: int = 0


class DayHistory:
    def __init__(self, reference: ReferenceData):
        self.reference = reference
        self.view = MarketView(reference)
        self.limits = PositionLimitDetector(self.view, PositionLimit())
        self.events = DayEvents()
        self.blocks = BlockDesk(reference)
        self.dates: list[str] = []  # the trading dates kept, oldest first
        self.activity: dict[str, dict[int, Activity]] = {}  # account -> step start -> counts
        self.last_seq = 0

    async def run(self, stream: Stream, stop: asyncio.Event) -> None:
        """Follows the event stream (its own consumer) until `stop` is set."""
        consumer = stream.events_consumer(EVENTS_TOPIC, "dashboard")
        try:
            while not stop.is_set():
                batch = await consumer.next_batch(0.05)
                self.apply_all(batch.items)
                await consumer.commit(batch.position)
        finally:
            await consumer.close()

    def apply_all(self, events: Iterable[Event]) -> None:
        for event in events:
            if event.seq > self.last_seq:
                self.last_seq = event.seq
                self.apply(event)

    def apply(self, event: Event) -> None:
        self.view.apply(event)
        self.blocks.apply(event)
        if isinstance(event, _HOLDER_EVENTS):
            self.limits.on_event(event)
        if isinstance(event, _ORDER_EVENTS):
            self._keep(event)
            self._count(event)
        self.view.retire(event)

    def _keep(self, event: OrderEvent) -> None:
        date = self.reference.calendar.trading_date(event.ts).isoformat()
        if date not in self.dates:
            self.dates = sorted([*self.dates, date])
            while len(self.dates) > DAYS_KEPT:
                self.events.drop_date(self.dates.pop(0))
        self.events.add(date, event)

    def _count(self, event: OrderEvent) -> None:
        step = event.ts - event.ts % BUCKET_NS
        if isinstance(event, Trade):
            for account in {event.buy_account, event.sell_account}:
                self._activity(account, step).trades += 1
            return
        activity = self._activity(event.account, step)
        if isinstance(event, OrderAccepted):
            activity.orders += 1
        elif isinstance(event, OrderAmended):
            activity.amends += 1
        elif is_member_cancel(event):
            activity.cancels += 1

    def _activity(self, account: str, step: int) -> Activity:
        steps = self.activity.setdefault(account, {})
        found = steps.get(step)
        if found is None:
            found = steps[step] = Activity()
        return found

    def _date(self, ts: int) -> str:
        return self.reference.calendar.trading_date(ts).isoformat()

    def account_events(self, account: str, limit: int) -> tuple[list[OrderEvent], list[OrderEvent]]:
        """The account's latest `limit` order events and latest `limit` trades of the days
        kept, each oldest first."""
        return self.events.latest_of_account(account, limit)

    def window(self, instrument: str, start: int, end: int) -> list[OrderEvent]:
        """The instrument's order events and trades with start <= ts <= end."""
        return list(self.events.between(self._date(start), instrument, start, end))

    def book_at(self, instrument: str, ts: int, subjects: frozenset[str]) -> dict:
        """The best levels as they stood after the last event at or before `ts`, each with
        the quantity the subject accounts had in it."""
        open_orders: dict[int, list] = {}  # order id -> [side, price, open quantity, account]
        for event in self.events.between(self._date(ts), instrument, 0, ts):
            kind = type(event)
            if kind is OrderAccepted:
                open_orders[event.order_id] = [
                    event.side,
                    event.price,
                    event.quantity,
                    event.account,
                ]
            elif kind is Trade:
                for order_id in (event.buy_order_id, event.sell_order_id):
                    order = open_orders.get(order_id)
                    if order is not None:
                        order[2] -= event.quantity
            elif kind is OrderAmended:
                order = open_orders.get(event.order_id)
                if order is not None:
                    order[1], order[2] = event.price, event.leaves
            else:
                open_orders.pop(event.order_id, None)
        levels: dict[tuple[int, int], list[int]] = {}  # (side, price) -> [qty, orders, subject's]
        for side, price, quantity, account in open_orders.values():
            if quantity <= 0:
                continue
            level = levels.setdefault((side, price), [0, 0, 0])
            level[0] += quantity
            level[1] += 1
            if account in subjects:
                level[2] += quantity
        return {
            "bids": _side(levels, Side.BUY),
            "asks": _side(levels, Side.SELL),
        }

    def linked_accounts(self, account: str) -> list[str]:
        group = self.view.group(account)
        return sorted(
            other
            for other in self.view.holders
            if other != account and self.view.group(other) == group
        )

    def holdings(self, account: str) -> list[dict]:
        """The account's tonnes per instrument and its control group's against the limit."""
        group = self.view.group(account)
        limit, large_holder = self.limits.limits(group)
        rows = []
        for symbol, instrument in self.reference.instruments.items():
            held = self.view.holdings.get((account, symbol), 0)
            group_held = self.limits.totals.get((group, instrument.kind), 0)
            rows.append(
                {
                    "instrument": symbol,
                    "instrument_class": instrument.kind,
                    "account_tonnes": held,
                    "group_class_tonnes": group_held,
                    "position_limit": limit,
                    "large_holder": large_holder,
                    "percent_of_limit": round(100 * group_held / limit, 2) if limit else 0.0,
                }
            )
        return rows


def _side(levels: dict[tuple[int, int], list[int]], side: int) -> list[dict]:
    prices = sorted((p for s, p in levels if s == side), reverse=side == Side.BUY)
    return [
        {
            "price": price,
            "quantity": levels[(side, price)][0],
            "orders": levels[(side, price)][1],
            "subject_quantity": levels[(side, price)][2],
        }
        for price in prices[:DEPTH_LEVELS]
    ]

"""Layering: orders stacked at several prices on one side to lean on the price, then
pulled together once the account has traded on the other side (EU MAR).

On each member cancel the detector looks at the account's cancels on that side within
`cancelled_within_ms`: if the cancelled orders had been placed within `placed_within_ms`
of each other at `min_levels` or more prices, and the account filled on the opposite side
after placing them, that is layering.
"""

from collections import deque
from collections.abc import Sequence
from operator import itemgetter

from engine.events import DayClosed, OrderCancelled, Trade
from engine.orders import Side
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView, is_member_cancel
from surveillance.parameters import Layering, label

PATTERN = "layering"
NS_PER_MS = 1_000_000
_PLACED = itemgetter(1)  # a recent cancel's accepted ts


class LayeringDetector:
    pattern = PATTERN
    events = (OrderCancelled, Trade, DayClosed)

    def __init__(self, view: MarketView, parameters: Layering):
        self.view = view
        self.parameters = parameters
        self.placed_within = parameters.placed_within_ms * NS_PER_MS
        self.cancelled_within = parameters.cancelled_within_ms * NS_PER_MS
        # (account, instrument, side) -> recent (cancel ts, accepted ts, order id, price)
        self.cancels: dict[tuple[str, str, int], deque] = {}
        # (account, instrument, side) -> (ts, trade id) of the account's last fill on it
        self.last_fill: dict[tuple[str, str, int], tuple[int, int]] = {}

    def on_event(self, event) -> Sequence[Alert]:
        kind = type(event)
        if kind is Trade:
            self.last_fill[(event.buy_account, event.instrument, Side.BUY)] = (
                event.ts,
                event.trade_id,
            )
            self.last_fill[(event.sell_account, event.instrument, Side.SELL)] = (
                event.ts,
                event.trade_id,
            )
            return NO_ALERTS
        if kind is DayClosed:
            for table in (self.cancels, self.last_fill):
                for key in [key for key in table if key[1] == event.instrument]:
                    del table[key]
            return NO_ALERTS
        if not is_member_cancel(event):
            return NO_ALERTS
        order = self.view.orders.get(event.order_id)
        if order is None:
            return NO_ALERTS
        key = (event.account, event.instrument, event.side)
        recent = self.cancels.get(key)
        if recent is None:
            recent = self.cancels[key] = deque()
        recent.append((event.ts, order.accepted_ts, event.order_id, event.price))
        while recent[0][0] < event.ts - self.cancelled_within:
            recent.popleft()
        if len(recent) < self.parameters.min_levels:
            return NO_ALERTS
        opposite = Side.SELL if event.side == Side.BUY else Side.BUY
        fill = self.last_fill.get((event.account, event.instrument, opposite))
        if fill is None:
            return NO_ALERTS
        layers = self._layers([c for c in recent if c[1] <= fill[0]])
        levels = {c[3] for c in layers}
        if len(levels) < self.parameters.min_levels:
            return NO_ALERTS
        placed_from = min(c[1] for c in layers)
        side = "buy" if event.side == Side.BUY else "sell"
        return (
            raise_alert(
                pattern=PATTERN,
                score=min(100, 50 + 10 * len(levels)),
                instrument=event.instrument,
                accounts=(event.account,),
                control_group=self.view.group(event.account),
                window_start=placed_from,
                window_end=event.ts,
                evidence={
                    "price_levels": len(levels),
                    "min_levels": self.parameters.min_levels,
                    "placed_within_ms": (max(c[1] for c in layers) - placed_from) / NS_PER_MS,
                    "placed_threshold_ms": self.parameters.placed_within_ms,
                    "cancelled_within_ms": (event.ts - min(c[0] for c in layers)) / NS_PER_MS,
                    "cancelled_threshold_ms": self.parameters.cancelled_within_ms,
                    "parameters": label(PATTERN, self.parameters),
                },
                order_ids=[c[2] for c in layers],
                trade_ids=(fill[1],),
                reason=(
                    f"{event.account} placed {side} orders at {len(levels)} prices within "
                    f"{self.parameters.placed_within_ms} ms and cancelled them together right "
                    f"after trading on the other side."
                ),
            ),
        )

    def _layers(self, placed_before_fill: list) -> list[tuple[int, int, int, int]]:
        """The recently cancelled orders placed within `placed_within_ms` of each other
        that cover the most prices (the earliest such window). One pass with a count per
        price in the sliding window: a busy account keeps hundreds of recent cancels, and
        this runs on every one of its cancels."""
        by_placement = sorted(placed_before_fill, key=_PLACED)
        in_window: dict[int, int] = {}  # price -> cancels at it in the window
        best_first = best_end = best_levels = 0
        first = 0
        for last, cancel in enumerate(by_placement):
            in_window[cancel[3]] = in_window.get(cancel[3], 0) + 1
            while cancel[1] - by_placement[first][1] > self.placed_within:
                price = by_placement[first][3]
                in_window[price] -= 1
                if not in_window[price]:
                    del in_window[price]
                first += 1
            if len(in_window) > best_levels:
                best_first, best_end, best_levels = first, last + 1, len(in_window)
        return by_placement[best_first:best_end]

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

"""Circular trading: tonnes sold round a ring of accounts and back to where they started,
each leg the same size, so volume appears while nobody's position changes (wash cycles).

Each trade is an edge seller -> buyer. When a trade u -> v arrives, the detector looks for
a path v -> ... -> u among the day's earlier trades of the same instrument, through at
most `max_accounts` distinct accounts, every leg within `quantity_tolerance_percent` of
the new one. With `whole_orders` (the default) only trades that fill both orders wholly
are legs: a ring is arranged, and equal partial fills against a quote are coincidence.
"""

from collections.abc import Sequence

from engine.events import DayClosed, Trade
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import CircularTrading, label

PATTERN = "circular_trading"

Leg = tuple[str, int, int, int]  # (buyer, quantity, ts, trade id)


class CircularTradingDetector:
    pattern = PATTERN
    events = (Trade, DayClosed)

    def __init__(self, view: MarketView, parameters: CircularTrading):
        self.view = view
        self.parameters = parameters
        self.tolerance = parameters.quantity_tolerance_percent / 100
        self.sold: dict[str, dict[str, list[Leg]]] = {}  # instrument -> seller -> legs

    def on_event(self, event) -> Sequence[Alert]:
        if type(event) is DayClosed:
            self.sold.pop(event.instrument, None)
            return NO_ALERTS
        seller, buyer = event.sell_account, event.buy_account
        if seller == buyer or (self.parameters.whole_orders and not self._whole(event)):
            return NO_ALERTS
        sold = self.sold.get(event.instrument)
        if sold is None:
            sold = self.sold[event.instrument] = {}
        low = event.quantity * (1 - self.tolerance)
        high = event.quantity * (1 + self.tolerance)
        path = self._path(sold, buyer, seller, low, high, [seller, buyer])
        sold.setdefault(seller, []).append((buyer, event.quantity, event.ts, event.trade_id))
        if path is None:
            return NO_ALERTS
        ring = [seller, buyer] + [leg[0] for leg in path[:-1]]
        legs = [*path, (buyer, event.quantity, event.ts, event.trade_id)]
        start = min(leg[2] for leg in legs)
        return (
            raise_alert(
                pattern=PATTERN,
                score=60 + 10 * (len(ring) - 2),
                instrument=event.instrument,
                accounts=ring,
                control_group=self.view.group(seller),
                window_start=start,
                window_end=event.ts,
                evidence={
                    "accounts_in_cycle": len(ring),
                    "max_accounts": self.parameters.max_accounts,
                    "smallest_leg": min(leg[1] for leg in legs),
                    "largest_leg": max(leg[1] for leg in legs),
                    "tolerance_percent": self.parameters.quantity_tolerance_percent,
                    "parameters": label(PATTERN, self.parameters),
                },
                trade_ids=sorted(leg[3] for leg in legs),
                reason=(
                    f"{event.quantity} t went round {' -> '.join([*ring, seller])} in "
                    f"{event.instrument} today, each leg within "
                    f"{self.parameters.quantity_tolerance_percent:g}% of the others."
                ),
            ),
        )

    def _whole(self, trade: Trade) -> bool:
        buy = self.view.orders.get(trade.buy_order_id)
        sell = self.view.orders.get(trade.sell_order_id)
        return (
            buy is not None and sell is not None and buy.quantity == sell.quantity == trade.quantity
        )

    def _path(
        self,
        sold: dict[str, list[Leg]],
        start: str,
        goal: str,
        low: float,
        high: float,
        visited: list[str],
    ) -> list[Leg] | None:
        """Legs start -> ... -> goal through unvisited accounts, depth-first, bounded."""
        for leg in sold.get(start, ()):
            if not low <= leg[1] <= high:
                continue
            if leg[0] == goal:
                return [leg]
            if leg[0] in visited or len(visited) >= self.parameters.max_accounts:
                continue
            rest = self._path(sold, leg[0], goal, low, high, [*visited, leg[0]])
            if rest is not None:
                return [leg, *rest]
        return None

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

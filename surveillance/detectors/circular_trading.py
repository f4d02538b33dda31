"""Circular trading: tonnes sold round a ring of accounts and back to where they started,
each leg the same size, so volume appears while nobody's position changes (wash cycles).

Each trade is an edge seller -> buyer. When a trade u -> v arrives, the detector looks for
a path v -> ... -> u among the day's earlier trades of the same instrument, through at
most `max_accounts` distinct accounts, every leg within `quantity_tolerance_percent` of
the new one. With `whole_orders` (the default) only trades that fill both orders wholly
are legs: a ring is arranged, and equal partial fills against a quote are coincidence.
"""

import bisect
import math
from collections.abc import Sequence

from engine.events import BlockTrade, DayClosed, Trade
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import CircularTrading, label

PATTERN = "circular_trading"

Leg = tuple[int, str, int, int]  # (quantity, buyer, ts, trade id), kept sorted per seller


class CircularTradingDetector:
    pattern = PATTERN
    events = (Trade, BlockTrade, DayClosed)

    def __init__(self, view: MarketView, parameters: CircularTrading):
        self.view = view
        self.parameters = parameters
        self.tolerance = parameters.quantity_tolerance_percent / 100
        self.sold: dict[str, dict[str, list[Leg]]] = {}  # instrument -> seller -> legs
        self.bought: dict[str, dict[str, list[int]]] = {}  # instrument -> buyer -> sorted sizes
        self.rings: set[tuple[str, frozenset[str]]] = set()  # alerted today, per instrument

    def on_event(self, event) -> Sequence[Alert]:
        if type(event) is DayClosed:
            self.sold.pop(event.instrument, None)
            self.bought.pop(event.instrument, None)
            self.rings = {ring for ring in self.rings if ring[0] != event.instrument}
            return NO_ALERTS
        seller, buyer = event.sell_account, event.buy_account
        if seller == buyer or (self.parameters.whole_orders and not self._whole(event)):
            return NO_ALERTS
        sold = self.sold.setdefault(event.instrument, {})
        bought = self.bought.setdefault(event.instrument, {})
        low = math.ceil(event.quantity * (1 - self.tolerance))
        high = math.floor(event.quantity * (1 + self.tolerance))
        path = None
        sizes = bought.get(seller)
        if sizes and bisect.bisect_left(sizes, low) < bisect.bisect_right(sizes, high):
            # the ring can only close if the seller once bought a leg of this size
            path = self._path(sold, buyer, seller, low, high, [seller, buyer])
        bisect.insort(
            sold.setdefault(seller, []), (event.quantity, buyer, event.ts, event.trade_id)
        )
        bisect.insort(bought.setdefault(buyer, []), event.quantity)
        if path is None:
            return NO_ALERTS
        ring = [seller, buyer] + [leg[1] for leg in path[:-1]]
        if (event.instrument, frozenset(ring)) in self.rings:
            return NO_ALERTS  # one alert per ring a day: the first cycle is the evidence
        self.rings.add((event.instrument, frozenset(ring)))
        legs = [*path, (event.quantity, buyer, event.ts, event.trade_id)]
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
                    "smallest_leg": min(leg[0] for leg in legs),
                    "largest_leg": max(leg[0] for leg in legs),
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

    def _whole(self, trade: Trade | BlockTrade) -> bool:
        if type(trade) is BlockTrade:
            return True  # a block is whole by nature: both sides agreed its size
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
        low: int,
        high: int,
        visited: list[str],
    ) -> list[Leg] | None:
        """Legs start -> ... -> goal through unvisited accounts, depth-first, bounded;
        only legs of `low`..`high` tonnes are looked at (a bisection of the sorted legs)."""
        legs = sold.get(start)
        if not legs:
            return None
        for leg in legs[bisect.bisect_left(legs, (low,)) : bisect.bisect_left(legs, (high + 1,))]:
            if leg[1] == goal:
                return [leg]
            if leg[1] in visited or len(visited) >= self.parameters.max_accounts:
                continue
            rest = self._path(sold, leg[1], goal, low, high, [*visited, leg[1]])
            if rest is not None:
                return [leg, *rest]
        return None

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

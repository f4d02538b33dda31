"""Circular trading: tonnes sold round a ring of accounts and back to where they started,
each leg the same size, so volume appears while nobody's position changes (wash cycles).

A leg is a transfer seller -> buyer summed over the last `window_min` minutes of the
same instrument: a leg split into several trades is one leg. Only crosses unlike
ordinary liquidity taking make up legs: with `whole_orders` each trade fills both orders
wholly, and the two orders were entered within `max_entry_gap_s` of each other (a taker
lifting a quote that has been resting for a while is not arranging a transfer). When a
trade u -> v arrives, the detector looks for legs v -> ... -> u through at most
`max_accounts` distinct accounts, every leg of at least `min_leg_tonnes` and within
`quantity_tolerance_percent` of the leg u -> v.
"""

import math
from collections.abc import Sequence

from engine.events import DayClosed, Trade
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import CircularTrading, label

NS = 1_000_000_000

PATTERN = "circular_trading"


class Leg:
    """Everything `seller` sold `buyer` within the window, by qualifying crosses."""

    __slots__ = ("first_ts", "last_ts", "quantity", "trade_ids")

    def __init__(self, ts: int):
        self.quantity = 0
        self.first_ts = self.last_ts = ts
        self.trade_ids: list[int] = []


class CircularTradingDetector:
    pattern = PATTERN
    events = (Trade, DayClosed)

    def __init__(self, view: MarketView, parameters: CircularTrading):
        self.view = view
        self.parameters = parameters
        self.tolerance = parameters.quantity_tolerance_percent / 100
        self.window = parameters.window_min * 60 * NS
        self.entry_gap = parameters.max_entry_gap_s * NS
        self.sold: dict[str, dict[str, dict[str, Leg]]] = {}  # instrument -> seller -> buyer
        self.rings: set[tuple[str, frozenset[str]]] = set()  # alerted today, per instrument

    def on_event(self, event) -> Sequence[Alert]:
        if type(event) is DayClosed:
            self.sold.pop(event.instrument, None)
            self.rings = {ring for ring in self.rings if ring[0] != event.instrument}
            return NO_ALERTS
        seller, buyer = event.sell_account, event.buy_account
        if seller == buyer or not self._arranged(event):
            return NO_ALERTS
        sold = self.sold.setdefault(event.instrument, {})
        legs = sold.setdefault(seller, {})
        leg = legs.get(buyer)
        if leg is None or leg.last_ts < event.ts - self.window:
            leg = legs[buyer] = Leg(event.ts)
        leg.quantity += event.quantity
        leg.last_ts = event.ts
        leg.trade_ids.append(event.trade_id)
        if leg.quantity < self.parameters.min_leg_tonnes:
            return NO_ALERTS
        low = math.ceil(leg.quantity * (1 - self.tolerance))
        high = math.floor(leg.quantity * (1 + self.tolerance))
        path = self._path(sold, buyer, seller, low, high, [seller, buyer], event.ts)
        if path is None:
            return NO_ALERTS
        ring = [seller, buyer] + [account for account, _ in path[:-1]]
        if (event.instrument, frozenset(ring)) in self.rings:
            return NO_ALERTS  # one alert per ring a day: the first cycle is the evidence
        self.rings.add((event.instrument, frozenset(ring)))
        cycle = [leg, *(found for _, found in path)]
        return (
            raise_alert(
                pattern=PATTERN,
                score=60 + 10 * (len(ring) - 2),
                instrument=event.instrument,
                accounts=ring,
                control_group=self.view.group(seller),
                window_start=min(found.first_ts for found in cycle),
                window_end=event.ts,
                evidence={
                    "accounts_in_cycle": len(ring),
                    "max_accounts": self.parameters.max_accounts,
                    "smallest_leg": min(found.quantity for found in cycle),
                    "largest_leg": max(found.quantity for found in cycle),
                    "trades_in_legs": sum(len(found.trade_ids) for found in cycle),
                    "tolerance_percent": self.parameters.quantity_tolerance_percent,
                    "min_leg_tonnes": self.parameters.min_leg_tonnes,
                    "max_entry_gap_s": self.parameters.max_entry_gap_s,
                    "parameters": label(PATTERN, self.parameters),
                },
                trade_ids=[trade_id for found in cycle for trade_id in found.trade_ids],
                reason=(
                    f"{leg.quantity} t went round {' -> '.join([*ring, seller])} in "
                    f"{event.instrument} within {self.parameters.window_min} minutes, each "
                    f"leg within {self.parameters.quantity_tolerance_percent:g}% of the others."
                ),
            ),
        )

    def _arranged(self, trade: Trade) -> bool:
        """A cross unlike ordinary liquidity taking: both orders entered within the gap
        and (with `whole_orders`) both filled wholly by it."""
        buy = self.view.orders.get(trade.buy_order_id)
        sell = self.view.orders.get(trade.sell_order_id)
        if buy is None or sell is None:
            return False
        if abs(buy.accepted_ts - sell.accepted_ts) > self.entry_gap:
            return False
        return not self.parameters.whole_orders or buy.quantity == sell.quantity == trade.quantity

    def _path(
        self,
        sold: dict[str, dict[str, Leg]],
        start: str,
        goal: str,
        low: int,
        high: int,
        visited: list[str],
        now: int,
    ) -> list[tuple[str, Leg]] | None:
        """Legs start -> ... -> goal through unvisited accounts, depth-first, bounded;
        only live legs of `low`..`high` tonnes count."""
        for buyer, leg in sold.get(start, {}).items():
            if not low <= leg.quantity <= high or leg.last_ts < now - self.window:
                continue
            if buyer == goal:
                return [(buyer, leg)]
            if buyer in visited or len(visited) >= self.parameters.max_accounts:
                continue
            rest = self._path(sold, buyer, goal, low, high, [*visited, buyer], now)
            if rest is not None:
                return [(buyer, leg), *rest]
        return None

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

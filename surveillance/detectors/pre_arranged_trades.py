"""Pre-arranged trades: two unrelated accounts enter opposite orders of the same size
within seconds and they meet each other wholly, again and again (CME Rule 539).

Once is chance in an anonymous book; `min_repeats` times a day for the same pair is an
arrangement. A cross is the orders of a seller and a buyer, entered within
`entered_within_s` of each other, that filled each other and nobody else, wholly: one
offer taken by one bid, or a cross split into several orders on either side (its trades
add up to one cross). Orders entered further apart, filled by anyone else or left partly
open, and crosses smaller than `min_cross_tonnes` (the odd lot an algorithm lifts) do not
count.
"""

from collections import deque
from collections.abc import Sequence

from engine.events import DayClosed, Trade
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import PreArrangedTrades, label

PATTERN = "pre_arranged_trades"
NS = 1_000_000_000


class Cross:
    """A pair's orders filling each other, until every one of them is filled."""

    __slots__ = ("key", "open", "orders", "started", "tonnes", "trades")

    def __init__(self, key: tuple[str, str, str], ts: int):
        self.key = key  # (instrument, seller, buyer)
        self.orders: set[int] = set()
        self.open: set[int] = set()  # those with quantity still to fill
        self.tonnes = 0
        self.trades: list[Trade] = []
        self.started = ts


class PreArrangedTradesDetector:
    pattern = PATTERN
    events = (Trade, DayClosed)

    def __init__(self, view: MarketView, parameters: PreArrangedTrades):
        self.view = view
        self.parameters = parameters
        self.within = parameters.entered_within_s * NS
        # (instrument, first account, second account) -> the trades of each cross today
        self.crosses: dict[tuple[str, str, str], list[list[Trade]]] = {}
        self.pending: dict[int, Cross] = {}  # order id -> the unfinished cross it is in
        self.by_age: deque[Cross] = deque()

    def on_event(self, event) -> Sequence[Alert]:
        if type(event) is DayClosed:
            self._forget(lambda cross: cross.key[0] == event.instrument)
            return self._close(event.instrument)
        buy_id, sell_id = event.buy_order_id, event.sell_order_id
        pending = self.pending
        buy, sell = self.view.orders.get(buy_id), self.view.orders.get(sell_id)
        if (
            buy is None
            or sell is None
            or abs(buy.accepted_ts - sell.accepted_ts) > self.within
            or self.view.related(event.buy_account, event.sell_account)
        ):
            if pending:  # filled by another: no cross of its own
                self._spoil(buy_id, sell_id)
            return NO_ALERTS
        key = (event.instrument, event.sell_account, event.buy_account)
        cross = pending.get(buy_id) or pending.get(sell_id)
        if cross is not None and (
            cross.key != key or pending.get(buy_id, cross) is not pending.get(sell_id, cross)
        ):
            self._spoil(buy_id, sell_id)
            return NO_ALERTS
        if cross is None:
            quantity = event.quantity
            if buy.filled > quantity or sell.filled > quantity:
                return NO_ALERTS  # one of them traded with someone else before
            if not event.buy_leaves and not event.sell_leaves:  # one trade, one cross
                return self._crossed(event, [event], quantity)
            if self.by_age and self.by_age[0].started < event.ts - 2 * self.within:
                self._forget(lambda old: old.started < event.ts - 2 * self.within)
            cross = Cross(key, event.ts)
            self.by_age.append(cross)
        for order_id, leaves in ((buy_id, event.buy_leaves), (sell_id, event.sell_leaves)):
            cross.orders.add(order_id)
            pending[order_id] = cross
            if leaves:
                cross.open.add(order_id)
            else:
                cross.open.discard(order_id)
        cross.tonnes += event.quantity
        cross.trades.append(event)
        if cross.open:
            return NO_ALERTS
        self._drop(cross)
        return self._crossed(event, cross.trades, cross.tonnes)

    def _crossed(self, event: Trade, trades: list[Trade], tonnes: int) -> Sequence[Alert]:
        """A cross is complete: counted for its pair when large enough."""
        if tonnes < self.parameters.min_cross_tonnes:
            return NO_ALERTS
        first, second = sorted((event.buy_account, event.sell_account))
        crosses = self.crosses.setdefault((event.instrument, first, second), [])
        crosses.append(trades)
        if len(crosses) != self.parameters.min_repeats:
            return NO_ALERTS
        return (self._alert(event.instrument, first, second, crosses),)

    def _spoil(self, *order_ids: int) -> None:
        for order_id in order_ids:
            spoiled = self.pending.get(order_id)
            if spoiled is not None:
                self._drop(spoiled)

    def _drop(self, cross: Cross) -> None:
        for order_id in cross.orders:
            if self.pending.get(order_id) is cross:
                del self.pending[order_id]

    def _forget(self, stale) -> None:
        """Unfinished crosses that can no longer finish in time (or at the close)."""
        kept = deque()
        for cross in self.by_age:
            if stale(cross):
                self._drop(cross)
            elif cross.open:
                kept.append(cross)
        self.by_age = kept

    def _close(self, instrument: str) -> Sequence[Alert]:
        """The day's final count for every pair that was alerted (it merges into the alert)."""
        alerts = []
        for key in [key for key in self.crosses if key[0] == instrument]:
            crosses = self.crosses.pop(key)
            if len(crosses) > self.parameters.min_repeats:
                alerts.append(self._alert(*key, crosses))
        return alerts

    def _alert(self, instrument: str, first: str, second: str, crosses: list[list[Trade]]) -> Alert:
        trades = [trade for cross in crosses for trade in cross]
        return raise_alert(
            pattern=PATTERN,
            score=min(100, 50 + 10 * len(crosses)),
            instrument=instrument,
            accounts=(first, second),
            control_group="",
            window_start=trades[0].ts,
            window_end=trades[-1].ts,
            evidence={
                "matched_crosses_today": len(crosses),
                "trades_in_crosses": len(trades),
                "min_cross_tonnes": self.parameters.min_cross_tonnes,
                "min_repeats": self.parameters.min_repeats,
                "entered_within_s": self.parameters.entered_within_s,
                "parameters": label(PATTERN, self.parameters),
            },
            order_ids=sorted({t.buy_order_id for t in trades} | {t.sell_order_id for t in trades}),
            trade_ids=[t.trade_id for t in trades],
            reason=(
                f"Unrelated accounts {first} and {second} entered opposite orders of equal "
                f"size within {self.parameters.entered_within_s} s that met each other "
                f"{len(crosses)} times today in {instrument}."
            ),
        )

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

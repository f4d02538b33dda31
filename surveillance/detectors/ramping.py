"""Ramping: one party's aggressive orders walk the price within minutes while it does
most of the trading (SSE/SZSE 拉抬打压).

A sliding window of `window_s` per instrument keeps each party's aggressive volume (who
acts, `acts_by`, by default the control group: a ramp taken in turns by two accounts of
one group is one party's). On each trade the aggressor's party is tested: its share of
the window's volume, and how far the price has moved since the window's first trade, in
the direction it was trading.
"""

from collections import deque
from collections.abc import Sequence

from engine.events import DayClosed, Trade
from engine.orders import Side
from surveillance.acting import describe, shares
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import Ramping, label

PATTERN = "ramping"
NS = 1_000_000_000


class Window:
    __slots__ = ("aggressive", "trades", "volume")

    def __init__(self) -> None:
        self.trades: deque = deque()  # (ts, price, quantity, party, trade id, account)
        self.aggressive: dict[str, int] = {}
        self.volume = 0


class RampingDetector:
    pattern = PATTERN
    events = (Trade, DayClosed)

    def __init__(self, view: MarketView, parameters: Ramping):
        self.view = view
        self.parameters = parameters
        self.span = parameters.window_s * NS
        self.windows: dict[str, Window] = {}

    def on_event(self, event) -> Sequence[Alert]:
        if type(event) is DayClosed:
            self.windows.pop(event.instrument, None)
            return NO_ALERTS
        window = self.windows.get(event.instrument)
        if window is None:
            window = self.windows[event.instrument] = Window()
        buying = event.aggressor_side == Side.BUY
        aggressor = event.buy_account if buying else event.sell_account
        trades, aggressive = window.trades, window.aggressive
        order = self.view.orders.get(event.buy_order_id if buying else event.sell_order_id)
        party = self.view.party(
            aggressor, self.parameters.acts_by, order.session if order is not None else ""
        )
        trades.append((event.ts, event.price, event.quantity, party, event.trade_id, aggressor))
        aggressive[party] = aggressive.get(party, 0) + event.quantity
        window.volume += event.quantity
        while trades[0][0] < event.ts - self.span:
            _, _, quantity, gone, _, _ = trades.popleft()
            window.volume -= quantity
            aggressive[gone] -= quantity
        first_price = trades[0][1]
        move = 100 * (event.price - first_price) / first_price
        if (move if buying else -move) < self.parameters.min_move_percent:
            return NO_ALERTS
        share = 100 * aggressive[party] / window.volume
        if share < self.parameters.min_volume_share_percent:
            return NO_ALERTS
        own = [t for t in trades if t[3] == party]
        by_account: dict[str, int] = {}
        for trade in own:
            by_account[trade[5]] = by_account.get(trade[5], 0) + trade[2]
        accounts = sorted(by_account)
        return (
            raise_alert(
                pattern=PATTERN,
                score=50 + 10 * abs(move) / self.parameters.min_move_percent,
                instrument=event.instrument,
                accounts=accounts,
                control_group=self.view.group(aggressor),
                window_start=own[0][0],
                window_end=event.ts,
                evidence={
                    "price_move_percent": round(move, 3),
                    "move_threshold_percent": self.parameters.min_move_percent,
                    "aggressive_volume_share_percent": round(share, 2),
                    "share_threshold_percent": self.parameters.min_volume_share_percent,
                    "window_s": self.parameters.window_s,
                    "party": party,
                    "parameters": label(PATTERN, self.parameters),
                }
                | shares(by_account),
                trade_ids=[t[4] for t in own],
                reason=(
                    f"{describe(accounts, party)}'s aggressive "
                    f"{'buying' if buying else 'selling'} moved "
                    f"{event.instrument} {move:+.2f}% within {self.parameters.window_s // 60} "
                    f"minutes, with {share:.0f}% of the volume."
                ),
            ),
        )

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

"""Marking the close: in this market the close is the VWAP of the whole day's book trades,
so marking it means trading enough, at off-market prices, to move that average (EU MAR).

At the day's close, each account with at least `min_volume_share_percent` of the closing
window's volume is tested: the day's VWAP with its trades against the VWAP without them
(or the carried-over close if nothing else traded).
"""

import datetime as dt
from collections.abc import Sequence

from engine.events import DayClosed
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import MarkingTheClose, label

PATTERN = "marking_the_close"
NS_PER_MINUTE = 60_000_000_000


class MarkingTheCloseDetector:
    pattern = PATTERN
    events = (DayClosed,)

    def __init__(self, view: MarketView, parameters: MarkingTheClose):
        self.view = view
        self.parameters = parameters

    def on_event(self, event: DayClosed) -> Sequence[Alert]:
        trades = self.view.trades.get(event.instrument)
        if not trades:
            return NO_ALERTS
        window_end = self._closing_time(event.trading_date, trades[-1].ts)
        window_start = window_end - self.parameters.closing_window_min * NS_PER_MINUTE
        closing = [t for t in trades if t.ts >= window_start]
        window_volume = sum(t.quantity for t in closing)
        shares: dict[str, int] = {}
        for trade in closing:
            shares[trade.buy_account] = shares.get(trade.buy_account, 0) + trade.quantity
            if trade.sell_account != trade.buy_account:
                shares[trade.sell_account] = shares.get(trade.sell_account, 0) + trade.quantity
        day_volume = sum(t.quantity for t in trades)
        day_turnover = sum(t.quantity * t.price for t in trades)
        close_with = day_turnover / day_volume
        alerts = []
        for account, volume in sorted(shares.items()):
            share = 100 * volume / window_volume
            if share < self.parameters.min_volume_share_percent:
                continue
            others = [t for t in trades if account not in (t.buy_account, t.sell_account)]
            other_volume = sum(t.quantity for t in others)
            close_without = (
                sum(t.quantity * t.price for t in others) / other_volume
                if other_volume
                else self.view.references.get(event.instrument, 0)
            )
            if not close_without:
                continue
            move = 100 * (close_with - close_without) / close_without
            if abs(move) < self.parameters.min_close_move_percent:
                continue
            own = [t for t in closing if account in (t.buy_account, t.sell_account)]
            alerts.append(
                raise_alert(
                    pattern=PATTERN,
                    score=50 + 10 * abs(move) / self.parameters.min_close_move_percent,
                    instrument=event.instrument,
                    accounts=(account,),
                    control_group=self.view.group(account),
                    window_start=window_start,
                    window_end=window_end,
                    evidence={
                        "closing_window_volume_share_percent": round(share, 2),
                        "share_threshold_percent": self.parameters.min_volume_share_percent,
                        "close_with_fen": round(close_with, 2),
                        "close_without_fen": round(close_without, 2),
                        "close_move_percent": round(move, 3),
                        "move_threshold_percent": self.parameters.min_close_move_percent,
                        "parameters": label(PATTERN, self.parameters),
                    },
                    trade_ids=[t.trade_id for t in own],
                    reason=(
                        f"{account} did {share:.0f}% of the last "
                        f"{self.parameters.closing_window_min} minutes' volume in "
                        f"{event.instrument}, and its trades moved the day's closing VWAP by "
                        f"{move:+.2f}%."
                    ),
                )
            )
        return alerts

    def _closing_time(self, trading_date: str, last_trade_ts: int) -> int:
        try:
            day = dt.date.fromisoformat(trading_date)
        except ValueError:
            return last_trade_ts
        sessions = self.view.reference.calendar.session_windows(day)
        return sessions[-1][1] if sessions else last_trade_ts

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

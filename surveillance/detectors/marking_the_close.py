"""Marking the close: in this market the close is the VWAP of the whole day's book trades,
so marking it means trading enough, at off-market prices, to move that average (EU MAR).

At the day's close, each party (who acts, `acts_by`: by default the control group, so a
close marked from two accounts of one group is one party's) with at least
`min_volume_share_percent` of the closing window's volume is tested: the day's VWAP with
its trades against the VWAP without them (or the carried-over close if nothing else
traded). A trade between two accounts of one party counts once for it. The party's
closing trades must lean one way (net bought or sold at least `min_one_sided_percent` of
its window volume) and be taken rather than supplied (the party the aggressor in at
least `min_aggressive_percent` of it): the only market maker of a thin instrument does
most of the closing volume too, buying and selling alike, its quotes hit by others. A
complicit seller whose offers the marker lifts is therefore not alerted itself; it is
the counterparty of the alert's trades.

Only the day's totals are kept (volume and turnover, overall and per account) and the
trades of the closing window itself, which ends at the day's last session end: memory
follows the accounts and the trading in the last minutes, not the day's trade count. A
day the calendar has no sessions for closes at its latest trade instead, so there the
trades within a window's length of the latest one are kept.
"""

import datetime as dt
from collections import deque
from collections.abc import Sequence

from engine.events import DayClosed, Trade
from engine.orders import Side
from surveillance.acting import describe, shares
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import MarkingTheClose, label

PATTERN = "marking_the_close"
NS_PER_MINUTE = 60_000_000_000


class TradingDay:
    """One instrument's trading so far today."""

    __slots__ = ("by_account", "closing_from", "last_ts", "recent", "turnover", "volume")

    def __init__(self, closing_from: int | None) -> None:
        self.closing_from = closing_from  # the closing window's start; None: not known
        self.volume = 0
        self.turnover = 0  # fen
        self.last_ts = 0
        self.by_account: dict[str, list[int]] = {}  # party -> [volume, turnover] it was in
        # the ones that may be in the closing window, with the buying and selling party
        self.recent: deque[tuple[Trade, str, str]] = deque()

    def add(self, trade: Trade, buyer: str, seller: str, keep_ns: int) -> None:
        parties = {buyer, seller}
        self.last_ts = trade.ts
        turnover = trade.quantity * trade.price
        self.volume += trade.quantity
        self.turnover += turnover
        for party in parties:
            totals = self.by_account.setdefault(party, [0, 0])
            totals[0] += trade.quantity
            totals[1] += turnover
        if self.closing_from is not None:
            if trade.ts >= self.closing_from:
                self.recent.append((trade, buyer, seller))
            return
        recent = self.recent
        recent.append((trade, buyer, seller))
        while recent[0][0].ts < trade.ts - keep_ns:
            recent.popleft()


class MarkingTheCloseDetector:
    pattern = PATTERN
    events = (Trade, DayClosed)

    def __init__(self, view: MarketView, parameters: MarkingTheClose):
        self.view = view
        self.parameters = parameters
        self.window = parameters.closing_window_min * NS_PER_MINUTE
        self.days: dict[str, TradingDay] = {}  # by instrument

    def on_event(self, event: Trade | DayClosed) -> Sequence[Alert]:
        if type(event) is Trade:
            day = self.days.get(event.instrument)
            if day is None:
                day = self.days[event.instrument] = TradingDay(self._closing_from(event.ts))
            day.add(event, self._party(event, True), self._party(event, False), self.window)
            return NO_ALERTS
        day = self.days.pop(event.instrument, None)
        if day is None:
            return NO_ALERTS
        return self._day_closed(event, day)

    def _day_closed(self, event: DayClosed, day: TradingDay) -> Sequence[Alert]:
        window_end = self._closing_time(event.trading_date, day.last_ts)
        window_start = window_end - self.window
        closing = [entry for entry in day.recent if entry[0].ts >= window_start]
        window_volume = sum(entry[0].quantity for entry in closing)
        volumes: dict[str, int] = {}
        net: dict[str, int] = {}  # bought minus sold in the window
        aggressive: dict[str, int] = {}  # tonnes it traded as the aggressor
        for trade, buyer, seller in closing:
            taker = buyer if trade.aggressor_side == Side.BUY else seller
            aggressive[taker] = aggressive.get(taker, 0) + trade.quantity
            for party in {buyer, seller}:
                volumes[party] = volumes.get(party, 0) + trade.quantity
            if buyer != seller:
                net[buyer] = net.get(buyer, 0) + trade.quantity
                net[seller] = net.get(seller, 0) - trade.quantity
        close_with = day.turnover / day.volume
        alerts = []
        for party, volume in sorted(volumes.items()):
            share = 100 * volume / window_volume
            if share < self.parameters.min_volume_share_percent:
                continue
            one_sided = 100 * abs(net.get(party, 0)) / volume
            if one_sided < self.parameters.min_one_sided_percent:
                continue  # buying and selling alike: making the market, not marking it
            taking = 100 * aggressive.get(party, 0) / volume
            if taking < self.parameters.min_aggressive_percent:
                continue  # its resting quotes were hit: it supplied the closing trades
            own_volume, own_turnover = day.by_account[party]
            other_volume = day.volume - own_volume
            close_without = (
                (day.turnover - own_turnover) / other_volume
                if other_volume
                else self.view.references.get(event.instrument, 0)
            )
            if not close_without:
                continue
            move = 100 * (close_with - close_without) / close_without
            if abs(move) < self.parameters.min_close_move_percent:
                continue
            own = [entry[0] for entry in closing if party in entry[1:]]
            by_account: dict[str, int] = {}
            for trade in own:
                for account, side_party in (
                    (trade.buy_account, self._party(trade, True)),
                    (trade.sell_account, self._party(trade, False)),
                ):
                    if side_party == party:
                        by_account[account] = by_account.get(account, 0) + trade.quantity
            accounts = sorted(by_account)
            alerts.append(
                raise_alert(
                    pattern=PATTERN,
                    score=50 + 10 * abs(move) / self.parameters.min_close_move_percent,
                    instrument=event.instrument,
                    accounts=accounts,
                    control_group=self.view.group(accounts[0]),
                    window_start=window_start,
                    window_end=window_end,
                    evidence={
                        "closing_window_volume_share_percent": round(share, 2),
                        "one_sided_percent": round(one_sided, 1),
                        "one_sided_threshold_percent": self.parameters.min_one_sided_percent,
                        "aggressive_percent": round(taking, 1),
                        "aggressive_threshold_percent": self.parameters.min_aggressive_percent,
                        "share_threshold_percent": self.parameters.min_volume_share_percent,
                        "close_with_fen": round(close_with, 2),
                        "close_without_fen": round(close_without, 2),
                        "close_move_percent": round(move, 3),
                        "move_threshold_percent": self.parameters.min_close_move_percent,
                        "acts_by": self.parameters.acts_by,
                        "party": party,
                        "parameters": label(PATTERN, self.parameters),
                    }
                    | shares(by_account),
                    trade_ids=[t.trade_id for t in own],
                    reason=(
                        f"{describe(accounts, party)} did {share:.0f}% of the last "
                        f"{self.parameters.closing_window_min} minutes' volume in "
                        f"{event.instrument}, and its trades moved the day's closing VWAP by "
                        f"{move:+.2f}%."
                    ),
                )
            )
        return alerts

    def _party(self, trade: Trade, buyer: bool) -> str:
        account, order_id = (
            (trade.buy_account, trade.buy_order_id)
            if buyer
            else (trade.sell_account, trade.sell_order_id)
        )
        order = self.view.orders.get(order_id)
        return self.view.party(
            account, self.parameters.acts_by, order.session if order is not None else ""
        )

    def _closing_from(self, ts: int) -> int | None:
        calendar = self.view.reference.calendar
        sessions = calendar.session_windows(calendar.trading_date(ts))
        return sessions[-1][1] - self.window if sessions else None

    def _closing_time(self, trading_date: str, last_trade_ts: int) -> int:
        try:
            day = dt.date.fromisoformat(trading_date)
        except ValueError:
            return last_trade_ts
        sessions = self.view.reference.calendar.session_windows(day)
        return sessions[-1][1] if sessions else last_trade_ts

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

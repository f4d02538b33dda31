"""Spoofing: a large order that was never meant to trade, pulled within seconds, while the
same account or group trades on the other side (CFTC / EU MAR).

A candidate is an order at least `size_multiple` x the day's median top-of-book size,
cancelled by the member within `cancelled_within_s` having filled under
`max_filled_percent`. It becomes an alert when its account's group trades on the
opposite side within `opposite_trade_within_s` of the order, before or after the cancel;
a candidate still waiting for that trade is kept until the time runs out.
"""

from collections import deque
from collections.abc import Sequence

from engine.events import DayClosed, OrderAccepted, OrderCancelled, Trade
from engine.orders import Side
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView, is_member_cancel
from surveillance.parameters import Spoofing, label

PATTERN = "spoofing"
NS = 1_000_000_000


class Candidate:
    __slots__ = ("accepted_ts", "cancelled", "group", "median", "order_id", "side")

    def __init__(self, event: OrderAccepted, group: str, median: float):
        self.order_id = event.order_id
        self.side = event.side
        self.group = group
        self.accepted_ts = event.ts
        self.median = median
        self.cancelled: OrderCancelled | None = None


class SpoofingDetector:
    pattern = PATTERN
    events = (OrderAccepted, OrderCancelled, Trade, DayClosed)

    def __init__(self, view: MarketView, parameters: Spoofing):
        self.view = view
        self.parameters = parameters
        self.window = parameters.opposite_trade_within_s * NS
        # fills older than this cannot pair with any order still cancellable in time
        self.memory = self.window + parameters.cancelled_within_s * NS
        self.cancel_within = parameters.cancelled_within_s * NS
        self.large: dict[int, Candidate] = {}  # in the order accepted
        self.waiting: dict[tuple[str, str], list[Candidate]] = {}  # (instrument, group)
        # (instrument, group) -> recent (ts, side, trade id, account) of the group's fills
        self.fills: dict[tuple[str, str], deque] = {}
        self.repeats: dict[tuple[str, str], int] = {}

    def on_event(self, event) -> Sequence[Alert]:
        kind = type(event)
        if kind is OrderAccepted:
            book = self.view.book(event.instrument)
            if book.top_sizes.count >= self.parameters.min_book_samples:
                median = book.top_sizes.median()
                if event.quantity >= self.parameters.size_multiple * median:
                    group = self.view.group(event.account)
                    self._forget_large_before(event.ts - self.cancel_within)
                    self.large[event.order_id] = Candidate(event, group, median)
            return NO_ALERTS
        if kind is OrderCancelled:
            candidate = self.large.pop(event.order_id, None)
            if candidate is None or not self._qualifies(candidate, event):
                return NO_ALERTS
            candidate.cancelled = event
            return self._match_past_fills(candidate, event)
        if kind is Trade:
            return self._on_trade(event)
        self._forget_instrument(event.instrument)
        return NO_ALERTS

    def _qualifies(self, candidate: Candidate, event: OrderCancelled) -> bool:
        quantity = event.cancelled_quantity + event.filled_quantity
        return (
            is_member_cancel(event)
            and event.ts - candidate.accepted_ts <= self.cancel_within
            and event.filled_quantity * 100 < self.parameters.max_filled_percent * quantity
        )

    def _match_past_fills(self, candidate: Candidate, event: OrderCancelled) -> Sequence[Alert]:
        key = (event.instrument, candidate.group)
        since = candidate.accepted_ts - self.window
        for ts, side, trade_id, account in self.fills.get(key, ()):
            if ts >= since and side != candidate.side:
                return (self._alert(candidate, ts, trade_id, account),)
        self.waiting.setdefault(key, []).append(candidate)
        return NO_ALERTS

    def _on_trade(self, trade: Trade) -> Sequence[Alert]:
        alerts: list[Alert] = []
        for side, account in ((Side.BUY, trade.buy_account), (Side.SELL, trade.sell_account)):
            key = (trade.instrument, self.view.group(account))
            fills = self.fills.get(key)
            if fills is None:
                fills = self.fills[key] = deque()
            fills.append((trade.ts, side, trade.trade_id, account))
            while fills[0][0] < trade.ts - self.memory:
                fills.popleft()
            waiting = self.waiting.get(key)
            if waiting:
                still = []
                for candidate in waiting:
                    if candidate.cancelled.ts + self.window < trade.ts:
                        continue
                    if candidate.side != side:
                        alerts.append(self._alert(candidate, trade.ts, trade.trade_id, account))
                    else:
                        still.append(candidate)
                self.waiting[key] = still
        return alerts

    def _alert(self, candidate: Candidate, trade_ts: int, trade_id: int, account: str) -> Alert:
        cancel = candidate.cancelled
        key = (cancel.instrument, candidate.group)
        repeats = self.repeats[key] = self.repeats.get(key, 0) + 1
        escalated = repeats >= self.parameters.escalate_at_repeats
        quantity = cancel.cancelled_quantity + cancel.filled_quantity
        side = "buy" if candidate.side == Side.BUY else "sell"
        return raise_alert(
            pattern=PATTERN,
            score=90 if escalated else 60,
            instrument=cancel.instrument,
            accounts=(cancel.account, account),
            control_group=candidate.group,
            window_start=min(candidate.accepted_ts, trade_ts),
            window_end=max(cancel.ts, trade_ts),
            evidence={
                "order_quantity": quantity,
                "median_top_of_book": candidate.median,
                "size_multiple": round(quantity / candidate.median, 2),
                "size_multiple_threshold": self.parameters.size_multiple,
                "seconds_to_cancel": (cancel.ts - candidate.accepted_ts) / NS,
                "cancel_threshold_s": self.parameters.cancelled_within_s,
                "filled_percent": round(100 * cancel.filled_quantity / quantity, 2),
                "filled_threshold_percent": self.parameters.max_filled_percent,
                "seconds_to_opposite_trade": abs(trade_ts - candidate.accepted_ts) / NS,
                "repeats_today": repeats,
                "parameters": label(PATTERN, self.parameters),
            },
            order_ids=(cancel.order_id,),
            trade_ids=(trade_id,),
            reason=(
                f"{cancel.account} placed a {side} order of {quantity} t "
                f"({quantity / candidate.median:.1f}x the usual top-of-book size), cancelled it "
                f"after {(cancel.ts - candidate.accepted_ts) / NS:.1f} s while {account} traded "
                f"on the other side" + (f", {repeats} times today" if escalated else "") + "."
            ),
        )

    def _forget_large_before(self, ts: int) -> None:
        """A large order filled rather than cancelled would stay a candidate all day; one
        older than `cancelled_within_s` can no longer qualify, whatever happens to it."""
        large = self.large
        while large:
            order_id = next(iter(large))
            if large[order_id].accepted_ts >= ts:
                return
            del large[order_id]

    def _forget_instrument(self, instrument: str) -> None:
        for table in (self.waiting, self.fills, self.repeats):
            for key in [key for key in table if key[0] == instrument]:
                del table[key]

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        self.large.clear()
        return NO_ALERTS

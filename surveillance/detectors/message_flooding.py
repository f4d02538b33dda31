"""Message flooding: bursts of messages that load the system, or order flow that almost
never trades (SSE/SZSE 异常报撤单).

The engine's events carry no session, so the account stands for its session: messages are
the account's accepted and rejected orders, its own cancels, amends, refused cancels and
mass-cancel requests (one message each, not one per order it pulled). A burst alerts when
`max_messages_per_second` fall within one second; the order-to-trade ratio (messages per
trade) is judged at the day's end over all instruments.
"""

from collections import deque
from collections.abc import Sequence

from engine.events import (
    CancelRejected,
    MassCancelDone,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderRejected,
    Trade,
)
from engine.orders import CancelCause
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import MessageFlooding, label

PATTERN = "message_flooding"
NS = 1_000_000_000


class Traffic:
    __slots__ = ("first_ts", "flooding", "last_ts", "messages", "recent", "trades")

    def __init__(self, ts: int):
        self.recent: deque = deque()  # ts of the last second's messages
        self.messages = 0
        self.trades = 0
        self.first_ts = ts
        self.last_ts = ts
        self.flooding = False


class MessageFloodingDetector:
    pattern = PATTERN
    events = (
        OrderAccepted,
        OrderRejected,
        OrderCancelled,
        OrderAmended,
        CancelRejected,
        MassCancelDone,
        Trade,
    )

    def __init__(self, view: MarketView, parameters: MessageFlooding):
        self.view = view
        self.parameters = parameters
        self.traffic: dict[str, Traffic] = {}

    def _of(self, account: str, ts: int) -> Traffic:
        traffic = self.traffic.get(account)
        if traffic is None:
            traffic = self.traffic[account] = Traffic(ts)
        return traffic

    def on_event(self, event) -> Sequence[Alert]:
        kind = type(event)
        if kind is Trade:
            self._of(event.buy_account, event.ts).trades += 1
            if event.sell_account != event.buy_account:
                self._of(event.sell_account, event.ts).trades += 1
            return NO_ALERTS
        if kind is OrderCancelled and event.cause != CancelCause.REQUESTED:
            return NO_ALERTS
        if kind is MassCancelDone and not event.account:
            return NO_ALERTS
        traffic = self._of(event.account, event.ts)
        traffic.messages += 1
        traffic.last_ts = event.ts
        recent = traffic.recent
        recent.append(event.ts)
        while recent[0] <= event.ts - NS:
            recent.popleft()
        limit = self.parameters.max_messages_per_second
        if len(recent) < limit:
            traffic.flooding = False
            return NO_ALERTS
        if traffic.flooding:
            return NO_ALERTS
        traffic.flooding = True
        return (
            raise_alert(
                pattern=PATTERN,
                score=70,
                instrument="",
                accounts=(event.account,),
                control_group=self.view.group(event.account),
                window_start=recent[0],
                window_end=event.ts,
                evidence={
                    "messages_in_one_second": len(recent),
                    "max_messages_per_second": limit,
                    "parameters": label(PATTERN, self.parameters),
                },
                reason=f"{event.account} sent {len(recent)} messages within one second.",
            ),
        )

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        alerts = []
        for account, traffic in sorted(self.traffic.items()):
            ratio = traffic.messages / max(1, traffic.trades)
            if (
                traffic.messages < self.parameters.min_messages_per_day
                or ratio < self.parameters.max_order_to_trade_ratio
            ):
                continue
            alerts.append(
                raise_alert(
                    pattern=PATTERN,
                    score=min(100, 50 + ratio / self.parameters.max_order_to_trade_ratio * 10),
                    instrument="",
                    accounts=(account,),
                    control_group=self.view.group(account),
                    window_start=traffic.first_ts,
                    window_end=traffic.last_ts,
                    evidence={
                        "messages_today": traffic.messages,
                        "trades_today": traffic.trades,
                        "order_to_trade_ratio": round(ratio, 1),
                        "max_order_to_trade_ratio": self.parameters.max_order_to_trade_ratio,
                        "min_messages_per_day": self.parameters.min_messages_per_day,
                        "parameters": label(PATTERN, self.parameters),
                    },
                    reason=(
                        f"{account} sent {traffic.messages} messages today for "
                        f"{traffic.trades} trades, an order-to-trade ratio of {ratio:.0f}."
                    ),
                )
            )
        self.traffic.clear()
        return alerts

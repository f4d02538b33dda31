"""Message flooding: bursts of messages that load the system, or order flow that almost
never trades (SSE/SZSE 异常报撤单).

Messages are counted for each party of every grouping in `acts_by` (by default the member
session the message came over, and the member: two accounts behind one session, or one
member's accounts spread over sessions, are one sender; see surveillance/acting.py):
accepted and rejected orders, member cancels, amends, refused cancels and mass-cancel
requests (one message each, not one per order it pulled). A burst alerts when
`max_messages_per_second` fall within one second; the order-to-trade ratio (messages per
trade) is judged at the day's end over all instruments. A message without a session
(from before the engine kept them) counts for its account as the session.
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
from surveillance.acting import describe, shares
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import MessageFlooding, label

PATTERN = "message_flooding"
NS = 1_000_000_000


class Traffic:
    __slots__ = ("by_account", "first_ts", "flooding", "last_ts", "messages", "recent", "trades")

    def __init__(self, ts: int):
        self.by_account: dict[str, int] = {}  # messages per account
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
        self.acts_by = parameters.acts_by
        self.traffic: dict[str, Traffic] = {}  # by party

    def _of(self, party: str, ts: int) -> Traffic:
        traffic = self.traffic.get(party)
        if traffic is None:
            traffic = self.traffic[party] = Traffic(ts)
        return traffic

    def on_event(self, event) -> Sequence[Alert]:
        kind = type(event)
        view = self.view
        if kind is Trade:
            counted = set()
            for account, order_id in (
                (event.buy_account, event.buy_order_id),
                (event.sell_account, event.sell_order_id),
            ):
                order = view.orders.get(order_id)
                session = order.session if order is not None else ""
                for acts_by in self.acts_by:
                    counted.add(view.party(account, acts_by, session))
            for party in counted:
                self._of(party, event.ts).trades += 1
            return NO_ALERTS
        if kind is OrderCancelled and event.cause != CancelCause.REQUESTED:
            return NO_ALERTS
        if kind is MassCancelDone and not event.account:
            return NO_ALERTS
        session = getattr(event, "session", "")
        alerts: list[Alert] = []
        for acts_by in self.acts_by:
            alert = self._message(event, view.party(event.account, acts_by, session))
            if alert is not None:
                alerts.append(alert)
        return alerts

    def _message(self, event, party: str) -> Alert | None:
        traffic = self._of(party, event.ts)
        traffic.by_account[event.account] = traffic.by_account.get(event.account, 0) + 1
        traffic.messages += 1
        traffic.last_ts = event.ts
        recent = traffic.recent
        recent.append(event.ts)
        while recent[0] <= event.ts - NS:
            recent.popleft()
        limit = self.parameters.max_messages_per_second
        if len(recent) < limit:
            traffic.flooding = False
            return None
        if traffic.flooding:
            return None
        traffic.flooding = True
        accounts = sorted(traffic.by_account)
        return raise_alert(
            pattern=PATTERN,
            score=70,
            instrument="",
            accounts=accounts,
            control_group=self.view.group(event.account),
            window_start=recent[0],
            window_end=event.ts,
            evidence={
                "messages_in_one_second": len(recent),
                "max_messages_per_second": limit,
                "party": party,
                "parameters": label(PATTERN, self.parameters),
            }
            | shares(traffic.by_account),
            reason=(f"{describe(accounts, party)} sent {len(recent)} messages within one second."),
        )

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        alerts = []
        for party, traffic in sorted(self.traffic.items()):
            ratio = traffic.messages / max(1, traffic.trades)
            if (
                traffic.messages < self.parameters.min_messages_per_day
                or ratio < self.parameters.max_order_to_trade_ratio
            ):
                continue
            accounts = sorted(traffic.by_account)
            alerts.append(
                raise_alert(
                    pattern=PATTERN,
                    score=min(100, 50 + ratio / self.parameters.max_order_to_trade_ratio * 10),
                    instrument="",
                    accounts=accounts,
                    control_group=self.view.group(accounts[0]),
                    window_start=traffic.first_ts,
                    window_end=traffic.last_ts,
                    evidence={
                        "messages_today": traffic.messages,
                        "trades_today": traffic.trades,
                        "order_to_trade_ratio": round(ratio, 1),
                        "max_order_to_trade_ratio": self.parameters.max_order_to_trade_ratio,
                        "min_messages_per_day": self.parameters.min_messages_per_day,
                        "party": party,
                        "parameters": label(PATTERN, self.parameters),
                    }
                    | shares(traffic.by_account),
                    reason=(
                        f"{describe(accounts, party)} sent {traffic.messages} messages today for "
                        f"{traffic.trades} trades, an order-to-trade ratio of {ratio:.0f}."
                    ),
                )
            )
        self.traffic.clear()
        return alerts

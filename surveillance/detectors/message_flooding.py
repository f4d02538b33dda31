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
    __slots__ = (
        "first_ts",
        "flooding",
        "last_ts",
        "messages",
        "party",
        "recent",
        "routes",
        "trades",
    )

    def __init__(self, party: str, ts: int):
        self.party = party
        self.routes: list[Route] = []  # the (account, session) pairs counted here
        self.recent: deque = deque()  # ts of the last second's messages
        self.messages = 0
        self.trades = 0
        self.first_ts = ts
        self.last_ts = ts
        self.flooding = False

    @property
    def by_account(self) -> dict[str, int]:
        """Messages per account (for the shares; worked out only for an alert)."""
        counts: dict[str, int] = {}
        for route in self.routes:
            if route.messages:
                counts[route.account] = counts.get(route.account, 0) + route.messages
        return counts


class Route:
    """One account's messages over one session, and the traffic of each of its parties:
    a message costs one lookup and one count here, however many groupings there are."""

    __slots__ = ("account", "messages", "traffics")

    def __init__(self, account: str, traffics: tuple[Traffic, ...]):
        self.account = account
        self.messages = 0
        self.traffics = traffics


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
        self.limit = parameters.max_messages_per_second
        self.traffic: dict[str, Traffic] = {}  # by party
        # (account, session) -> its parties' traffic, one per grouping; rebuilt when the
        # market view's parties change (an account opened, a control group set)
        self.routes: dict[tuple[str, str], Route] = {}
        self.routes_of = view.parties_changed

    def _route(self, account: str, session: str, ts: int) -> Route:
        if self.routes_of != self.view.parties_changed:
            self.routes.clear()
            self.routes_of = self.view.parties_changed
        key = (account, session)
        route = self.routes.get(key)
        if route is None:  # the first message of this account over this session
            traffics = []
            for acts_by in self.acts_by:
                party = self.view.party(account, acts_by, session)
                traffic = self.traffic.get(party)
                if traffic is None:
                    traffic = self.traffic[party] = Traffic(party, ts)
                if traffic not in traffics:
                    traffics.append(traffic)
            route = self.routes[key] = Route(account, tuple(traffics))
            for traffic in traffics:
                traffic.routes.append(route)
        return route

    def on_event(self, event) -> Sequence[Alert]:
        kind = type(event)
        if kind is Trade:
            orders = self.view.orders
            buy, sell = orders.get(event.buy_order_id), orders.get(event.sell_order_id)
            bought = self._route(event.buy_account, buy.session if buy else "", event.ts)
            sold = self._route(event.sell_account, sell.session if sell else "", event.ts)
            for traffic in bought.traffics:
                traffic.trades += 1
            for traffic in sold.traffics:
                if traffic not in bought.traffics:  # a party on both sides trades once
                    traffic.trades += 1
            return NO_ALERTS
        if kind is OrderCancelled and event.cause != CancelCause.REQUESTED:
            return NO_ALERTS
        if kind is MassCancelDone and not event.account:
            return NO_ALERTS
        ts = event.ts
        session = "" if kind is MassCancelDone else event.session
        route = self.routes.get((event.account, session))
        if route is None or self.routes_of != self.view.parties_changed:
            route = self._route(event.account, session, ts)
        route.messages += 1
        alerts = NO_ALERTS
        second_ago = ts - NS
        for traffic in route.traffics:
            traffic.messages += 1
            traffic.last_ts = ts
            recent = traffic.recent
            recent.append(ts)
            while recent[0] <= second_ago:
                recent.popleft()
            if len(recent) < self.limit:
                traffic.flooding = False
            elif not traffic.flooding:
                traffic.flooding = True
                alerts = [*alerts, self._burst(event, traffic)]
        return alerts

    def _burst(self, event, traffic: Traffic) -> Alert:
        recent, party, limit = traffic.recent, traffic.party, self.limit
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
            by_account = traffic.by_account
            accounts = sorted(by_account)
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
                    | shares(by_account),
                    reason=(
                        f"{describe(accounts, party)} sent {traffic.messages} messages today for "
                        f"{traffic.trades} trades, an order-to-trade ratio of {ratio:.0f}."
                    ),
                )
            )
        self.traffic.clear()
        self.routes.clear()
        return alerts

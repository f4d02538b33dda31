"""A trading day as a timed agenda of participants' commands, run through the engine.

The commands go through the engine's own sequencer (with in-memory pre-trade holds), so
the events are exactly what the exchange emits. Participants read the book from a
`MarketView` built from those events, never from the sequencer's insides.

Prices follow a fundamental random walk plus the temporary impact of aggressive flow
(decaying with `IMPACT_DECAY_S`), so a participant who keeps buying walks the price up
the way a real book does, and honest flow moves it little.
"""

import datetime as dt
import heapq
import math
import random
from collections.abc import Callable

from engine.commands import (
    AmendOrder,
    CancelOrder,
    EndOfDay,
    MassCancel,
    MoveCash,
    MoveHolding,
    NewOrder,
    OpenAccount,
)
from engine.events import Event, OrderAccepted, Trade
from engine.memory_holds import MemoryHolds
from engine.orders import (
    CashMovementKind,
    HoldingMovementKind,
    MassCancelScope,
    OrderType,
    Side,
    TimeInForce,
)
from engine.reference import ReferenceData
from engine.sequencer import Sequencer
from surveillance.market_view import MarketView

NS = 1_000_000_000
MINUTE = 60 * NS
# Each trade moves the fair price by IMPACT x sqrt(tonnes) in the aggressor's direction:
# the square-root law of market impact, so one large order moves the price much less than
# the same tonnes sent as a string of orders.
IMPACT = 5.5e-5
IMPACT_DECAY_S = 3600
FUNDAMENTAL_VOLATILITY = 0.0004  # per minute


class Simulation:
    def __init__(self, reference: ReferenceData, trading_date: dt.date, rng: random.Random):
        self.reference = reference
        self.rng = rng
        self.trading_date = trading_date
        self.sessions = reference.calendar.session_windows(trading_date)
        if not self.sessions:
            raise ValueError(f"{trading_date} is not a trading day")
        self.sequencer = Sequencer(reference, MemoryHolds())
        self.view = MarketView(reference)
        self.events: list[Event] = []
        self.agenda: list[tuple[int, int, Callable[[int], None]]] = []
        self.scheduled = 0
        self.fundamental = {s: float(i.reference_price) for s, i in reference.instruments.items()}
        self.fundamental_ts = dict.fromkeys(reference.instruments, self.sessions[0][0])
        self.impact = dict.fromkeys(reference.instruments, 0.0)
        self.impact_ts = dict.fromkeys(reference.instruments, self.sessions[0][0])
        self.on_fill: dict[str, Callable[[int], None]] = {}  # account -> reaction to a fill
        self.market_makers: set[str] = set()  # their taking of stale orders tells nothing
        # accounts whose trades with each other are arranged crosses: no news, no impact
        self.arranged: set[str] = set()
        self.next_client_id = 0
        self.next_reference = 0
        self.session_of: dict[str, str] = {}  # account -> the member session it trades over

    # time ---------------------------------------------------------------------------
    def at(self, ts: int, action: Callable[[int], None]) -> None:
        self.scheduled += 1
        heapq.heappush(self.agenda, (ts, self.scheduled, action))

    def run(self) -> list[Event]:
        close = self.sessions[-1][1]
        while self.agenda and self.agenda[0][0] < close:
            ts, _, action = heapq.heappop(self.agenda)
            action(ts)
        self.send(EndOfDay(close + MINUTE, self.trading_date.isoformat()))
        return self.events

    def random_time(self, after_open: int = 10 * MINUTE, before_close: int = 5 * MINUTE) -> int:
        """A moment inside a session, away from its edges."""
        windows = [(s + after_open, e - before_close) for s, e in self.sessions]
        windows = [(s, e) for s, e in windows if e > s]
        total = sum(e - s for s, e in windows)
        offset = self.rng.randrange(total)
        for start, end in windows:
            if offset < end - start:
                return start + offset
            offset -= end - start
        raise AssertionError("unreachable")

    # prices -------------------------------------------------------------------------
    def fair(self, instrument: str, ts: int) -> float:
        minutes = (ts - self.fundamental_ts[instrument]) / MINUTE
        if minutes > 0:
            step = self.rng.gauss(0, FUNDAMENTAL_VOLATILITY * math.sqrt(minutes))
            self.fundamental[instrument] *= math.exp(step)
            self.fundamental_ts[instrument] = ts
        return self.fundamental[instrument] * (1 + self._impact(instrument, ts))

    def _impact(self, instrument: str, ts: int) -> float:
        elapsed = (ts - self.impact_ts[instrument]) / NS
        self.impact[instrument] *= math.exp(-elapsed / IMPACT_DECAY_S)
        self.impact_ts[instrument] = ts
        return self.impact[instrument]

    def market(self, instrument: str) -> "Market":
        return Market(self.view, instrument)

    def tick(self, instrument: str) -> int:
        return self.reference.instruments[instrument].tick

    def to_tick(self, instrument: str, price: float) -> int:
        tick = self.tick(instrument)
        low, high = self.view.bands[instrument]
        return min(max(round(price / tick) * tick, low), high)

    # commands -----------------------------------------------------------------------
    def send(self, command) -> list[Event]:
        events = self.sequencer.apply(command)
        self.events.extend(events)
        for event in events:
            self.view.apply(event)
            self.view.retire(event)
            if type(event) is Trade:
                sign = 1 if event.aggressor_side == Side.BUY else -1
                aggressor = event.buy_account if sign > 0 else event.sell_account
                arranged = (
                    event.buy_account in self.arranged and event.sell_account in self.arranged
                )
                if aggressor not in self.market_makers and not arranged:
                    self._impact(event.instrument, event.ts)
                    self.impact[event.instrument] += sign * IMPACT * math.sqrt(event.quantity)
                resting = event.sell_account if sign > 0 else event.buy_account
                reaction = self.on_fill.get(resting)
                if reaction is not None:
                    reaction(event.ts)
        return events

    def client_id(self) -> str:
        self.next_client_id += 1
        return f"c{self.next_client_id}"

    def order(
        self,
        ts: int,
        account: str,
        instrument: str,
        side: int,
        price: int,
        quantity: int,
        time_in_force: int = TimeInForce.DAY,
    ) -> int:
        """Sends a limit order; returns its order id, 0 if refused."""
        events = self.send(
            NewOrder(
                ts,
                account,
                self.client_id(),
                instrument,
                side,
                OrderType.LIMIT,
                time_in_force,
                price,
                quantity,
                self.session_of.get(account, ""),
            )
        )
        accepted = events[0]
        return accepted.order_id if type(accepted) is OrderAccepted else 0

    def cancel(self, ts: int, account: str, instrument: str, order_id: int) -> None:
        if order_id in self.view.orders:
            session = self.session_of.get(account, "")
            self.send(CancelOrder(ts, account, self.client_id(), instrument, "", order_id, session))

    def amend(self, ts: int, account: str, instrument: str, order_id: int, price: int, qty: int):
        session = self.session_of.get(account, "")
        self.send(
            AmendOrder(ts, account, self.client_id(), instrument, "", price, qty, order_id, session)
        )

    def mass_cancel(self, ts: int, account: str) -> None:
        self.send(MassCancel(ts, self.client_id(), MassCancelScope.ACCOUNT, account))

    def live(self, order_id: int) -> bool:
        return order_id in self.view.orders

    def open_account(
        self,
        account: str,
        kind: int,
        control_group: str = "",
        allocation: int = 0,
        holdings: dict[str, int] | None = None,
        ts: int | None = None,
        member: str = "",
    ) -> None:
        """Opens, funds and stocks an account, before the market opens unless `ts` says."""
        ts = self.sessions[0][0] - 60 * MINUTE if ts is None else ts
        member = member or f"M{account[:2]}"
        self.send(OpenAccount(ts, account, member, kind, control_group, allocation, "registry"))
        self.send(MoveCash(ts, account, 10**12, CashMovementKind.DEPOSIT, self.ref(), "bank"))
        for instrument, quantity in (holdings or {}).items():
            if quantity:
                self.move_holding(ts, account, instrument, quantity, HoldingMovementKind.ALLOCATE)

    def move_holding(self, ts: int, account: str, instrument: str, qty: int, kind: int) -> None:
        self.send(MoveHolding(ts, account, instrument, qty, kind, self.ref(), "registry"))

    def ref(self) -> str:
        self.next_reference += 1
        return f"r{self.next_reference}"

    def next_open(self, ts: int) -> int | None:
        """`ts` if the market is open then, else the next session's opening; None after
        the close. Recurring participants resume after the lunch break this way."""
        for start, end in self.sessions:
            if ts < start:
                return start + self.rng.randrange(5 * NS)
            if ts < end:
                return ts
        return None

    def again(self, ts: int, action: Callable[[int], None]) -> None:
        ts = self.next_open(ts)
        if ts is not None:
            self.at(ts, action)


class Market:
    """One instrument as a participant sees it: the book's top and depth, the band and
    the day's volume so far."""

    __slots__ = ("instrument", "view")

    def __init__(self, view: MarketView, instrument: str):
        self.view = view
        self.instrument = instrument

    def best_bid(self) -> int:
        return self.view.book(self.instrument).best_bid()

    def best_ask(self) -> int:
        return self.view.book(self.instrument).best_ask()

    def depth(self, side: int, up_to: int) -> int:
        """Open quantity on `side` at prices an order limited at `up_to` would reach."""
        book = self.view.book(self.instrument)
        if side == Side.SELL:
            return sum(q for price, q in book.asks.items() if price <= up_to)
        return sum(q for price, q in book.bids.items() if price >= up_to)

    @property
    def band(self) -> tuple[int, int]:
        return self.view.bands[self.instrument]

    @property
    def volume(self) -> int:
        return self.view.volume[self.instrument]

    @property
    def turnover(self) -> int:
        return self.view.turnover[self.instrument]

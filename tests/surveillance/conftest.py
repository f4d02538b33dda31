"""A tape of hand-made engine events for detector tests, and the surveillance to run it.

Events are built the way the engine emits them (sequence numbers, order ids, leaves on
fills, cancel causes), so a test reads as the story of a trading day.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from engine.events import (
    AccountOpened,
    DayClosed,
    Event,
    HoldingMoved,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderRejected,
    Trade,
)
from engine.orders import (
    AccountKind,
    CancelCause,
    HoldingMovementKind,
    OrderType,
    Side,
    TimeInForce,
)
from engine.reference import ReferenceData, load_reference_data
from surveillance.alert import Alert
from surveillance.parameters import Parameters
from surveillance.runner import Surveillance

NS = 1_000_000_000
TRADING_DATE = dt.date(2026, 11, 24)
OPEN = int(dt.datetime(2026, 11, 24, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()) * NS


class Placed:
    def __init__(self, event: OrderAccepted):
        self.event = event
        self.order_id = event.order_id
        self.account = event.account
        self.side = event.side
        self.price = event.price
        self.quantity = event.quantity
        self.filled = 0


class Tape:
    def __init__(self, reference: ReferenceData):
        self.reference = reference
        self.events: list[Event] = []
        self.seq = 0
        self.ts = OPEN
        self.order_id = 0
        self.trade_id = 0

    def at(self, seconds: float) -> "Tape":
        """Moves the clock to `seconds` after the 09:30 opening."""
        self.ts = OPEN + round(seconds * NS)
        return self

    def _add(self, kind, *fields) -> Event:
        self.seq += 1
        event = kind(self.seq, self.ts, *fields)
        self.events.append(event)
        return event

    def account(
        self,
        name: str,
        group: str = "",
        kind: int = AccountKind.INVESTOR,
        allocation: int = 0,
        member: str = "",
    ) -> str:
        """Each account its own member unless `member` says (one member per account keeps
        the member grouping out of tests about something else)."""
        self._add(AccountOpened, name, member or f"M-{name}", kind, group, allocation, "test")
        return name

    def holding(self, account: str, quantity: int, instrument: str = "TJEA25") -> None:
        self._add(
            HoldingMoved,
            account,
            instrument,
            quantity,
            HoldingMovementKind.TRANSFER_IN,
            "ref",
            "test",
        )

    def order(
        self,
        account: str,
        side: int,
        price: int,
        quantity: int,
        instrument: str = "TJEA25",
        time_in_force: int = TimeInForce.DAY,
        session: str = "",
    ) -> Placed:
        self.order_id += 1
        event = self._add(
            OrderAccepted,
            self.order_id,
            account,
            f"c{self.order_id}",
            instrument,
            side,
            OrderType.LIMIT,
            time_in_force,
            price,
            quantity,
            session,
        )
        return Placed(event)

    def reject(self, account: str, price: int, instrument: str = "TJEA25") -> None:
        self._add(OrderRejected, account, "r", instrument, Side.BUY, price, 1, 7, "band")

    def trade(
        self,
        incoming: Placed,
        resting: Placed,
        quantity: int | None = None,
        instrument: str = "TJEA25",
    ) -> Trade:
        """`incoming` takes `resting` at the resting order's price."""
        quantity = quantity or min(
            incoming.quantity - incoming.filled, resting.quantity - resting.filled
        )
        incoming.filled += quantity
        resting.filled += quantity
        buy, sell = (incoming, resting) if incoming.side == Side.BUY else (resting, incoming)
        self.trade_id += 1
        return self._add(
            Trade,
            self.trade_id,
            instrument,
            resting.price,
            quantity,
            incoming.side,
            buy.order_id,
            buy.account,
            f"c{buy.order_id}",
            buy.quantity - buy.filled,
            sell.order_id,
            sell.account,
            f"c{sell.order_id}",
            sell.quantity - sell.filled,
        )

    def cancel(
        self,
        order: Placed,
        cause: int = CancelCause.REQUESTED,
        instrument: str = "TJEA25",
        session: str = "",
    ) -> None:
        self._add(
            OrderCancelled,
            order.order_id,
            order.account,
            f"c{order.order_id}",
            instrument,
            order.side,
            order.price,
            order.quantity - order.filled,
            order.filled,
            cause,
            "",
            session,
        )

    def amend(
        self,
        order: Placed,
        price: int,
        instrument: str = "TJEA25",
        quantity: int | None = None,
        session: str = "",
    ) -> None:
        """A cancel/replace; `quantity` is the new total (the filled part included)."""
        order.price = price
        order.quantity = order.quantity if quantity is None else quantity
        self._add(
            OrderAmended,
            order.order_id,
            order.account,
            f"c{order.order_id}",
            f"c{order.order_id}",
            instrument,
            order.side,
            price,
            order.quantity,
            order.quantity - order.filled,
            False,
            session,
        )

    def close_day(self) -> None:
        """The engine's end of day: one DayClosed per listed instrument, after 15:00."""
        self.at(6 * 3600)
        for symbol, instrument in self.reference.instruments.items():
            price = instrument.reference_price
            self._add(
                DayClosed,
                TRADING_DATE.isoformat(),
                symbol,
                0,
                0,
                0,
                price,
                True,
                0,
                0,
                0,
                price,
                price * 9 // 10,
                price * 11 // 10,
            )

    def run(self, parameters: Parameters | None = None) -> list[Alert]:
        return Surveillance(self.reference, parameters).run(self.events)

    def alerts(self, pattern: str, parameters: Parameters | None = None) -> list[Alert]:
        return [alert for alert in self.run(parameters) if alert.pattern == pattern]


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return load_reference_data()


@pytest.fixture
def tape(reference: ReferenceData) -> Tape:
    return Tape(reference)

"""Pre-trade holds kept in memory: cash and tonnes per account, a reservation per order.

The minimal implementation of engine/holds.py for the engine's own tests and benchmark:
no fees, no position limits, no T+1 (bought tonnes are tradable at once). Settlement
ships the full one. Amounts are totals; what is reserved for live orders or encumbered
(pledged, frozen) is subtracted to get what is available.
"""

import msgspec

from engine.orders import CashMovementKind, HoldingMovementKind, Side
from engine.reasons import Reason

_BUY = Side.BUY.value
_ADD = (HoldingMovementKind.ALLOCATE, HoldingMovementKind.TRANSFER_IN)
_REMOVE = (
    HoldingMovementKind.TRANSFER_OUT,
    HoldingMovementKind.CANCEL,
    HoldingMovementKind.SURRENDER,
)
_ENCUMBER = (HoldingMovementKind.PLEDGE, HoldingMovementKind.FREEZE)
_UNENCUMBER = (HoldingMovementKind.RELEASE, HoldingMovementKind.UNFREEZE)


class Reservation:
    """What one live order holds: `leaves` tonnes, at `price` fen each for a buy."""

    __slots__ = ("account", "instrument", "leaves", "price", "side")

    def __init__(self, account: str, instrument: str, side: int, leaves: int, price: int):
        self.account = account
        self.instrument = instrument
        self.side = side
        self.leaves = leaves
        self.price = price


class Position:
    """One account's tonnes of one instrument."""

    __slots__ = ("encumbered", "reserved", "tonnes")

    def __init__(self, tonnes: int = 0, reserved: int = 0, encumbered: int = 0):
        self.tonnes = tonnes
        self.reserved = reserved  # for live sell orders
        self.encumbered = encumbered  # pledged or frozen

    def free(self) -> int:
        return self.tonnes - self.reserved - self.encumbered


class _State(msgspec.Struct, array_like=True):
    cash: list[tuple[str, int, int]]  # account, total, reserved
    positions: list[tuple[str, str, int, int, int]]  # account, instrument, tonnes, reserved, enc.
    reservations: list[tuple[int, str, str, int, int, int]]  # order id, then Reservation fields


class MemoryHolds:
    def __init__(self) -> None:
        self.cash: dict[str, int] = {}
        self.cash_reserved: dict[str, int] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        self.reservations: dict[int, Reservation] = {}

    def available_cash(self, account: str) -> int:
        return self.cash[account] - self.cash_reserved[account]

    def position(self, account: str, instrument: str) -> Position:
        key = (account, instrument)
        position = self.positions.get(key)
        if position is None:
            position = self.positions[key] = Position()
        return position

    def open_account(self, account: str, kind: int, allocation: int) -> int:
        if account in self.cash:
            return Reason.ACCOUNT_EXISTS
        self.cash[account] = 0
        self.cash_reserved[account] = 0
        return Reason.OK

    def reserve(
        self, order_id: int, account: str, instrument: str, side: int, quantity: int, price: int
    ) -> int:
        if account not in self.cash:
            return Reason.UNKNOWN_ACCOUNT
        if side == _BUY:
            cost = quantity * price
            if self.cash[account] - self.cash_reserved[account] < cost:
                return Reason.INSUFFICIENT_CASH
            self.cash_reserved[account] += cost
        else:
            position = self.position(account, instrument)
            if position.free() < quantity:
                return Reason.INSUFFICIENT_HOLDINGS
            position.reserved += quantity
        self.reservations[order_id] = Reservation(account, instrument, side, quantity, price)
        return Reason.OK

    def amend(self, order_id: int, leaves: int, price: int) -> int:
        held = self.reservations[order_id]
        if held.side == _BUY:
            increase = leaves * price - held.leaves * held.price
            if increase > self.available_cash(held.account):
                return Reason.INSUFFICIENT_CASH
            self.cash_reserved[held.account] += increase
        else:
            position = self.position(held.account, held.instrument)
            increase = leaves - held.leaves
            if increase > position.free():
                return Reason.INSUFFICIENT_HOLDINGS
            position.reserved += increase
        held.leaves = leaves
        held.price = price
        return Reason.OK

    def fill(self, buy_order_id: int, sell_order_id: int, quantity: int, price: int) -> None:
        value = quantity * price
        buy = self.reservations[buy_order_id]
        buy.leaves -= quantity
        self.cash_reserved[buy.account] -= quantity * buy.price
        self.cash[buy.account] -= value
        self.position(buy.account, buy.instrument).tonnes += quantity
        sell = self.reservations[sell_order_id]
        sell.leaves -= quantity
        position = self.position(sell.account, sell.instrument)
        position.reserved -= quantity
        position.tonnes -= quantity
        self.cash[sell.account] += value

    def release(self, order_id: int) -> None:
        held = self.reservations.pop(order_id)
        if held.side == _BUY:
            self.cash_reserved[held.account] -= held.leaves * held.price
        else:
            self.position(held.account, held.instrument).reserved -= held.leaves

    def move_cash(self, account: str, amount: int, kind: int) -> int:
        if account not in self.cash:
            return Reason.UNKNOWN_ACCOUNT
        if amount <= 0:
            return Reason.BAD_AMOUNT
        if kind == CashMovementKind.DEPOSIT:
            self.cash[account] += amount
        elif kind == CashMovementKind.WITHDRAW:
            if amount > self.available_cash(account):
                return Reason.INSUFFICIENT_CASH
            self.cash[account] -= amount
        else:
            return Reason.BAD_AMOUNT
        return Reason.OK

    def move_holding(self, account: str, instrument: str, quantity: int, kind: int) -> int:
        if account not in self.cash:
            return Reason.UNKNOWN_ACCOUNT
        if quantity <= 0 or kind not in HoldingMovementKind.__members__.values():
            return Reason.BAD_AMOUNT
        position = self.position(account, instrument)
        if kind in _ADD:
            position.tonnes += quantity
        elif kind in _UNENCUMBER:
            if quantity > position.encumbered:
                return Reason.INSUFFICIENT_HOLDINGS
            position.encumbered -= quantity
        elif quantity > position.free():
            if quantity <= position.tonnes - position.reserved:
                return Reason.HOLDINGS_ENCUMBERED
            return Reason.INSUFFICIENT_HOLDINGS
        elif kind in _REMOVE:
            position.tonnes -= quantity
        else:
            position.encumbered += quantity
        return Reason.OK

    def roll_day(self) -> None:
        """Nothing rolls: this implementation has no T+1 and no withdrawal delay."""

    def snapshot(self) -> bytes:
        return msgspec.msgpack.encode(
            _State(
                cash=[(a, self.cash[a], self.cash_reserved[a]) for a in sorted(self.cash)],
                positions=[
                    (account, instrument, p.tonnes, p.reserved, p.encumbered)
                    for (account, instrument), p in sorted(self.positions.items())
                    if p.tonnes or p.reserved or p.encumbered
                ],
                reservations=[
                    (order_id, r.account, r.instrument, r.side, r.leaves, r.price)
                    for order_id, r in sorted(self.reservations.items())
                ],
            )
        )

    def restore(self, data: bytes) -> None:
        state = msgspec.msgpack.decode(data, type=_State)
        self.cash = {account: total for account, total, _ in state.cash}
        self.cash_reserved = {account: reserved for account, _, reserved in state.cash}
        self.positions = {
            (account, instrument): Position(tonnes, reserved, encumbered)
            for account, instrument, tonnes, reserved, encumbered in state.positions
        }
        self.reservations = {
            order_id: Reservation(account, instrument, side, leaves, price)
            for order_id, account, instrument, side, leaves, price in state.reservations
        }

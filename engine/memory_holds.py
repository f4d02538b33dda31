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
_OK = Reason.OK.value  # a plain int: reading an enum member costs ~50 ns
_ADD = (HoldingMovementKind.ALLOCATE, HoldingMovementKind.TRANSFER_IN)
_REMOVE = (
    HoldingMovementKind.TRANSFER_OUT,
    HoldingMovementKind.CANCEL,
    HoldingMovementKind.SURRENDER,
)
_ENCUMBER = (HoldingMovementKind.PLEDGE, HoldingMovementKind.FREEZE)
_UNENCUMBER = (HoldingMovementKind.RELEASE, HoldingMovementKind.UNFREEZE)


class Position:
    """One account's tonnes of one instrument."""

    __slots__ = ("encumbered", "reserved", "surrender_only", "tonnes")

    def __init__(
        self, tonnes: int = 0, reserved: int = 0, encumbered: int = 0, surrender_only: int = 0
    ):
        self.tonnes = tonnes  # surrender-only tonnes are not among them
        self.reserved = reserved  # for live sell orders
        self.encumbered = encumbered  # pledged or frozen
        self.surrender_only = surrender_only  # auctioned tonnes that can only be surrendered

    def free(self) -> int:
        return self.tonnes - self.reserved - self.encumbered


class Account:
    """One account's cash (fen) and its positions by instrument."""

    __slots__ = ("cash", "name", "positions", "reserved")

    def __init__(self, name: str, cash: int = 0, reserved: int = 0):
        self.name = name
        self.cash = cash
        self.reserved = reserved  # for live buy orders
        self.positions: dict[str, Position] = {}

    def available(self) -> int:
        return self.cash - self.reserved

    def position(self, instrument: str) -> Position:
        position = self.positions.get(instrument)
        if position is None:
            position = self.positions[instrument] = Position()
        return position


class Reservation(msgspec.Struct, gc=False):
    """What one live order holds: `leaves` tonnes, at `price` fen each for a buy. It
    points at the account and its position so a fill needs no lookups. (A msgspec
    Struct because one is made per order: it is created faster than a slots class,
    and without reference cycles it need not be tracked by the garbage collector.)"""

    account: Account
    position: Position
    instrument: str
    side: int
    leaves: int
    price: int


class _State(msgspec.Struct, array_like=True):
    accounts: list[tuple[str, int, int]]  # account, cash, reserved
    # account, instrument, tonnes, reserved, encumbered, surrender-only
    positions: list[tuple[str, str, int, int, int, int]]
    reservations: list[tuple[int, str, str, int, int, int]]  # order id, account .. price


class MemoryHolds:
    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.reservations: dict[int, Reservation] = {}

    def open_account(self, account: str, kind: int, allocation: int) -> int:
        if account in self.accounts:
            return Reason.ACCOUNT_EXISTS
        self.accounts[account] = Account(account)
        return _OK

    def reserve(
        self, order_id: int, account: str, instrument: str, side: int, quantity: int, price: int
    ) -> int:
        holder = self.accounts.get(account)
        if holder is None:
            return Reason.UNKNOWN_ACCOUNT
        position = holder.positions.get(instrument) or holder.position(instrument)
        if side == _BUY:
            cost = quantity * price
            if holder.cash - holder.reserved < cost:
                return Reason.INSUFFICIENT_CASH
            holder.reserved += cost
        else:
            if position.tonnes - position.reserved - position.encumbered < quantity:
                return Reason.INSUFFICIENT_HOLDINGS
            position.reserved += quantity
        self.reservations[order_id] = Reservation(
            holder, position, instrument, side, quantity, price
        )
        return _OK

    def amend(self, order_id: int, leaves: int, price: int) -> int:
        held = self.reservations[order_id]
        if held.side == _BUY:
            increase = leaves * price - held.leaves * held.price
            if increase > held.account.available():
                return Reason.INSUFFICIENT_CASH
            held.account.reserved += increase
        else:
            increase = leaves - held.leaves
            if increase > held.position.free():
                return Reason.INSUFFICIENT_HOLDINGS
            held.position.reserved += increase
        held.leaves = leaves
        held.price = price
        return _OK

    def fill(self, buy_order_id: int, sell_order_id: int, quantity: int, price: int) -> None:
        value = quantity * price
        buy = self.reservations[buy_order_id]
        buy.leaves -= quantity
        buy.account.reserved -= quantity * buy.price
        buy.account.cash -= value
        buy.position.tonnes += quantity
        sell = self.reservations[sell_order_id]
        sell.leaves -= quantity
        sell.position.reserved -= quantity
        sell.position.tonnes -= quantity
        sell.account.cash += value

    def allot(
        self, bid_id: int, supply_id: int, quantity: int, price: int, surrender_only: bool
    ) -> None:
        bid = self.reservations[bid_id]
        bid.leaves -= quantity
        bid.account.reserved -= quantity * bid.price
        bid.account.cash -= quantity * price
        if surrender_only:
            bid.position.surrender_only += quantity
        else:
            bid.position.tonnes += quantity
        supply = self.reservations[supply_id]
        supply.leaves -= quantity
        supply.position.reserved -= quantity
        supply.position.tonnes -= quantity
        supply.account.cash += quantity * price

    def release(self, order_id: int) -> None:
        held = self.reservations.pop(order_id)
        if held.side == _BUY:
            held.account.reserved -= held.leaves * held.price
        else:
            held.position.reserved -= held.leaves

    def move_cash(self, account: str, amount: int, kind: int) -> int:
        holder = self.accounts.get(account)
        if holder is None:
            return Reason.UNKNOWN_ACCOUNT
        if amount <= 0:
            return Reason.BAD_AMOUNT
        if kind == CashMovementKind.DEPOSIT:
            holder.cash += amount
        elif kind == CashMovementKind.WITHDRAW:
            if amount > holder.available():
                return Reason.INSUFFICIENT_CASH
            holder.cash -= amount
        else:
            return Reason.BAD_AMOUNT
        return _OK

    def move_holding(self, account: str, instrument: str, quantity: int, kind: int) -> int:
        holder = self.accounts.get(account)
        if holder is None:
            return Reason.UNKNOWN_ACCOUNT
        if quantity <= 0 or kind not in HoldingMovementKind.__members__.values():
            return Reason.BAD_AMOUNT
        position = holder.position(instrument)
        if kind == HoldingMovementKind.SURRENDER and position.surrender_only:
            from_locked = min(quantity, position.surrender_only)
            if quantity - from_locked > position.free():
                return Reason.INSUFFICIENT_HOLDINGS
            position.surrender_only -= from_locked
            position.tonnes -= quantity - from_locked
            return _OK
        if kind in _ADD:
            position.tonnes += quantity
        elif kind in _UNENCUMBER:
            if quantity > position.encumbered:
                return Reason.INSUFFICIENT_HOLDINGS
            position.encumbered -= quantity
        elif quantity > position.free():
            if quantity <= position.tonnes - position.reserved:
                return Reason.HOLDINGS_ENCUMBERED
            if quantity <= position.free() + position.surrender_only:
                return Reason.SURRENDER_ONLY
            return Reason.INSUFFICIENT_HOLDINGS
        elif kind in _REMOVE:
            position.tonnes -= quantity
        else:
            position.encumbered += quantity
        return _OK

    def roll_day(self) -> None:
        """Nothing rolls: this implementation has no T+1 and no withdrawal delay."""

    def snapshot(self) -> bytes:
        accounts = sorted(self.accounts.items())
        return msgspec.msgpack.encode(
            _State(
                accounts=[(name, a.cash, a.reserved) for name, a in accounts],
                positions=[
                    (name, instrument, p.tonnes, p.reserved, p.encumbered, p.surrender_only)
                    for name, a in accounts
                    for instrument, p in sorted(a.positions.items())
                    if p.tonnes or p.reserved or p.encumbered or p.surrender_only
                ],
                reservations=[
                    (order_id, r.account.name, r.instrument, r.side, r.leaves, r.price)
                    for order_id, r in sorted(self.reservations.items())
                ],
            )
        )

    def restore(self, data: bytes) -> None:
        state = msgspec.msgpack.decode(data, type=_State)
        self.accounts = {
            name: Account(name, cash, reserved) for name, cash, reserved in state.accounts
        }
        for name, instrument, *amounts in state.positions:
            self.accounts[name].positions[instrument] = Position(*amounts)
        self.reservations = {}
        for order_id, name, instrument, side, leaves, price in state.reservations:
            holder = self.accounts[name]
            self.reservations[order_id] = Reservation(
                holder, holder.position(instrument), instrument, side, leaves, price
            )

"""Pre-trade holds: settlement's implementation of the engine's `Holds` protocol.

The sequencer calls this on every order, fill and cancel, so it is hot-path code: plain
ints, objects with __slots__, one dict lookup per account, order and holding, and no
object created per call except the one reservation each new order needs.

A buy reserves buy_cost(leaves, limit) (fees.py); after each fill the reservation is
recomputed for the remaining leaves at the limit, and what that frees beyond the fill's
actual cost (price improvement, fee rounding) returns to available cash. A sell reserves
tonnes from `available`. Sale proceeds are usable at once and withdrawable after roll_day.
"""

import msgspec

from engine.orders import CashMovementKind, HoldingMovementKind, Side
from engine.reasons import Reason
from engine.reference import ReferenceData
from settlement.accounts import (
    INSTRUMENT_CLASSES,
    SYSTEM_PREFIX,
    Account,
    Holding,
    position_limit,
)
from settlement.fees import BPS_PER_UNIT

OK = Reason.OK.value
BUY = Side.BUY.value


# The snapshot rows hold only numbers, strings and lists of rows, so no cycles: untracked by
# the garbage collector (gc=False), as a snapshot makes one per open order.
class HoldingState(msgspec.Struct, array_like=True, gc=False):
    instrument: str
    available: int
    held: int
    bought_today: int
    pledged: int
    frozen: int
    surrender_only: int = 0


class AccountState(msgspec.Struct, array_like=True, gc=False):
    account: str
    kind: int
    allocation: int
    cash: int
    cash_held: int
    proceeds_today: int
    holdings: list[HoldingState]


class ReservationState(msgspec.Struct, array_like=True, gc=False):
    order_id: int
    account: str
    instrument: str
    side: int
    leaves: int
    price: int
    cash: int


class HoldsState(msgspec.Struct, array_like=True):
    """The canonical snapshot: everything sorted, so equal states give equal bytes."""

    fees_collected: int
    accounts: list[AccountState]
    reservations: list[ReservationState]


class Reservation(msgspec.Struct, gc=False):
    """What one open order has reserved: `cash` fen for a buy, `leaves` tonnes for a sell.
    It points at its account and holding, so a fill needs no lookups. A msgspec Struct
    without GC tracking, as one is made per order: faster to create than a slots class,
    and never scanned by the garbage collector."""

    account_id: str
    account: Account
    instrument: str
    kind: int  # the instrument's position-limit class (index into INSTRUMENT_CLASSES)
    holding: Holding
    side: int
    leaves: int
    price: int
    cash: int


class SettlementHolds:
    """Cash and tonnes per account, reserved per open order; see engine/holds.py."""

    __slots__ = (
        "_accounts",
        "_bps",
        "_classes",
        "_orders",
        "_rules",
        "_t_plus_one",
        "fees_collected",
    )

    def __init__(self, reference: ReferenceData):
        self._rules = reference.rules
        self._bps = reference.rules.commission_bps
        self._classes = {
            symbol: INSTRUMENT_CLASSES.index(instrument.kind)
            for symbol, instrument in reference.instruments.items()
        }
        self._t_plus_one = {s: i.t_plus_one for s, i in reference.instruments.items()}
        self._accounts: dict[str, Account] = {}
        self._orders: dict[int, Reservation] = {}
        self.fees_collected = 0  # fen the exchange has earned (both sides of every fill)

    # -- orders (hot path) -------------------------------------------------------------

    def reserve(
        self, order_id: int, account: str, instrument: str, side: int, quantity: int, price: int
    ) -> int:
        owner = self._accounts.get(account)
        if owner is None:
            return Reason.UNKNOWN_ACCOUNT
        kind = self._classes.get(instrument)
        if kind is None:
            return Reason.UNKNOWN_INSTRUMENT
        if quantity <= 0:
            return Reason.BAD_QUANTITY
        if price <= 0:
            return Reason.BAD_PRICE
        holding = owner.holdings.get(instrument)
        if side == BUY:
            pending = owner.pending_buys[kind]
            if owner.position[kind] + pending + quantity > owner.limit:
                return Reason.POSITION_LIMIT
            turnover = quantity * price
            cash = turnover + turnover * self._bps // BPS_PER_UNIT
            if cash > owner.cash - owner.cash_held:
                return Reason.INSUFFICIENT_CASH
            owner.cash_held += cash
            owner.pending_buys[kind] = pending + quantity
            if holding is None:
                holding = owner.holdings[instrument] = Holding()
        else:
            if holding is None or quantity > holding.available:
                if holding is not None and holding.surrender_only:
                    return Reason.SURRENDER_ONLY
                return Reason.INSUFFICIENT_HOLDINGS
            holding.available -= quantity
            holding.held += quantity
            cash = 0
        self._orders[order_id] = Reservation(
            account, owner, instrument, kind, holding, side, quantity, price, cash
        )
        return OK

    def amend(self, order_id: int, leaves: int, price: int) -> int:
        order = self._orders.get(order_id)
        if order is None:
            return Reason.UNKNOWN_ORDER
        if leaves <= 0:
            return Reason.BAD_QUANTITY
        if price <= 0:
            return Reason.BAD_PRICE
        owner = order.account
        more = leaves - order.leaves
        if order.side == BUY:
            if more > 0:
                kind = order.kind
                if owner.position[kind] + owner.pending_buys[kind] + more > owner.limit:
                    return Reason.POSITION_LIMIT
            turnover = leaves * price
            cash = turnover + turnover * self._bps // BPS_PER_UNIT
            if cash - order.cash > owner.cash - owner.cash_held:
                return Reason.INSUFFICIENT_CASH
            owner.cash_held += cash - order.cash
            owner.pending_buys[order.kind] += more
            order.cash = cash
        else:
            holding = order.holding
            if more > holding.available:
                return Reason.INSUFFICIENT_HOLDINGS
            holding.available -= more
            holding.held += more
        order.leaves = leaves
        order.price = price
        return OK

    def fill(self, buy_order_id: int, sell_order_id: int, quantity: int, price: int) -> None:
        buy = self._orders[buy_order_id]
        sell = self._orders[sell_order_id]
        bps = self._bps
        turnover = quantity * price
        fee = turnover * bps // BPS_PER_UNIT
        kind = buy.kind

        leaves = buy.leaves - quantity
        remaining = leaves * buy.price
        cash = remaining + remaining * bps // BPS_PER_UNIT
        buyer = buy.account
        buyer.cash_held -= buy.cash - cash
        buyer.cash -= turnover + fee
        buyer.pending_buys[kind] -= quantity
        buyer.position[kind] += quantity
        buy.cash = cash
        buy.leaves = leaves
        if self._t_plus_one[buy.instrument]:
            buy.holding.bought_today += quantity
        else:
            buy.holding.available += quantity

        seller = sell.account
        sell.leaves -= quantity
        sell.holding.held -= quantity
        seller.position[kind] -= quantity
        proceeds = turnover - fee
        seller.cash += proceeds
        seller.proceeds_today += proceeds
        self.fees_collected += fee + fee

    def allot(
        self, bid_id: int, supply_id: int, quantity: int, price: int, surrender_only: bool
    ) -> None:
        """An auction allotment: as a fill, but without commission, and delivered at once
        (T+1 is a rule of book purchases); the auction account's revenue is withdrawable."""
        bid = self._orders[bid_id]
        supply = self._orders[supply_id]
        turnover = quantity * price
        kind = bid.kind
        leaves = bid.leaves - quantity
        remaining = leaves * bid.price
        cash = remaining + remaining * self._bps // BPS_PER_UNIT
        buyer = bid.account
        buyer.cash_held -= bid.cash - cash
        buyer.cash -= turnover
        buyer.pending_buys[kind] -= quantity
        buyer.position[kind] += quantity
        bid.cash = cash
        bid.leaves = leaves
        if surrender_only:
            bid.holding.surrender_only += quantity
        else:
            bid.holding.available += quantity
        seller = supply.account
        supply.leaves -= quantity
        supply.holding.held -= quantity
        seller.position[kind] -= quantity
        seller.cash += turnover

    def release(self, order_id: int) -> None:
        order = self._orders.pop(order_id, None)
        if order is None:
            return
        if order.side == BUY:
            owner = order.account
            owner.cash_held -= order.cash
            owner.pending_buys[order.kind] -= order.leaves
        else:
            holding = order.holding
            holding.held -= order.leaves
            holding.available += order.leaves

    # -- administration (through the sequencer, so the journal replays it) ---------------

    def open_account(self, account: str, kind: int, allocation: int) -> int:
        if account in self._accounts:
            return Reason.ACCOUNT_EXISTS
        if not account or account.startswith(SYSTEM_PREFIX):
            return Reason.UNKNOWN_ACCOUNT  # not an id an account may have
        if allocation < 0:
            return Reason.BAD_AMOUNT
        self._accounts[account] = Account(
            kind, allocation, position_limit(kind, allocation, self._rules)
        )
        return OK

    def move_cash(self, account: str, amount: int, kind: int) -> int:
        owner = self._accounts.get(account)
        if owner is None:
            return Reason.UNKNOWN_ACCOUNT
        if amount <= 0:
            return Reason.BAD_AMOUNT
        if kind == CashMovementKind.DEPOSIT:
            owner.cash += amount
        elif kind == CashMovementKind.WITHDRAW:
            if amount > owner.withdrawable:
                return Reason.NOT_WITHDRAWABLE
            owner.cash -= amount
        else:
            return Reason.UNSUPPORTED_ORDER
        return OK

    def move_holding(self, account: str, instrument: str, quantity: int, kind: int) -> int:
        owner = self._accounts.get(account)
        if owner is None:
            return Reason.UNKNOWN_ACCOUNT
        instrument_class = self._classes.get(instrument)
        if instrument_class is None:
            return Reason.UNKNOWN_INSTRUMENT
        if quantity <= 0:
            return Reason.BAD_AMOUNT
        holding = owner.holdings.get(instrument) or Holding()
        reason = _move(holding, quantity, kind)
        if reason != OK:
            return reason
        owner.holdings[instrument] = holding
        if kind in _INTO_REGISTRY:
            owner.position[instrument_class] += quantity
        elif kind in _OUT_OF_REGISTRY or kind in _OUT_OF_ENCUMBERED:
            owner.position[instrument_class] -= quantity
        return OK

    def roll_day(self) -> None:
        for owner in self._accounts.values():
            owner.proceeds_today = 0
            for holding in owner.holdings.values():
                holding.available += holding.bought_today
                holding.bought_today = 0

    # -- inspection and state ----------------------------------------------------------

    def account(self, account: str) -> Account | None:
        return self._accounts.get(account)

    def state(self) -> HoldsState:
        """Canonical: sorted, and empty holdings left out, so equal states are equal."""
        return HoldsState(
            fees_collected=self.fees_collected,
            accounts=[
                AccountState(
                    name,
                    owner.kind,
                    owner.allocation,
                    owner.cash,
                    owner.cash_held,
                    owner.proceeds_today,
                    [
                        HoldingState(symbol, *holding.as_list())
                        for symbol, holding in sorted(owner.holdings.items())
                        if holding.total
                    ],
                )
                for name, owner in sorted(self._accounts.items())
            ],
            reservations=[
                ReservationState(
                    order_id,
                    order.account_id,
                    order.instrument,
                    order.side,
                    order.leaves,
                    order.price,
                    order.cash,
                )
                for order_id, order in sorted(self._orders.items())
            ],
        )

    def load(self, state: HoldsState) -> None:
        """Replaces all state; position and pending buys are derived, not stored."""
        self.fees_collected = state.fees_collected
        self._accounts = {}
        self._orders = {}
        for row in state.accounts:
            owner = Account(
                row.kind, row.allocation, position_limit(row.kind, row.allocation, self._rules)
            )
            owner.cash = row.cash
            owner.cash_held = row.cash_held
            owner.proceeds_today = row.proceeds_today
            for h in row.holdings:
                holding = Holding(
                    h.available, h.held, h.bought_today, h.pledged, h.frozen, h.surrender_only
                )
                owner.holdings[h.instrument] = holding
                kind = self._classes[h.instrument]
                owner.position[kind] += holding.total
            self._accounts[row.account] = owner
        for r in state.reservations:
            owner = self._accounts[r.account]
            kind = self._classes[r.instrument]
            if r.instrument not in owner.holdings:
                owner.holdings[r.instrument] = Holding()
            self._orders[r.order_id] = Reservation(
                r.account,
                owner,
                r.instrument,
                kind,
                owner.holdings[r.instrument],
                r.side,
                r.leaves,
                r.price,
                r.cash,
            )
            if r.side == BUY:
                owner.pending_buys[kind] += r.leaves

    def snapshot(self) -> bytes:
        return _encode(self.state())

    def restore(self, data: bytes) -> None:
        self.load(_decode(data))


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(HoldsState).decode

_INTO_REGISTRY = frozenset(
    {
        HoldingMovementKind.ALLOCATE,
        HoldingMovementKind.TRANSFER_IN,
        HoldingMovementKind.REVERSE_SURRENDER,
        HoldingMovementKind.ENFORCE_RECEIVE,
    }
)
_OUT_OF_REGISTRY = frozenset(
    {
        HoldingMovementKind.TRANSFER_OUT,
        HoldingMovementKind.CANCEL,
        HoldingMovementKind.SURRENDER,
        HoldingMovementKind.RETURN,
    }
)
# Out of the registry from an encumbered state: the tonnes are already untradable.
_OUT_OF_ENCUMBERED = {
    HoldingMovementKind.CANCEL_FROZEN: "frozen",
    HoldingMovementKind.ENFORCE: "pledged",
}
_TO_FROZEN = frozenset({HoldingMovementKind.FREEZE, HoldingMovementKind.FREEZE_FREE_ALLOCATION})


def _move(holding: Holding, quantity: int, kind: int) -> int:
    """Applies one registry operation to a holding, or returns why it cannot."""
    if kind in _INTO_REGISTRY:
        holding.available += quantity
    elif kind == HoldingMovementKind.SURRENDER and holding.surrender_only:
        # surrender-only tonnes are surrendered first: it is all they can be used for
        from_locked = min(quantity, holding.surrender_only)
        holding.surrender_only -= from_locked
        reason = _move(holding, quantity - from_locked, kind) if quantity > from_locked else OK
        if reason != OK:
            holding.surrender_only += from_locked
        return reason
    elif kind in _OUT_OF_REGISTRY:
        # Leaving the registry may use tonnes bought today: T+1 restricts trading only.
        usable = holding.available + holding.bought_today
        if quantity > usable:
            return _shortfall(holding, quantity, usable)
        from_available = min(quantity, holding.available)
        holding.available -= from_available
        holding.bought_today -= quantity - from_available
    elif kind == HoldingMovementKind.PLEDGE or kind in _TO_FROZEN:
        if quantity > holding.available:
            return _shortfall(holding, quantity, holding.available)
        holding.available -= quantity
        if kind == HoldingMovementKind.PLEDGE:
            holding.pledged += quantity
        else:
            holding.frozen += quantity
    elif kind in _OUT_OF_ENCUMBERED:
        if _OUT_OF_ENCUMBERED[kind] == "frozen":
            if quantity > holding.frozen:
                return Reason.INSUFFICIENT_HOLDINGS
            holding.frozen -= quantity
        else:
            if quantity > holding.pledged:
                return Reason.INSUFFICIENT_HOLDINGS
            holding.pledged -= quantity
    elif kind == HoldingMovementKind.RELEASE:
        if quantity > holding.pledged:
            return Reason.INSUFFICIENT_HOLDINGS
        holding.pledged -= quantity
        holding.available += quantity
    elif kind == HoldingMovementKind.UNFREEZE:
        if quantity > holding.frozen:
            return Reason.INSUFFICIENT_HOLDINGS
        holding.frozen -= quantity
        holding.available += quantity
    else:
        return Reason.UNSUPPORTED_ORDER
    return OK


def _shortfall(holding: Holding, quantity: int, usable: int) -> int:
    """Names what is missing: tonnes reserved by open sell orders, or pledged or frozen."""
    if usable + holding.held >= quantity:
        return Reason.HOLDINGS_RESERVED
    if usable + holding.held + holding.pledged + holding.frozen >= quantity:
        return Reason.HOLDINGS_ENCUMBERED
    if usable + holding.surrender_only >= quantity:
        return Reason.SURRENDER_ONLY
    return Reason.INSUFFICIENT_HOLDINGS

"""The holds interface: the sequencer's pre-trade risk stage.

Before an order reaches the book the sequencer asks `Holds` to reserve what the order
could cost: cash (quantity x limit price + fees) for a buy, tradable tonnes for a sell.
The reservation follows the order: it shrinks on every fill (a buy filled below its limit
gets the difference back), and what is left is released when the order leaves the book.

Settlement implements this against its accounts (settlement/holds.py); `engine/memory_holds.py`
is a minimal one for the engine's own tests and benchmark. Implementations are called only
from the sequencer thread, must be deterministic (no clock, no I/O), and must snapshot and
restore exactly, since the journal replays through them.

Every method that can refuse returns a `Reason` as an int: 0 (Reason.OK) means done,
anything else means refused and nothing changed.
"""

from typing import Protocol


class Holds(Protocol):
    def open_account(self, account: str, kind: int, allocation: int) -> int:
        """Registers an account (orders.AccountKind; allocation in tonnes, for limits)."""
        ...

    def reserve(
        self, order_id: int, account: str, instrument: str, side: int, quantity: int, price: int
    ) -> int:
        """Reserves for a new order; `price` is the limit (a market buy's is the upper band)."""
        ...

    def amend(self, order_id: int, leaves: int, price: int) -> int:
        """Resizes an order's reservation to `leaves` tonnes at `price`; refuses if the
        increase is not covered, keeping the old reservation."""
        ...

    def fill(self, buy_order_id: int, sell_order_id: int, quantity: int, price: int) -> None:
        """Converts both orders' reservations for one trade: tonnes seller -> buyer,
        cash buyer -> seller at `price`, less fees on both sides."""
        ...

    def allot(
        self, bid_id: int, supply_id: int, quantity: int, price: int, surrender_only: bool
    ) -> None:
        """Delivers one auction allotment DvP: `quantity` tonnes from the auction's supply
        reservation to the bid's account, paid at the clearing `price` (no commission),
        the bid's reservation shrinking as a fill's does. Surrender-only tonnes go into a
        state from which they can only be surrendered."""
        ...

    def release(self, order_id: int) -> None:
        """The order left the book (cancelled, expired, IOC/FOK remainder, fully filled):
        returns whatever is still reserved for it."""
        ...

    def move_cash(self, account: str, amount: int, kind: int) -> int:
        """Deposit or withdrawal (orders.CashMovementKind) of `amount` fen."""
        ...

    def move_holding(self, account: str, instrument: str, quantity: int, kind: int) -> int:
        """A registry operation on tonnes (orders.HoldingMovementKind)."""
        ...

    def roll_day(self) -> None:
        """A trading day ended: tonnes bought today become tradable (T+1) and today's sale
        proceeds become withdrawable."""
        ...

    def snapshot(self) -> bytes:
        """All state, canonically encoded: equal states give equal bytes (the state hash
        is taken over it)."""
        ...

    def restore(self, data: bytes) -> None:
        """Replaces all state with a snapshot's."""
        ...

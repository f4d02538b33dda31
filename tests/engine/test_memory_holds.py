"""The in-memory holds: reservations follow an order from entry to its last fill."""

import pytest

from engine.memory_holds import MemoryHolds
from engine.orders import CashMovementKind, HoldingMovementKind, Side
from engine.reasons import Reason

BUY, SELL = Side.BUY.value, Side.SELL.value


@pytest.fixture
def holds() -> MemoryHolds:
    holds = MemoryHolds()
    for account in ("buyer", "seller"):
        assert holds.open_account(account, 2, 0) == Reason.OK
        assert holds.move_cash(account, 100_000, CashMovementKind.DEPOSIT) == Reason.OK
        assert holds.move_holding(account, "X", 50, HoldingMovementKind.ALLOCATE) == Reason.OK
    return holds


def test_a_buy_filled_below_its_limit_gets_the_difference_back(holds: MemoryHolds) -> None:
    assert holds.reserve(1, "buyer", "X", BUY, 10, 5000) == Reason.OK
    assert holds.reserve(2, "seller", "X", SELL, 4, 4000) == Reason.OK
    assert holds.accounts["buyer"].available() == 100_000 - 50_000
    holds.fill(1, 2, 4, 4900)
    buyer, seller = holds.accounts["buyer"], holds.accounts["seller"]
    assert (buyer.cash, buyer.reserved) == (100_000 - 4 * 4900, 6 * 5000)
    assert buyer.positions["X"].tonnes == 54
    assert (seller.cash, seller.positions["X"].tonnes, seller.positions["X"].reserved) == (
        100_000 + 4 * 4900,
        46,
        0,
    )
    holds.release(1)
    holds.release(2)
    assert buyer.reserved == 0 and not holds.reservations


def test_refusals_change_nothing(holds: MemoryHolds) -> None:
    before = holds.snapshot()
    assert holds.reserve(1, "buyer", "X", BUY, 21, 5000) == Reason.INSUFFICIENT_CASH
    assert holds.reserve(1, "seller", "X", SELL, 51, 5000) == Reason.INSUFFICIENT_HOLDINGS
    assert holds.reserve(1, "nobody", "X", SELL, 1, 5000) == Reason.UNKNOWN_ACCOUNT
    assert holds.open_account("buyer", 2, 0) == Reason.ACCOUNT_EXISTS
    assert holds.move_cash("buyer", 100_001, CashMovementKind.WITHDRAW) == Reason.INSUFFICIENT_CASH
    assert holds.move_cash("buyer", 0, CashMovementKind.DEPOSIT) == Reason.BAD_AMOUNT
    assert holds.move_holding("buyer", "X", 1, 99) == Reason.BAD_AMOUNT
    assert holds.snapshot() == before


def test_amend_resizes_the_reservation_or_refuses(holds: MemoryHolds) -> None:
    holds.reserve(1, "buyer", "X", BUY, 10, 5000)
    assert holds.amend(1, 20, 5000) == Reason.OK
    assert holds.accounts["buyer"].reserved == 100_000
    assert holds.amend(1, 20, 5001) == Reason.INSUFFICIENT_CASH
    assert holds.amend(1, 5, 4000) == Reason.OK
    assert holds.accounts["buyer"].reserved == 20_000
    holds.reserve(2, "seller", "X", SELL, 50, 5000)
    assert holds.amend(2, 51, 5000) == Reason.INSUFFICIENT_HOLDINGS
    assert holds.amend(2, 10, 5000) == Reason.OK
    assert holds.accounts["seller"].positions["X"].reserved == 10


def test_pledge_freeze_and_registry_outflows(holds: MemoryHolds) -> None:
    kind = HoldingMovementKind
    assert holds.move_holding("seller", "X", 30, kind.PLEDGE) == Reason.OK
    assert holds.move_holding("seller", "X", 10, kind.FREEZE) == Reason.OK
    assert holds.reserve(1, "seller", "X", SELL, 11, 5000) == Reason.INSUFFICIENT_HOLDINGS
    assert holds.move_holding("seller", "X", 11, kind.SURRENDER) == Reason.HOLDINGS_ENCUMBERED
    assert holds.move_holding("seller", "X", 10, kind.UNFREEZE) == Reason.OK
    assert holds.move_holding("seller", "X", 20, kind.SURRENDER) == Reason.OK
    assert holds.move_holding("seller", "X", 1, kind.TRANSFER_OUT) == Reason.HOLDINGS_ENCUMBERED
    assert holds.move_holding("seller", "X", 31, kind.RELEASE) == Reason.INSUFFICIENT_HOLDINGS
    position = holds.accounts["seller"].positions["X"]
    assert (position.tonnes, position.encumbered, position.free()) == (30, 30, 0)


def test_snapshot_and_restore_round_trip(holds: MemoryHolds) -> None:
    holds.reserve(1, "buyer", "X", BUY, 10, 5000)
    holds.reserve(2, "seller", "X", SELL, 4, 4000)
    holds.fill(1, 2, 3, 4500)
    restored = MemoryHolds()
    restored.restore(holds.snapshot())
    assert restored.snapshot() == holds.snapshot()
    # the restored reservations point at the restored accounts
    restored.fill(1, 2, 1, 4500)
    holds.fill(1, 2, 1, 4500)
    assert restored.snapshot() == holds.snapshot()

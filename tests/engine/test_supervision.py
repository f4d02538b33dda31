"""Accounts, registry movements and reference prices: the administrative commands."""

from engine.commands import MoveCash, MoveHolding, OpenAccount, SetControlGroup, SetReferencePrice
from engine.events import (
    AccountOpened,
    CashMoved,
    ControlGroupSet,
    HoldingMoved,
    OrderRejected,
    ReferencePriceSet,
    Trade,
)
from engine.memory_holds import MemoryHolds
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind
from engine.reasons import Reason
from engine.sequencer import Sequencer
from tests.engine.conftest import OPEN, TONNES
from tests.engine.flow import BUY, SELL, SYMBOL, kinds, limit, market, only


def test_open_account_and_fund_it(sequencer: Sequencer, holds: MemoryHolds) -> None:
    opened = sequencer.apply(OpenAccount(OPEN, "N1", "M9", AccountKind.COMPLIANCE, "G9", 5000, "s"))
    assert only(opened, AccountOpened).member == "M9"
    moved = sequencer.apply(MoveCash(OPEN, "N1", 700, CashMovementKind.DEPOSIT, "d1", "s"))
    assert (only(moved, CashMoved).amount, holds.accounts["N1"].cash) == (700, 700)
    moved = sequencer.apply(MoveCash(OPEN, "N1", 200, CashMovementKind.WITHDRAW, "w1", "s"))
    assert kinds(moved) == ["cash"] and holds.accounts["N1"].cash == 500
    allocated = sequencer.apply(
        MoveHolding(OPEN, "N1", SYMBOL, 30, HoldingMovementKind.ALLOCATE, "a1", "s")
    )
    assert only(allocated, HoldingMoved).quantity == 30
    assert holds.accounts["N1"].positions[SYMBOL].tonnes == 30
    assert "N1" in sequencer.accounts and sequencer.accounts["N1"].control_group == "G9"


def test_pledged_tonnes_cannot_be_sold_until_released(sequencer: Sequencer) -> None:
    pledge, release = HoldingMovementKind.PLEDGE, HoldingMovementKind.RELEASE
    sequencer.apply(MoveHolding(OPEN, "C1", SYMBOL, TONNES - 5, pledge, "p1", "s"))
    events = sequencer.apply(limit("C1", "s1", SELL, 5000, 6))
    assert only(events, OrderRejected).reason == Reason.INSUFFICIENT_HOLDINGS
    sequencer.apply(MoveHolding(OPEN, "C1", SYMBOL, 1, release, "r1", "s"))
    assert kinds(sequencer.apply(limit("C1", "s2", SELL, 5000, 6))) == ["accepted"]


def test_set_control_group(sequencer: Sequencer) -> None:
    events = sequencer.apply(SetControlGroup(OPEN, "B1", "G7", "supervisor"))
    assert only(events, ControlGroupSet).control_group == "G7"
    assert sequencer.accounts["B1"].control_group == "G7"


def test_reference_price_reset_moves_the_band(sequencer: Sequencer) -> None:
    sequencer.apply(limit("B1", "low", BUY, 4600, 1))
    events = sequencer.apply(SetReferencePrice(OPEN, SYMBOL, 5500, "supervisor"))
    assert (
        only(events, ReferencePriceSet).band_low,
        only(events, ReferencePriceSet).band_high,
    ) == (4950, 6050)
    # the resting order outside the new band keeps its place; new orders use the new band
    assert [o.price for o in sequencer.listings[SYMBOL].book.orders(BUY)] == [4600]
    assert only(sequencer.apply(limit("B1", "b", BUY, 4600, 1)), OrderRejected).reason == (
        Reason.OUT_OF_BAND
    )
    assert kinds(sequencer.apply(limit("B1", "hi", BUY, 6000, 1))) == ["accepted"]
    # a market sell stops at the new lower band edge, above the old resting bid
    events = sequencer.apply(market("A1", "m", SELL, 5))
    assert [(t.price, t.quantity) for t in events if type(t) is Trade] == [(6000, 1)]
    assert kinds(events)[-1] == "cancelled"
    assert [o.price for o in sequencer.listings[SYMBOL].book.orders(BUY)] == [4600]

"""Cancels, amends (cancel/replace) and mass cancels."""

from engine.commands import Halt, MassCancel, MoveCash
from engine.events import CancelRejected, MassCancelDone, OrderAmended, OrderCancelled, Trade
from engine.memory_holds import MemoryHolds
from engine.orders import CancelCause, CashMovementKind, MassCancelScope
from engine.reasons import Reason
from engine.sequencer import Sequencer
from tests.engine.conftest import CASH, OPEN, at
from tests.engine.flow import BUY, SELL, SYMBOL, amend, cancel, kinds, limit, only


def resting_ids(sequencer: Sequencer, side: int) -> list[str]:
    return [o.client_order_id for o in sequencer.listings[SYMBOL].book.orders(side)]


def test_cancel_by_client_id_releases_the_reservation(
    sequencer: Sequencer, holds: MemoryHolds
) -> None:
    sequencer.apply(limit("B1", "b", BUY, 5000, 10))
    assert holds.accounts["B1"].reserved == 50_000
    events = sequencer.apply(cancel("B1", "b", "cx"))
    cancelled = only(events, OrderCancelled)
    assert (cancelled.cause, cancelled.request_id, cancelled.cancelled_quantity) == (
        CancelCause.REQUESTED,
        "cx",
        10,
    )
    assert holds.accounts["B1"].reserved == 0
    assert resting_ids(sequencer, BUY) == []


def test_cancel_by_exchange_order_id(sequencer: Sequencer) -> None:
    order_id = sequencer.apply(limit("B1", "b", BUY, 5000, 10))[0].order_id
    assert kinds(sequencer.apply(cancel("B1", "", order_id=order_id))) == ["cancelled"]


def test_cancel_of_a_filled_order_is_unknown(sequencer: Sequencer) -> None:
    sequencer.apply(limit("A1", "s", SELL, 5000, 1))
    sequencer.apply(limit("B1", "b", BUY, 5000, 1))
    events = sequencer.apply(cancel("A1", "s"))
    assert only(events, CancelRejected).reason == Reason.UNKNOWN_ORDER


def test_cancels_are_accepted_while_halted_and_outside_sessions(sequencer: Sequencer) -> None:
    sequencer.apply(limit("B1", "b1", BUY, 5000, 1))
    sequencer.apply(limit("B1", "b2", BUY, 5000, 1))
    sequencer.apply(Halt(OPEN, "", "supervisor", "test"))
    assert kinds(sequencer.apply(cancel("B1", "b1"))) == ["cancelled"]
    assert kinds(sequencer.apply(cancel("B1", "b2", ts=at(12)))) == ["cancelled"]


def test_lowering_the_quantity_keeps_time_priority(
    sequencer: Sequencer, holds: MemoryHolds
) -> None:
    sequencer.apply(limit("B1", "first", BUY, 5000, 10))
    sequencer.apply(limit("C1", "second", BUY, 5000, 10))
    events = sequencer.apply(amend("B1", "first", "first-2", 5000, 4))
    amended = only(events, OrderAmended)
    assert amended.priority_kept and (amended.quantity, amended.leaves) == (4, 4)
    assert resting_ids(sequencer, BUY) == ["first-2", "second"]
    assert holds.accounts["B1"].reserved == 4 * 5000


def test_raising_the_quantity_loses_time_priority(sequencer: Sequencer) -> None:
    sequencer.apply(limit("B1", "first", BUY, 5000, 10))
    sequencer.apply(limit("C1", "second", BUY, 5000, 10))
    events = sequencer.apply(amend("B1", "first", "first-2", 5000, 11))
    assert not only(events, OrderAmended).priority_kept
    assert resting_ids(sequencer, BUY) == ["second", "first-2"]


def test_changing_the_price_loses_time_priority(sequencer: Sequencer) -> None:
    sequencer.apply(limit("B1", "first", BUY, 5000, 10))
    sequencer.apply(limit("C1", "second", BUY, 4999, 10))
    sequencer.apply(amend("B1", "first", "first-2", 4999, 10))
    assert resting_ids(sequencer, BUY) == ["second", "first-2"]


def test_an_amend_that_crosses_trades_at_once(sequencer: Sequencer, holds: MemoryHolds) -> None:
    sequencer.apply(limit("A1", "s", SELL, 5005, 4))
    sequencer.apply(limit("B1", "b", BUY, 5000, 10))
    events = sequencer.apply(amend("B1", "b", "b-2", 5010, 10))
    assert kinds(events) == ["amended", "trade"]
    trade = only(events, Trade)
    assert (trade.price, trade.quantity, trade.buy_client_order_id, trade.buy_leaves) == (
        5005,
        4,
        "b-2",
        6,
    )
    assert resting_ids(sequencer, BUY) == ["b-2"]
    assert holds.accounts["B1"].reserved == 6 * 5010


def test_amend_counts_the_filled_part(sequencer: Sequencer) -> None:
    sequencer.apply(limit("B1", "b", BUY, 5000, 10))
    sequencer.apply(limit("A1", "s", SELL, 5000, 6))
    before = sequencer.state_hash()
    events = sequencer.apply(amend("B1", "b", "b-2", 5000, 6))
    assert only(events, CancelRejected).reason == Reason.AMEND_BELOW_FILLED
    assert sequencer.state_hash() == before
    events = sequencer.apply(amend("B1", "b", "b-3", 5000, 8))
    assert (only(events, OrderAmended).leaves, only(events, OrderAmended).priority_kept) == (
        2,
        True,
    )


def test_amend_that_holds_cannot_cover_changes_nothing(sequencer: Sequencer) -> None:
    sequencer.apply(MoveCash(OPEN, "B1", CASH - 50_000, CashMovementKind.WITHDRAW, "w", "t"))
    sequencer.apply(limit("B1", "b", BUY, 5000, 10))  # all of B1's remaining cash
    before = sequencer.state_hash()
    for command, reason in (
        (amend("B1", "b", "b-2", 5001, 10), Reason.INSUFFICIENT_CASH),
        (amend("B1", "b", "b-2", 5000, 11), Reason.INSUFFICIENT_CASH),
        (amend("B1", "b", "b-2", 5000, 100_000), Reason.QUANTITY_TOO_LARGE),
    ):
        assert only(sequencer.apply(command), CancelRejected).reason == reason
    assert sequencer.state_hash() == before
    assert kinds(sequencer.apply(amend("B1", "b", "b-2", 4999, 10))) == ["amended"]


def test_amending_a_sell_up_needs_tradable_tonnes(sequencer: Sequencer) -> None:
    sequencer.apply(limit("A1", "s", SELL, 5100, 90_000))
    for number in range(10):
        sequencer.apply(limit("A1", f"more{number}", SELL, 5100, 91_000))
    before = sequencer.state_hash()
    events = sequencer.apply(amend("A1", "s", "s-2", 5100, 90_001))
    assert only(events, CancelRejected).reason == Reason.INSUFFICIENT_HOLDINGS
    assert sequencer.state_hash() == before


def test_amend_renames_the_order_and_either_id_cancels_it(sequencer: Sequencer) -> None:
    sequencer.apply(limit("B1", "b", BUY, 5000, 10))
    sequencer.apply(amend("B1", "b", "b-2", 5000, 5))
    events = sequencer.apply(cancel("B1", "b"))
    assert only(events, OrderCancelled).client_order_id == "b-2"


def test_amend_refused_while_halted_or_closed(sequencer: Sequencer) -> None:
    sequencer.apply(limit("B1", "b", BUY, 5000, 10))
    assert (
        only(sequencer.apply(amend("B1", "b", "b-2", 5000, 5, ts=at(12))), CancelRejected).reason
        == Reason.EXCHANGE_CLOSED
    )
    sequencer.apply(Halt(OPEN, SYMBOL, "supervisor", "test"))
    assert (
        only(sequencer.apply(amend("B1", "b", "b-2", 5000, 5)), CancelRejected).reason
        == Reason.HALTED
    )


def test_mass_cancel_by_account_member_and_instrument(sequencer: Sequencer) -> None:
    sequencer.apply(limit("A1", "a1", BUY, 4990, 1))
    sequencer.apply(limit("A2", "a2", BUY, 4990, 1))  # same member M1 as A1
    sequencer.apply(limit("B1", "b1", BUY, 4990, 1))
    sequencer.apply(limit("B1", "b2", BUY, 4990, 1, instrument="TJEA24"))
    sequencer.apply(limit("C1", "c1", BUY, 4990, 1))

    events = sequencer.apply(MassCancel(OPEN, "mc1", MassCancelScope.ACCOUNT, account="A1"))
    assert kinds(events) == ["cancelled", "mass_cancelled"]
    assert only(events, MassCancelDone).cancelled == 1
    assert only(events, OrderCancelled).cause == CancelCause.MASS_CANCEL

    events = sequencer.apply(MassCancel(OPEN, "mc2", MassCancelScope.MEMBER, member="M1"))
    assert [e.client_order_id for e in events if type(e) is OrderCancelled] == ["a2"]

    events = sequencer.apply(
        MassCancel(OPEN, "mc3", MassCancelScope.ACCOUNT, account="B1", instrument="TJEA24")
    )
    assert [e.client_order_id for e in events if type(e) is OrderCancelled] == ["b2"]

    events = sequencer.apply(MassCancel(OPEN, "mc4", MassCancelScope.INSTRUMENT, instrument=SYMBOL))
    assert [e.client_order_id for e in events if type(e) is OrderCancelled] == ["b1", "c1"]
    assert sequencer.orders == {}


def test_mass_cancel_refusals(sequencer: Sequencer) -> None:
    before = sequencer.state_hash()
    for command, reason in (
        (MassCancel(OPEN, "m", MassCancelScope.ACCOUNT, account="nobody"), Reason.UNKNOWN_ACCOUNT),
        (MassCancel(OPEN, "m", MassCancelScope.MEMBER, member="nobody"), Reason.UNKNOWN_ACCOUNT),
        (
            MassCancel(OPEN, "m", MassCancelScope.INSTRUMENT, instrument="XX"),
            Reason.UNKNOWN_INSTRUMENT,
        ),
        (MassCancel(OPEN, "m", MassCancelScope.INSTRUMENT), Reason.UNKNOWN_INSTRUMENT),
        (MassCancel(OPEN, "m", 9, account="A1"), Reason.UNSUPPORTED_ORDER),
    ):
        done = only(sequencer.apply(command), MassCancelDone)
        assert (done.reason, done.cancelled) == (reason, 0)
        assert done.text
    assert sequencer.state_hash() == before

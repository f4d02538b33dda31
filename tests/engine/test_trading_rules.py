"""Self-trade prevention, halts, sessions and duplicate client order ids."""

import dataclasses
import datetime as dt

import pytest

from engine.commands import EndOfDay, Halt, Resume, SetControlGroup
from engine.events import OrderCancelled, OrderRejected, Trade, TradingStatus
from engine.memory_holds import MemoryHolds
from engine.orders import CancelCause, SelfTradePrevention
from engine.reasons import Reason
from engine.reference import ReferenceData
from engine.sequencer import PRUNE_FLOOR, Sequencer
from tests.engine.conftest import OPEN, at, open_accounts
from tests.engine.flow import BUY, IOC, SELL, SYMBOL, kinds, limit, only


def sequencer_with(reference: ReferenceData, **rules: object) -> Sequencer:
    changed = dataclasses.replace(reference, rules=dataclasses.replace(reference.rules, **rules))
    sequencer = Sequencer(changed, MemoryHolds())
    open_accounts(sequencer, changed)
    return sequencer


def causes(events: list) -> list[tuple[str, int]]:
    return [(e.client_order_id, e.cause) for e in events if type(e) is OrderCancelled]


def test_self_trade_cancels_the_incoming_order_by_default(sequencer: Sequencer) -> None:
    sequencer.apply(limit("A1", "mine", SELL, 5000, 5))
    events = sequencer.apply(limit("A1", "again", BUY, 5000, 5))
    assert kinds(events) == ["accepted", "cancelled"]
    assert causes(events) == [("again", CancelCause.SELF_TRADE)]
    assert [o.client_order_id for o in sequencer.listings[SYMBOL].book.orders(SELL)] == ["mine"]


def test_self_trade_stops_the_incoming_order_after_earlier_fills(sequencer: Sequencer) -> None:
    sequencer.apply(limit("B1", "other", SELL, 5000, 2))
    sequencer.apply(limit("A1", "mine", SELL, 5001, 5))
    events = sequencer.apply(limit("A1", "buy", BUY, 5001, 5))
    assert kinds(events) == ["accepted", "trade", "cancelled"]
    assert only(events, OrderCancelled).cancelled_quantity == 3


def test_self_trade_cancel_resting(reference: ReferenceData) -> None:
    sequencer = sequencer_with(reference, self_trade_prevention=SelfTradePrevention.CANCEL_RESTING)
    sequencer.apply(limit("A1", "mine", SELL, 5000, 5))
    sequencer.apply(limit("B1", "other", SELL, 5000, 5))
    events = sequencer.apply(limit("A1", "buy", BUY, 5000, 5))
    assert kinds(events) == ["accepted", "cancelled", "trade"]
    assert causes(events) == [("mine", CancelCause.SELF_TRADE)]
    assert only(events, Trade).sell_client_order_id == "other"
    assert sequencer.holds.reservations.keys() == set()


def test_self_trade_cancel_both(reference: ReferenceData) -> None:
    sequencer = sequencer_with(reference, self_trade_prevention=SelfTradePrevention.CANCEL_BOTH)
    sequencer.apply(limit("A1", "mine", SELL, 5000, 5))
    events = sequencer.apply(limit("A1", "buy", BUY, 5000, 5))
    assert causes(events) == [("mine", CancelCause.SELF_TRADE), ("buy", CancelCause.SELF_TRADE)]
    assert sequencer.orders == {}


def test_self_trade_scope_control_group(reference: ReferenceData) -> None:
    sequencer = sequencer_with(reference, self_trade_scope="control_group")
    sequencer.apply(limit("A1", "a1", SELL, 5000, 5))  # A1 and A2 share group G1
    events = sequencer.apply(limit("A2", "a2", BUY, 5000, 5))
    assert causes(events) == [("a2", CancelCause.SELF_TRADE)]
    # B1 joins G1: its new orders and its resting ones are now the group's
    sequencer.apply(limit("B1", "b1", BUY, 4999, 5))
    sequencer.apply(SetControlGroup(OPEN, "B1", "G1", "supervisor"))
    events = sequencer.apply(limit("A1", "a1-2", SELL, 4999, 5))
    assert causes(events) == [("a1-2", CancelCause.SELF_TRADE)]


def test_account_scope_lets_a_control_group_trade_with_itself(sequencer: Sequencer) -> None:
    sequencer.apply(limit("A1", "a1", SELL, 5000, 5))
    assert kinds(sequencer.apply(limit("A2", "a2", BUY, 5000, 5))) == ["accepted", "trade"]


def test_halt_and_resume_one_instrument(sequencer: Sequencer) -> None:
    events = sequencer.apply(Halt(OPEN, SYMBOL, "supervisor", "news"))
    assert only(events, TradingStatus).halted
    rejected = sequencer.apply(limit("B1", "b", BUY, 5000, 1))
    assert only(rejected, OrderRejected).reason == Reason.HALTED
    other = sequencer.apply(limit("B1", "b", BUY, 4800, 1, instrument="TJEA24"))
    assert kinds(other) == ["accepted"]
    assert not only(sequencer.apply(Resume(OPEN, SYMBOL, "supervisor", "ok")), TradingStatus).halted
    assert kinds(sequencer.apply(limit("B1", "b2", BUY, 5000, 1))) == ["accepted"]


def test_market_wide_halt(sequencer: Sequencer) -> None:
    sequencer.apply(Halt(OPEN, "", "supervisor", "systems"))
    for symbol, price in (("TJEA25", 5000), ("CCER", 6000)):
        events = sequencer.apply(limit("B1", f"b-{symbol}", BUY, price, 1, instrument=symbol))
        assert only(events, OrderRejected).reason == Reason.HALTED
    sequencer.apply(Resume(OPEN, "", "supervisor", "ok"))
    assert kinds(sequencer.apply(limit("B1", "b", BUY, 5000, 1))) == ["accepted"]


def test_an_instrument_halt_outlives_a_market_resume(sequencer: Sequencer) -> None:
    sequencer.apply(Halt(OPEN, SYMBOL, "supervisor", "news"))
    sequencer.apply(Halt(OPEN, "", "supervisor", "systems"))
    sequencer.apply(Resume(OPEN, "", "supervisor", "ok"))
    events = sequencer.apply(limit("B1", "b", BUY, 5000, 1))
    assert only(events, OrderRejected).reason == Reason.HALTED


@pytest.mark.parametrize(
    ("ts", "open_"),
    [
        (at(9, 29), False),
        (at(9, 30), True),
        (at(11, 29), True),
        (at(11, 30), False),
        (at(12, 0), False),
        (at(13, 0), True),
        (at(14, 59), True),
        (at(15, 0), False),
        (at(10, 0, dt.date(2026, 11, 28)), False),  # a Saturday
        (at(10, 0, dt.date(2026, 10, 1)), False),  # National Day
    ],
)
def test_orders_only_inside_the_sessions(sequencer: Sequencer, ts: int, open_: bool) -> None:
    before = sequencer.state_hash()
    events = sequencer.apply(limit("B1", "b", BUY, 5000, 1, ts=ts))
    if open_:
        assert kinds(events) == ["accepted"]
    else:
        assert only(events, OrderRejected).reason == Reason.EXCHANGE_CLOSED
        assert sequencer.state_hash() == before


def test_sessions_follow_the_command_time_across_days(sequencer: Sequencer) -> None:
    next_day = dt.date(2026, 11, 25)
    assert kinds(sequencer.apply(limit("B1", "b1", BUY, 5000, 1))) == ["accepted"]
    assert kinds(sequencer.apply(limit("B1", "b2", BUY, 5000, 1, ts=at(12, 0, next_day)))) == [
        "rejected"
    ]
    assert kinds(sequencer.apply(limit("B1", "b3", BUY, 5000, 1, ts=at(13, 0, next_day)))) == [
        "accepted"
    ]


def test_a_client_order_id_names_one_live_order_of_an_account(sequencer: Sequencer) -> None:
    """The engine refuses a ClOrdID only while it names a live order of the account (a
    cancel or amend finds the order by it); once the order is done the id is free here,
    and FIX's once-a-day rule is the gateway's (tests/gateway/test_order_entry.py)."""
    sequencer.apply(limit("B1", "same", BUY, 5000, 1))
    sequencer.apply(limit("C1", "same", BUY, 5000, 1))  # another account may use it
    events = sequencer.apply(limit("B1", "same", BUY, 5000, 1))
    assert only(events, OrderRejected).reason == Reason.DUPLICATE_CLIENT_ORDER_ID
    sequencer.apply(limit("A1", "s", SELL, 5000, 1))  # fills B1's "same"
    assert kinds(sequencer.apply(limit("B1", "same", BUY, 5000, 1))) == ["accepted"]
    sequencer.apply(EndOfDay(at(16), "2026-11-24"))
    next_day = at(10, 0, dt.date(2026, 11, 25))
    assert kinds(sequencer.apply(limit("B1", "same", BUY, 5000, 1, ts=next_day))) == ["accepted"]


def test_the_client_order_ids_of_done_orders_are_pruned_and_left_out_of_snapshots(
    sequencer: Sequencer, reference: ReferenceData
) -> None:
    """Memory follows the book, not the day's order count, and a snapshot (so a replay's
    state hash) does not depend on when the pruning ran."""
    sequencer.apply(limit("B1", "resting", BUY, 4900, 1))
    for n in range(3 * PRUNE_FLOOR):  # each IOC is done at once: nothing rests
        sequencer.apply(limit("B1", f"ioc-{n}", BUY, 4900, 1, time_in_force=IOC))
    account = sequencer.accounts["B1"]
    assert len(account.client_ids) <= PRUNE_FLOOR + 1
    events = sequencer.apply(limit("B1", "resting", BUY, 4900, 1))
    assert only(events, OrderRejected).reason == Reason.DUPLICATE_CLIENT_ORDER_ID

    restored = Sequencer(reference, MemoryHolds())
    restored.restore(sequencer.snapshot())
    assert list(restored.accounts["B1"].client_ids) == ["resting"]
    assert restored.state_hash() == sequencer.state_hash()

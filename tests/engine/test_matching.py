"""Order types and matching through the sequencer: what trades, at which price, and what
the holds see."""

from engine.commands import MoveCash
from engine.events import OrderAccepted, OrderCancelled, Trade
from engine.memory_holds import MemoryHolds
from engine.orders import CancelCause, CashMovementKind
from engine.reasons import Reason
from engine.sequencer import Sequencer
from tests.engine.conftest import CASH, OPEN, TONNES
from tests.engine.flow import BUY, FOK, IOC, SELL, SYMBOL, kinds, limit, market, only


def test_a_limit_order_rests_and_the_next_crossing_one_trades_at_its_price(
    sequencer: Sequencer, holds: MemoryHolds
) -> None:
    assert kinds(sequencer.apply(limit("A1", "s1", SELL, 5000, 10))) == ["accepted"]
    events = sequencer.apply(limit("B1", "b1", BUY, 5010, 4))
    assert kinds(events) == ["accepted", "trade"]
    trade = only(events, Trade)
    assert (trade.price, trade.quantity, trade.aggressor_side) == (5000, 4, BUY)
    assert (trade.buy_account, trade.buy_leaves, trade.sell_account, trade.sell_leaves) == (
        "B1",
        0,
        "A1",
        6,
    )
    # the buyer reserved 4 x 50.10 and paid 4 x 50.00: the difference came back
    assert holds.accounts["B1"].cash == CASH - 4 * 5000
    assert holds.accounts["B1"].reserved == 0
    assert holds.accounts["A1"].cash == CASH + 4 * 5000
    assert holds.accounts["A1"].positions[SYMBOL].reserved == 6
    assert holds.accounts["A1"].positions[SYMBOL].tonnes == TONNES - 4


def test_price_then_time_priority(sequencer: Sequencer) -> None:
    sequencer.apply(limit("A1", "late-best", SELL, 5001, 5))
    sequencer.apply(limit("B1", "early", SELL, 5002, 5))
    sequencer.apply(limit("A1", "later", SELL, 5002, 5))
    sequencer.apply(limit("A1", "best", SELL, 5000, 5))
    trades = [e for e in sequencer.apply(limit("C1", "sweep", BUY, 5002, 20)) if type(e) is Trade]
    assert [t.sell_client_order_id for t in trades] == ["best", "late-best", "early", "later"]
    assert [t.price for t in trades] == [5000, 5001, 5002, 5002]


def test_trade_ids_and_sequence_numbers_have_no_gaps(sequencer: Sequencer) -> None:
    first = sequencer.next_seq
    events = []
    for number in range(3):
        events += sequencer.apply(limit("A1", f"s{number}", SELL, 5000, 1))
    events += sequencer.apply(limit("B1", "b", BUY, 5000, 3))
    events += sequencer.apply(limit("B1", "b", BUY, 5000, 3))  # a duplicate: rejected
    assert [e.seq for e in events] == list(range(first, first + len(events)))
    assert sequencer.next_seq == first + len(events)
    assert [e.trade_id for e in events if type(e) is Trade] == [1, 2, 3]


def test_ioc_remainder_is_cancelled(sequencer: Sequencer, holds: MemoryHolds) -> None:
    sequencer.apply(limit("A1", "s", SELL, 5000, 3))
    events = sequencer.apply(limit("B1", "ioc", BUY, 5005, 10, IOC))
    assert kinds(events) == ["accepted", "trade", "cancelled"]
    cancelled = only(events, OrderCancelled)
    assert (cancelled.cancelled_quantity, cancelled.filled_quantity) == (7, 3)
    assert cancelled.cause == CancelCause.IOC_REMAINDER
    assert sequencer.listings[SYMBOL].book.best_bid() == 0
    assert holds.accounts["B1"].reserved == 0 and not holds.reservations


def test_fok_that_cannot_fill_trades_nothing(sequencer: Sequencer) -> None:
    sequencer.apply(limit("A1", "s1", SELL, 5000, 3))
    sequencer.apply(limit("A1", "s2", SELL, 5010, 3))
    before = [o.leaves for o in sequencer.listings[SYMBOL].book.orders(SELL)]
    events = sequencer.apply(limit("B1", "fok", BUY, 5005, 4, FOK))
    assert kinds(events) == ["accepted", "cancelled"]
    assert only(events, OrderCancelled).cause == CancelCause.FOK_UNFILLED
    assert [o.leaves for o in sequencer.listings[SYMBOL].book.orders(SELL)] == before


def test_fok_that_can_fill_fills_completely(sequencer: Sequencer) -> None:
    sequencer.apply(limit("A1", "s1", SELL, 5000, 3))
    sequencer.apply(limit("C1", "s2", SELL, 5010, 3))
    events = sequencer.apply(limit("B1", "fok", BUY, 5010, 5, FOK))
    assert kinds(events) == ["accepted", "trade", "trade"]
    assert sum(e.quantity for e in events if type(e) is Trade) == 5


def test_fok_counts_only_what_self_trade_prevention_lets_it_reach(sequencer: Sequencer) -> None:
    sequencer.apply(limit("B1", "own", SELL, 5000, 3))  # B1's own order comes first
    sequencer.apply(limit("A1", "other", SELL, 5001, 10))
    events = sequencer.apply(limit("B1", "fok", BUY, 5001, 5, FOK))
    assert kinds(events) == ["accepted", "cancelled"]
    assert len(sequencer.listings[SYMBOL].book.orders(SELL)) == 2


def test_market_order_is_an_ioc_limited_at_the_band_edge(
    sequencer: Sequencer, holds: MemoryHolds
) -> None:
    sequencer.apply(limit("A1", "s1", SELL, 5400, 2))
    sequencer.apply(limit("A1", "s2", SELL, 5500, 2))
    events = sequencer.apply(market("B1", "m", BUY, 10))
    accepted = only(events, OrderAccepted)
    assert (accepted.price, accepted.time_in_force) == (5500, IOC)  # the upper band
    assert kinds(events) == ["accepted", "trade", "trade", "cancelled"]
    assert only(events, OrderCancelled).cancelled_quantity == 6
    assert holds.accounts["B1"].cash == CASH - 2 * 5400 - 2 * 5500
    assert holds.accounts["B1"].reserved == 0


def test_market_sell_is_limited_at_the_lower_band(sequencer: Sequencer) -> None:
    sequencer.apply(limit("B1", "b", BUY, 4500, 2))
    events = sequencer.apply(market("A1", "m", SELL, 2))
    assert only(events, OrderAccepted).price == 4500
    assert only(events, Trade).price == 4500


def test_market_fok_fills_all_or_nothing(sequencer: Sequencer) -> None:
    sequencer.apply(limit("A1", "s", SELL, 5000, 2))
    assert kinds(sequencer.apply(market("B1", "m1", BUY, 3, FOK))) == ["accepted", "cancelled"]
    assert kinds(sequencer.apply(market("B1", "m2", BUY, 2, FOK))) == ["accepted", "trade"]


def test_market_buy_reserves_at_the_upper_band(sequencer: Sequencer, holds: MemoryHolds) -> None:
    keep = 10 * 5500 - 1  # one fen short of 10 t at the upper band
    sequencer.apply(MoveCash(OPEN, "C1", CASH - keep, CashMovementKind.WITHDRAW, "w", "test"))
    events = sequencer.apply(market("C1", "m", BUY, 10))
    assert kinds(events) == ["rejected"]
    assert events[0].reason == Reason.INSUFFICIENT_CASH
    assert kinds(sequencer.apply(market("C1", "m", BUY, 9))) == ["accepted", "cancelled"]

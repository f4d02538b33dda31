"""End of day: expiry, the closing price and its carry-over, the roll of reference
price and band."""

import dataclasses
import datetime as dt

from engine.closing_price import closing_price
from engine.commands import EndOfDay, SetReferencePrice
from engine.events import DayClosed, OrderCancelled, OrderRejected
from engine.memory_holds import MemoryHolds
from engine.orders import CancelCause
from engine.reasons import Reason
from engine.reference import ReferenceData
from engine.sequencer import Sequencer
from tests.engine.conftest import at, open_accounts
from tests.engine.flow import BUY, DAY, SELL, SYMBOL, kinds, limit, only

CLOSE = at(15, 30)
NEXT_DAY = dt.date(2026, 11, 25)


class CountingHolds(MemoryHolds):
    """Memory holds that also count the day rolls they are asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.rolls = 0

    def roll_day(self) -> None:
        super().roll_day()
        self.rolls += 1


def day_closed(events: list, symbol: str = SYMBOL) -> DayClosed:
    return next(e for e in events if type(e) is DayClosed and e.instrument == symbol)


def test_closing_price_is_the_vwap_rounded_to_the_tick() -> None:
    assert closing_price(
        turnover=10 * 5000 + 20 * 5003, volume=30, previous_close=4000, tick=1, min_close_volume=0
    ) == (5002, False)
    # exactly half a tick rounds up
    assert closing_price(5000 + 5001, 2, 4000, 1, 0) == (5001, False)
    assert closing_price(10 * 5010, 10, 4000, 10, 0) == (5010, False)
    assert closing_price(3 * 5005 + 5020, 4, 4000, 10, 0) == (5010, False)


def test_no_trades_or_too_little_volume_carries_the_close_over() -> None:
    assert closing_price(0, 0, 4000, 1, 0) == (4000, True)
    assert closing_price(99 * 5000, 99, 4000, 1, 100) == (4000, True)
    assert closing_price(100 * 5000, 100, 4000, 1, 100) == (5000, False)


def test_end_of_day_closes_each_instrument(sequencer: Sequencer) -> None:
    sequencer.apply(limit("A1", "s1", SELL, 5010, 10))
    sequencer.apply(limit("B1", "b1", BUY, 5010, 10))
    sequencer.apply(limit("A1", "s2", SELL, 4990, 30))
    sequencer.apply(limit("C1", "b2", BUY, 5000, 20))  # trades 20 at 49.90
    sequencer.apply(limit("B1", "rest", BUY, 4900, 3))  # expires tonight
    events = sequencer.apply(EndOfDay(CLOSE, "2026-11-24"))
    closed = day_closed(events)
    vwap = (10 * 5010 + 20 * 4990) / 30  # 49.9667 -> 49.97
    assert closed.close_price == round(vwap) == 4997
    assert (closed.open_price, closed.high_price, closed.low_price) == (5010, 5010, 4990)
    assert (closed.volume, closed.turnover, closed.carried_over) == (
        30,
        10 * 5010 + 20 * 4990,
        False,
    )
    assert closed.expired_orders == 2  # s2's remaining 10 and "rest"
    assert (closed.next_reference, closed.next_band_low, closed.next_band_high) == (
        4997,
        4498,  # ceil(49.97 x 0.9) = 44.973 -> 44.98
        5496,  # floor(49.97 x 1.1) = 54.967 -> 54.96
    )
    expired = [e for e in events if type(e) is OrderCancelled]
    assert {e.client_order_id for e in expired} == {"s2", "rest"}
    assert all(e.cause == CancelCause.EXPIRED for e in expired)
    assert sequencer.orders == {} and not sequencer.holds.reservations
    untraded = day_closed(events, "CCER")
    assert (untraded.close_price, untraded.carried_over, untraded.volume) == (6000, True, 0)
    assert kinds(events)[-4:] == ["day_closed"] * 4


def test_the_next_day_trades_in_the_rolled_band(sequencer: Sequencer) -> None:
    sequencer.apply(limit("A1", "s", SELL, 5400, 1))
    sequencer.apply(limit("B1", "b", BUY, 5400, 1))
    sequencer.apply(EndOfDay(CLOSE, "2026-11-24"))  # close 54.00: band 48.60-59.40
    tomorrow = at(10, 0, NEXT_DAY)
    assert kinds(sequencer.apply(limit("B1", "b", BUY, 5900, 1, ts=tomorrow))) == ["accepted"]
    events = sequencer.apply(limit("B1", "low", BUY, 4800, 1, ts=tomorrow))
    assert only(events, OrderRejected).reason == Reason.OUT_OF_BAND


def test_end_of_day_rolls_the_holds_and_resets_the_day(reference: ReferenceData) -> None:
    holds = CountingHolds()
    sequencer = Sequencer(reference, holds)
    open_accounts(sequencer, reference)
    sequencer.apply(limit("A1", "s", SELL, 5000, 1))
    sequencer.apply(limit("B1", "b", BUY, 5000, 1))
    sequencer.apply(EndOfDay(CLOSE, "2026-11-24"))
    assert holds.rolls == 1
    events = sequencer.apply(EndOfDay(at(15, 30, NEXT_DAY), "2026-11-25"))
    closed = day_closed(events)
    assert (closed.volume, closed.open_price, closed.carried_over, closed.close_price) == (
        0,
        0,
        True,
        5000,
    )
    assert holds.rolls == 2


def test_min_close_volume_from_the_reference_data(reference: ReferenceData) -> None:
    rules = dataclasses.replace(reference.rules, min_close_volume=100)
    sequencer = Sequencer(dataclasses.replace(reference, rules=rules), MemoryHolds())
    open_accounts(sequencer, reference)
    sequencer.apply(limit("A1", "s", SELL, 5200, 99))
    sequencer.apply(limit("B1", "b", BUY, 5200, 99))
    closed = day_closed(sequencer.apply(EndOfDay(CLOSE, "2026-11-24")))
    assert (closed.close_price, closed.carried_over, closed.volume) == (5000, True, 99)


def test_an_instrument_without_a_reference_price_waits_for_the_supervisor(
    reference: ReferenceData,
) -> None:
    unpriced = dataclasses.replace(reference.instruments["CCER"], reference_price=0)
    sequencer = Sequencer(reference.with_instrument(unpriced), MemoryHolds())
    open_accounts(sequencer, reference)
    events = sequencer.apply(limit("B1", "b", BUY, 6000, 1, instrument="CCER"))
    assert only(events, OrderRejected).reason == Reason.NO_REFERENCE_PRICE
    closed = day_closed(sequencer.apply(EndOfDay(CLOSE, "2026-11-24")), "CCER")
    assert (closed.close_price, closed.next_band_low, closed.next_band_high) == (0, 0, 0)
    sequencer.apply(SetReferencePrice(at(9, 0, NEXT_DAY), "CCER", 6000, "supervisor"))
    events = sequencer.apply(limit("B1", "b", BUY, 6000, 1, DAY, "CCER", at(10, 0, NEXT_DAY)))
    assert kinds(events) == ["accepted"]


def test_a_day_closes_once(sequencer: Sequencer) -> None:
    sequencer.apply(limit("A1", "s", SELL, 5400, 1))
    sequencer.apply(limit("B1", "b", BUY, 5400, 1))
    sequencer.apply(EndOfDay(CLOSE, "2026-11-24"))
    closed = sequencer.state_hash()
    for again in ("2026-11-24", "2026-11-23"):
        (refused,) = sequencer.apply(EndOfDay(CLOSE, again))
        assert (refused.command, refused.reason) == ("E", Reason.DAY_ALREADY_CLOSED)
        assert refused.reference == again and "closed already" in refused.text
        assert sequencer.state_hash() == closed  # no second roll of bands and holds
    later = sequencer.apply(EndOfDay(at(15, 30, NEXT_DAY), "2026-11-25"))
    assert kinds(later)[-4:] == ["day_closed"] * 4


def test_the_last_closed_day_survives_a_snapshot(reference: ReferenceData) -> None:
    first = Sequencer(reference, MemoryHolds())
    first.apply(EndOfDay(CLOSE, "2026-11-24"))
    restored = Sequencer(reference, MemoryHolds())
    restored.restore(first.snapshot())
    (refused,) = restored.apply(EndOfDay(CLOSE, "2026-11-24"))
    assert refused.reason == Reason.DAY_ALREADY_CLOSED


def test_an_end_of_day_for_a_date_that_is_not_a_trading_day_changes_nothing(
    sequencer: Sequencer,
) -> None:
    sequencer.apply(limit("A1", "s", SELL, 5400, 1))
    before = sequencer.state_hash()
    for text in ("9999-99-99", "2026-02-30", "2026-11-28", "20261124", "2026-11-24 ", "٢٠٢٦-١١-٢٤"):
        (refused,) = sequencer.apply(EndOfDay(CLOSE, text))
        assert (refused.command, refused.reason, refused.reference) == (
            "E", Reason.NOT_A_TRADING_DAY, text,
        )  # fmt: skip
        assert sequencer.state_hash() == before
    assert kinds(sequencer.apply(EndOfDay(CLOSE, "2026-11-24")))[-4:] == ["day_closed"] * 4

"""The median top-of-book size is 300 t here, so an order of 1,500 t or more is large."""

from engine.orders import CancelCause, Side, TimeInForce
from surveillance.detectors.spoofing import SpoofingDetector
from surveillance.market_view import MarketView
from surveillance.parameters import Parameters, Spoofing


def quiet_book(tape):
    maker, investor = tape.account("MM"), tape.account("I1")
    tape.order(maker, Side.BUY, 4990, 300)
    tape.order(maker, Side.SELL, 5010, 300)
    for _ in range(20):
        tape.order(investor, Side.BUY, 4900, 10)  # each acceptance samples the top: 300 t
    return investor


def spoof(tape, start, size=2000, cancel_after=5.0, trade=True, cause=CancelCause.REQUESTED):
    """A genuine offer inside the spread, a large bid below it, the offer lifted, the bid
    pulled."""
    tape.at(start)
    genuine = tape.order("S", Side.SELL, 5005, 200)
    tape.at(start + 0.3)
    fake = tape.order("S", Side.BUY, 4995, size)
    if trade:
        tape.at(start + 2)
        tape.trade(tape.order("I1", Side.BUY, 5005, 200, time_in_force=TimeInForce.IOC), genuine)
    tape.at(start + 0.3 + cancel_after)
    tape.cancel(fake, cause)


def test_a_large_order_pulled_within_seconds_while_trading_the_other_side(tape):
    quiet_book(tape)
    tape.account("S")
    spoof(tape, 100)
    [alert] = tape.alerts("spoofing")
    assert alert.accounts == ("S",)
    assert alert.evidence["median_top_of_book"] == 300
    assert alert.evidence["size_multiple"] >= 5
    assert alert.evidence["filled_percent"] == 0
    assert alert.trade_ids == (1,)
    assert alert.score == 60


def test_the_opposite_trade_may_come_after_the_cancel_and_from_the_group(tape):
    quiet_book(tape)
    tape.account("S", group="G")
    tape.account("S2", group="G")
    tape.at(100)
    fake = tape.order("S", Side.BUY, 4995, 2000)
    tape.at(103)
    tape.cancel(fake)
    tape.at(120)
    offer = tape.order("S2", Side.SELL, 5005, 200)
    tape.trade(tape.order("I1", Side.BUY, 5005, 200, time_in_force=TimeInForce.IOC), offer)
    [alert] = tape.alerts("spoofing")
    assert alert.accounts == ("S", "S2")
    assert alert.control_group == "G"


def test_repeated_three_times_a_day_escalates(tape):
    quiet_book(tape)
    tape.account("S")
    for start in (100, 400, 700):
        spoof(tape, start)
    alerts = sorted(tape.alerts("spoofing"), key=lambda a: a.window_start)
    assert [a.score for a in alerts] == [60, 60, 90]


def test_near_miss_cancelled_after_more_than_ten_seconds(tape):
    quiet_book(tape)
    tape.account("S")
    spoof(tape, 100, cancel_after=10.5)
    assert tape.alerts("spoofing") == []


def test_near_miss_no_trade_on_the_other_side(tape):
    quiet_book(tape)
    tape.account("S")
    spoof(tape, 100, trade=False)
    assert tape.alerts("spoofing") == []


def test_near_miss_below_five_times_the_median_top_of_book(tape):
    quiet_book(tape)
    tape.account("S")
    spoof(tape, 100, size=1499)
    assert tape.alerts("spoofing") == []


def test_near_miss_ioc_remainders_and_expiry_are_not_cancels(tape):
    quiet_book(tape)
    tape.account("S")
    spoof(tape, 100, cause=CancelCause.IOC_REMAINDER)
    spoof(tape, 400, cause=CancelCause.EXPIRED)
    assert tape.alerts("spoofing") == []


def test_a_parameter_change_is_back_tested_on_the_same_events(tape):
    quiet_book(tape)
    tape.account("S")
    spoof(tape, 100, size=2000)
    stricter = Parameters(spoofing=Spoofing(version=2, size_multiple=8.0))
    assert tape.alerts("spoofing", stricter) == []
    [alert] = tape.alerts("spoofing")
    assert alert.evidence["parameters"] == "spoofing v1"


def test_large_orders_that_are_never_cancelled_are_not_kept_all_day(tape, reference):
    quiet_book(tape)
    tape.account("B")
    for minute in range(60):  # an hour of large bids that rest or fill, never cancelled
        tape.at(100 + 60 * minute)
        tape.order("B", Side.BUY, 4980, 2000)
    view = MarketView(reference)
    detector = SpoofingDetector(view, Spoofing())
    for event in tape.events:
        view.apply(event)
        if isinstance(event, SpoofingDetector.events):
            detector.on_event(event)
        view.retire(event)
    assert len(detector.placements.by_age) == 1  # only the latest can still be withdrawn in time
    tape.account("S")
    spoof(tape, 100 + 60 * 60)  # and spoofing is still found after them
    [alert] = tape.alerts("spoofing")
    assert alert.accounts == ("S",)

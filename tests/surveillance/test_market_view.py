import statistics

from hypothesis import given
from hypothesis import strategies as st

from engine.orders import CancelCause, Side, TimeInForce
from surveillance.market_view import MarketView, RunningMedian


@given(
    st.one_of(
        st.lists(st.integers(0, 10_000), min_size=1, max_size=200),
        st.lists(st.integers(0, 5), min_size=1, max_size=200),  # many repeats
    )
)
def test_the_running_median_is_the_median_after_every_value(values):
    median = RunningMedian()
    for seen, value in enumerate(values, 1):
        median.add(value)
        assert median.median() == statistics.median(values[:seen])


def test_the_running_median_keeps_the_distinct_values_not_every_sample():
    median = RunningMedian()
    for n in range(100_000):
        median.add(100 * (n * 7919 % 50))
    assert len(median.values) == len(median.counts) == 50
    assert median.count == 100_000 and median.median() == 2450.0


def test_the_book_follows_accepts_fills_amends_and_cancels(tape):
    tape.account("MM")
    tape.account("I1")
    bid = tape.order("MM", Side.BUY, 4990, 300)
    ask = tape.order("MM", Side.SELL, 5010, 300)
    taker = tape.order("I1", Side.BUY, 5010, 500, time_in_force=TimeInForce.IOC)
    tape.trade(taker, ask)
    tape.cancel(taker, CancelCause.IOC_REMAINDER)
    tape.amend(bid, 4995)
    view = MarketView(tape.reference)
    for event in tape.events:
        view.apply(event)
        view.retire(event)
    book = view.books["TJEA25"]
    assert dict(book.bids) == {4995: 300}
    assert dict(book.asks) == {}
    assert set(view.orders) == {bid.order_id}
    assert view.holdings[("I1", "TJEA25")] == 300
    assert view.holdings[("MM", "TJEA25")] == -300
    assert (view.volume["TJEA25"], view.turnover["TJEA25"]) == (300, 300 * 5010)


def test_accounts_without_a_control_group_are_their_own(tape):
    tape.account("A1", group="G")
    tape.account("A2", group="G")
    tape.account("B1")
    view = MarketView(tape.reference)
    for event in tape.events:
        view.apply(event)
    assert view.related("A1", "A2")
    assert not view.related("A1", "B1")
    assert view.group("B1") == "B1"

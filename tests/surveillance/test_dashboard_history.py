"""The dashboard's day history: the book it replays is the book the market saw."""

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.events import OrderAccepted, OrderAmended, OrderCancelled, Trade
from engine.orders import Side
from engine.reference import load_reference_data
from surveillance.dashboard.day_history import DayHistory
from surveillance.market_data import MarketDataPublisher
from surveillance.scenarios.day import generate_day

REFERENCE = load_reference_data()


def published_top(publisher: MarketDataPublisher, instrument: str, side: int) -> list[tuple]:
    levels = publisher.depth(instrument, side)
    prices = sorted(levels, reverse=side == Side.BUY)[:5]
    return [(price, *levels[price]) for price in prices]


def replayed_top(replayed: dict, side: str) -> list[tuple]:
    return [(level["price"], level["quantity"], level["orders"]) for level in replayed[side]]


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), cuts=st.lists(st.floats(0.05, 1.0), min_size=3, max_size=8))
def test_the_replayed_book_is_the_published_book_at_every_moment(seed, cuts):
    events = generate_day(seed, episodes_per_pattern=1, activity=0.5).events
    history = DayHistory(REFERENCE)
    history.apply_all(events)
    publisher = MarketDataPublisher(REFERENCE)
    applied = 0
    for cut in sorted(int(len(events) * fraction) for fraction in cuts):
        # a moment is after the last event stamped with its time
        while cut < len(events) and events[cut].ts == events[cut - 1].ts:
            cut += 1
        publisher.apply_all(events[applied:cut])
        applied = cut
        at = events[cut - 1].ts
        for instrument in ("TJEA25", "CCER"):
            replayed = history.book_at(instrument, at, frozenset())
            assert replayed["complete"]
            assert replayed_top(replayed, "bids") == published_top(publisher, instrument, Side.BUY)
            assert replayed_top(replayed, "asks") == published_top(publisher, instrument, Side.SELL)


def test_an_accounts_events_and_activity_add_up():
    events = generate_day(7, episodes_per_pattern=1, activity=0.5).events
    history = DayHistory(REFERENCE)
    history.apply_all(events)
    account = "I01TJEA25"
    mine = list(history.account_events(account))
    trades = [e for e in mine if isinstance(e, Trade)]
    assert trades and all(account in (t.buy_account, t.sell_account) for t in trades)
    counted = sum(step.trades for step in history.activity[account].values())
    assert counted == len(trades)


def test_a_redelivered_event_changes_nothing():
    events = generate_day(3, episodes_per_pattern=0, activity=0.3).events
    history = DayHistory(REFERENCE)
    history.apply_all(events)
    kept = {date: {s: len(d.events) for s, d in day.items()} for date, day in history.days.items()}
    history.apply_all(events[-50:])
    assert kept == {
        date: {s: len(d.events) for s, d in day.items()} for date, day in history.days.items()
    }


def test_a_day_longer_than_the_bound_keeps_its_latest_events_and_says_replay_is_incomplete():
    events = generate_day(3, episodes_per_pattern=0, activity=0.3).events
    history = DayHistory(REFERENCE, max_events=100)
    history.apply_all(events)
    kept = next(iter(history.days.values()))["TJEA25"].events
    assert len(kept) == 100
    order_events = (OrderAccepted, OrderAmended, OrderCancelled, Trade)
    assert (
        kept[-1]
        == [e for e in events if isinstance(e, order_events) and e.instrument == "TJEA25"][-1]
    )
    replayed = history.book_at("TJEA25", events[-1].ts, frozenset())
    assert not replayed["complete"]

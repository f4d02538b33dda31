"""The dashboard's day history: the book it replays is the book the market saw."""

import tracemalloc

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.events import OrderAccepted, OrderAmended, OrderCancelled, Trade
from engine.orders import Side
from engine.reference import load_reference_data
from surveillance.dashboard.day_events import DayEvents
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
            assert replayed_top(replayed, "bids") == published_top(publisher, instrument, Side.BUY)
            assert replayed_top(replayed, "asks") == published_top(publisher, instrument, Side.SELL)


def test_an_accounts_events_and_activity_add_up():
    events = generate_day(7, episodes_per_pattern=1, activity=0.5).events
    history = DayHistory(REFERENCE)
    history.apply_all(events)
    account = "I01TJEA25"
    orders, trades = history.account_events(account, 10**6)
    assert trades and all(isinstance(t, Trade) for t in trades)
    assert all(account in (t.buy_account, t.sell_account) for t in trades)
    assert orders and all(e.account == account and not isinstance(e, Trade) for e in orders)
    counted = sum(step.trades for step in history.activity[account].values())
    assert counted == len(trades)
    assert [e.seq for e in orders] == sorted(e.seq for e in orders)
    latest_orders, latest_trades = history.account_events(account, 3)
    assert (latest_orders, latest_trades) == (orders[-3:], trades[-3:])


def kept(history: DayHistory) -> dict[tuple[str, str], int]:
    return {
        (date, symbol): history.events.count(date, symbol)
        for date in history.dates
        for symbol in REFERENCE.instruments
    }


def test_a_redelivered_event_changes_nothing():
    events = generate_day(3, episodes_per_pattern=0, activity=0.3).events
    history = DayHistory(REFERENCE)
    history.apply_all(events)
    before = kept(history)
    history.apply_all(events[-50:])
    assert kept(history) == before and sum(before.values()) > 0


def test_every_order_event_of_the_day_is_kept_off_the_heap():
    events = generate_day(3, episodes_per_pattern=0, activity=0.3).events
    order_events = (OrderAccepted, OrderAmended, OrderCancelled, Trade)
    tjea = [e for e in events if isinstance(e, order_events) and e.instrument == "TJEA25"]
    history = DayHistory(REFERENCE)
    history.apply_all(events)
    (date,) = history.dates
    assert history.events.count(date, "TJEA25") == len(tjea)
    assert history.window("TJEA25", tjea[0].ts, tjea[-1].ts) == tjea
    middle = tjea[len(tjea) // 2].ts
    assert history.window("TJEA25", middle, middle) == [e for e in tjea if e.ts == middle]


def test_only_the_latest_two_trading_days_are_kept():
    day = generate_day(3, episodes_per_pattern=0, activity=0.2).events
    history = DayHistory(REFERENCE)
    week = 7 * 24 * 3600 * 10**9  # the same weekday a week on: a trading day too
    for shift in range(3):
        history.apply_all(
            msgspec.structs.replace(e, seq=e.seq + shift * 10**6, ts=e.ts + shift * week)
            for e in day
        )
    assert len(history.dates) == 2
    assert history.dates == sorted(history.dates)
    assert all(history.events.count(date, "TJEA25") > 0 for date in history.dates)
    oldest = REFERENCE.calendar.trading_date(day[0].ts).isoformat()
    assert oldest not in history.events.dates()


def test_kept_events_do_not_grow_the_python_heap():
    events = generate_day(5, episodes_per_pattern=0, activity=3.0).events
    order_events = [
        e for e in events if isinstance(e, (OrderAccepted, OrderAmended, OrderCancelled, Trade))
    ]
    kept = DayEvents()
    for event in order_events[:100]:
        kept.add("2026-11-24", event)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for event in order_events[100:]:
            kept.add("2026-11-24", event)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(order_events) > 5_000
    assert grown < 32 * 1024  # whatever the count; as Python objects, ~300 bytes each
    assert kept.count("2026-11-24", "TJEA25") + kept.count("2026-11-24", "CCER") == len(
        order_events
    )

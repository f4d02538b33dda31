"""The generated days: deterministic, run through the engine's sequencer (so their events
are the exchange's own), and labelled with an episode of every pattern. Seeds 1-20 are
the tests'; the precision and recall in bench/surveillance.py are measured on seeds from
1000 on."""

import pytest

from engine.events import OrderAccepted, OrderAmended, OrderCancelled, OrderRejected, Trade
from engine.reasons import Reason
from surveillance.parameters import SIMULATED_PATTERNS
from surveillance.runner import Surveillance
from surveillance.scenarios.day import generate_day
from surveillance.scenarios.quality import measure


@pytest.fixture(scope="module")
def day():
    return generate_day(3)


def test_a_seed_gives_the_same_day():
    assert (
        generate_day(5, episodes_per_pattern=1).events
        == generate_day(5, episodes_per_pattern=1).events
    )


def test_every_pattern_is_injected_with_its_manipulators(day):
    assert {episode.pattern for episode in day.episodes} == set(SIMULATED_PATTERNS)
    for episode in day.episodes:
        assert episode.accounts
        assert episode.start <= episode.end


def test_the_day_is_consistent_order_by_order(day, reference):
    assert [event.seq for event in day.events] == list(range(1, len(day.events) + 1))
    assert all(a.ts <= b.ts for a, b in zip(day.events, day.events[1:], strict=False))
    open_quantity: dict[int, int] = {}
    for event in day.events:
        kind = type(event)
        if kind is OrderAccepted:
            open_quantity[event.order_id] = event.quantity
        elif kind is OrderAmended:
            assert event.order_id in open_quantity
            open_quantity[event.order_id] = event.leaves
        elif kind is Trade:
            assert event.buy_account != event.sell_account
            for order_id, leaves in (
                (event.buy_order_id, event.buy_leaves),
                (event.sell_order_id, event.sell_leaves),
            ):
                open_quantity[order_id] -= event.quantity
                assert open_quantity[order_id] == leaves >= 0
        elif kind is OrderCancelled:
            assert open_quantity.pop(event.order_id) == event.cancelled_quantity
        elif kind is OrderRejected:
            assert event.reason in (Reason.OUT_OF_BAND, Reason.EXCHANGE_CLOSED)
    assert not any(open_quantity.values()), "day orders expire at the close"


def test_orders_are_accepted_only_in_the_sessions(day, reference):
    sessions = reference.calendar.session_windows(
        reference.calendar.trading_date(day.events[-1].ts)
    )
    for event in day.events:
        if type(event) is OrderAccepted:
            assert any(start <= event.ts < end for start, end in sessions)


def test_every_episode_is_found_and_nothing_else(day, reference):
    quality = measure(Surveillance(reference).run(day.events), day.episodes)
    for pattern, counts in quality.items():
        assert counts.recall == 1.0, (pattern, counts.missed)
        assert counts.precision == 1.0, (pattern, counts.false_alerts)


@pytest.mark.parametrize("seed", [1, 2])
def test_an_honest_day_raises_no_alerts(reference, seed):
    day = generate_day(seed, episodes_per_pattern=0)
    assert Surveillance(reference).run(day.events) == []

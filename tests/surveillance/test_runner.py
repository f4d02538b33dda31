import itertools

import msgspec

from engine.orders import Side, TimeInForce
from surveillance.runner import Surveillance
from surveillance.scenarios.day import generate_day


def cancels(tape, count):
    tape.account("A1")
    for number in range(count):
        tape.at(number)
        tape.cancel(tape.order("A1", Side.BUY, 4900, 10))


def layering_episode(tape, cycles):
    """Every 0.5 s, L offers at four prices, buys on the bid and pulls the offers: each
    cycle's window touches the last, so it is one episode of 4 x `cycles` cancels."""
    tape.account("L")
    tape.account("I1")
    for cycle in range(cycles):
        start = 100 + cycle * 0.5
        layers = []
        for level in range(4):
            tape.at(start + level * 0.05)
            layers.append(tape.order("L", Side.SELL, 5010 + level + cycle % 3, 300))
        tape.at(start + 0.3)
        bid = tape.order("L", Side.BUY, 4995, 200)
        tape.trade(tape.order("I1", Side.SELL, 4995, 200, time_in_force=TimeInForce.IOC), bid)
        for level, order in enumerate(layers):
            tape.at(start + 0.4 + level * 0.05)
            tape.cancel(order)


def test_an_episode_of_thousands_of_cancels_is_one_alert_holding_every_sighting(tape):
    """The kept alert is what merging every sighting by set union gives (the plain
    definition, against the runner's sorted-ids merge), and the runner raises it again
    only when a sighting changed it."""
    layering_episode(tape, 1000)
    surveillance = Surveillance(tape.reference)
    [detector] = [d for d in surveillance.detectors if d.pattern == "layering"]
    sightings = []

    def tap(event):
        found = detector.on_event(event)
        sightings.extend(found)
        return found

    for handlers in surveillance.routes.values():
        handlers[:] = [tap if h == detector.on_event else h for h in handlers]
    raised = []
    for event in tape.events:
        raised.extend(a for a in surveillance.on_event(event) if a.pattern == "layering")
    [alert] = [a for a in surveillance.alerts.values() if a.pattern == "layering"]
    assert len(sightings) >= 2000  # at the third and the fourth level of every cycle
    assert alert.id == sightings[0].id
    assert alert.window_start == min(s.window_start for s in sightings)
    assert alert.window_end == max(s.window_end for s in sightings)
    assert alert.score == max(s.score for s in sightings)
    assert alert.order_ids == tuple(sorted({i for s in sightings for i in s.order_ids}))
    assert alert.trade_ids == tuple(sorted({i for s in sightings for i in s.trade_ids}))
    assert len(alert.order_ids) > 3900
    assert raised[-1] == alert
    for before, after in itertools.pairwise(raised):
        assert before != after and set(before.order_ids) <= set(after.order_ids)


def test_a_sighting_the_alert_already_holds_is_not_raised_again(tape):
    layering_episode(tape, 3)
    surveillance = Surveillance(tape.reference)
    for event in tape.events:
        surveillance.on_event(event)
    [kept] = [a for a in surveillance.alerts.values() if a.pattern == "layering"]
    older = msgspec.structs.replace(
        kept, window_end=kept.window_end - 1, order_ids=kept.order_ids[:2]
    )
    assert surveillance._record(older) is None
    assert surveillance.alerts[kept.id] == kept


def test_duplicate_alerts_for_one_pattern_account_and_window_merge_into_one(tape):
    """Frequent cancels raises when the count passes 500 and again at the day's end."""
    cancels(tape, 600)
    tape.close_day()
    surveillance = Surveillance(tape.reference)
    raised = []
    for event in tape.events:
        raised.extend(surveillance.on_event(event))
    frequent = [a for a in raised if a.pattern == "frequent_cancels"]
    assert len(frequent) == 2
    assert frequent[0].id == frequent[1].id
    assert frequent[1].evidence["cancels"] == 600
    assert [a.id for a in surveillance.alerts.values() if a.pattern == "frequent_cancels"] == [
        frequent[0].id
    ]


def test_alerts_in_windows_apart_stay_apart(tape):
    seller, buyer = tape.account("A1", group="G"), tape.account("A2", group="G")
    for minute in (1, 30):
        tape.at(60 * minute)
        offer = tape.order(seller, Side.SELL, 5000, 10)
        tape.trade(tape.order(buyer, Side.BUY, 5000, 10), offer)
    assert len(tape.alerts("self_trade")) == 2


def test_a_redelivered_event_changes_nothing(tape):
    seller, buyer = tape.account("A1", group="G"), tape.account("A2", group="G")
    offer = tape.order(seller, Side.SELL, 5000, 10)
    tape.trade(tape.order(buyer, Side.BUY, 5000, 10), offer)
    surveillance = Surveillance(tape.reference)
    for event in tape.events + tape.events:
        surveillance.on_event(event)
    [alert] = surveillance.alerts.values()
    assert alert.evidence["self_trades_today"] == 1


def test_the_day_ends_once_every_instrument_has_closed(tape):
    cancels(tape, 501)
    tape.close_day()
    last = tape.events[-1]
    surveillance = Surveillance(tape.reference)
    for event in tape.events[:-1]:
        surveillance.on_event(event)
    assert surveillance.open_day == "2026-11-24"
    surveillance.on_event(last)
    assert surveillance.open_day == ""


def test_a_stream_that_stops_mid_close_still_ends_its_day(tape):
    tape.account("F")
    tape.account("MM")
    order = tape.order("F", Side.BUY, 4900, 10)
    for number in range(1200):
        tape.at(10 + number)
        tape.amend(order, 4900 - number % 5)
    tape.close_day()
    surveillance = Surveillance(tape.reference)
    for event in tape.events[:-1]:
        surveillance.on_event(event)
    assert not [a for a in surveillance.alerts.values() if a.pattern == "message_flooding"]
    surveillance.finish()
    assert [a for a in surveillance.alerts.values() if a.pattern == "message_flooding"]


def test_the_same_day_gives_the_same_alerts(reference):
    day = generate_day(13, episodes_per_pattern=1)
    first = Surveillance(reference).run(day.events)
    second = Surveillance(reference).run(day.events)
    assert first == second
    assert len({alert.id for alert in first}) == len(first)

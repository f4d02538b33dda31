from engine.orders import Side
from surveillance.runner import Surveillance


def cancels(tape, count):
    tape.account("A1")
    for number in range(count):
        tape.at(number)
        tape.cancel(tape.order("A1", Side.BUY, 4900, 10))


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

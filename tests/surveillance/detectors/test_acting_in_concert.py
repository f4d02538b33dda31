"""Episodes spread over the accounts that act as one (a control group, a member session),
withdrawn by amendment, or split into orders: a true positive and a near miss each."""

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.orders import Side, TimeInForce
from tests.surveillance.conftest import Tape
from tests.surveillance.detectors.test_spoofing import quiet_book


def split_spoof(tape, spoofer="S", trader="S", parts=1, gap_ticks=1, amend=False):
    """A genuine offer by `trader`, a large bid of 2,000 t by `spoofer` in `parts` orders
    `gap_ticks` apart, the offer lifted, the bid withdrawn (by amendment to 2 %)."""
    tape.at(100)
    genuine = tape.order(trader, Side.SELL, 5005, 200)
    fakes = []
    for part in range(parts):
        tape.at(100.3 + part * 0.05)
        fakes.append(tape.order(spoofer, Side.BUY, 4995 - part * gap_ticks, 2000 // parts))
    tape.at(102)
    tape.trade(tape.order("I1", Side.BUY, 5005, 200, time_in_force=TimeInForce.IOC), genuine)
    tape.at(105)
    for fake in fakes:
        if amend:
            tape.amend(fake, fake.price, quantity=fake.quantity // 50)
        else:
            tape.cancel(fake)


def test_spoofing_split_across_a_control_group(tape):
    quiet_book(tape)
    tape.account("S1", group="G")
    tape.account("S2", group="G")
    split_spoof(tape, spoofer="S1", trader="S2")
    [alert] = tape.alerts("spoofing")
    assert alert.accounts == ("S1", "S2")


def test_near_miss_spoofing_by_two_unrelated_accounts(tape):
    quiet_book(tape)
    tape.account("S1")
    tape.account("S2")
    split_spoof(tape, spoofer="S1", trader="S2")
    assert tape.alerts("spoofing") == []


def test_spoofing_withdrawn_by_amendment(tape):
    quiet_book(tape)
    tape.account("S")
    split_spoof(tape, amend=True)
    [alert] = tape.alerts("spoofing")
    assert alert.evidence["order_quantity"] == 2000


def test_near_miss_an_amendment_that_leaves_half(tape):
    quiet_book(tape)
    tape.account("S")
    tape.at(100)
    genuine = tape.order("S", Side.SELL, 5005, 200)
    fake = tape.order("S", Side.BUY, 4995, 2000)
    tape.at(102)
    tape.trade(tape.order("I1", Side.BUY, 5005, 200, time_in_force=TimeInForce.IOC), genuine)
    tape.at(105)
    tape.amend(fake, 4995, quantity=1000)
    assert tape.alerts("spoofing") == []


def test_spoofing_split_into_orders_at_adjacent_prices(tape):
    quiet_book(tape)
    tape.account("S")
    split_spoof(tape, parts=4)
    [alert] = tape.alerts("spoofing")
    assert alert.evidence["orders_placed_together"] == 4


def test_near_miss_split_orders_far_apart_in_price(tape):
    quiet_book(tape)
    tape.account("S")
    split_spoof(tape, parts=4, gap_ticks=10)
    assert tape.alerts("spoofing") == []


def test_near_miss_a_two_sided_quoter_pulling_both_sides(tape):
    """A market maker's large bid and offer, placed together, pulled together after a fill:
    its other side is not negligible."""
    quiet_book(tape)
    tape.account("Q")
    tape.at(100)
    offer = tape.order("Q", Side.SELL, 5005, 2000)
    bid = tape.order("Q", Side.BUY, 4995, 2000)
    tape.at(102)
    tape.trade(tape.order("I1", Side.BUY, 5005, 200, time_in_force=TimeInForce.IOC), offer)
    tape.at(105)
    tape.cancel(bid)
    tape.cancel(offer)
    assert tape.alerts("spoofing") == []


def cancels(tape, accounts, count, session=""):
    for number in range(count):
        tape.at(number)
        account = accounts[number % len(accounts)]
        tape.cancel(tape.order(account, Side.BUY, 4900, 10, session=session), session=session)


def test_frequent_cancels_split_across_a_control_group(tape):
    tape.account("C1", group="G")
    tape.account("C2", group="G")
    cancels(tape, ["C1", "C2"], 600)
    [alert] = tape.alerts("frequent_cancels")
    assert alert.accounts == ("C1", "C2")
    assert alert.evidence["share_percent.C1"] == 50.1  # 251 of the first 501


def test_near_miss_frequent_cancels_of_unrelated_accounts(tape):
    tape.account("C1")
    tape.account("C2")
    cancels(tape, ["C1", "C2"], 600)
    assert tape.alerts("frequent_cancels") == []


def burst(tape, accounts, sessions):
    for number in range(320):
        tape.at(100 + number * 0.002)
        tape.order(accounts[number % 2], Side.BUY, 4900, 10, session=sessions[number % 2])


def test_message_flooding_from_two_accounts_behind_one_session(tape):
    tape.account("F1")
    tape.account("F2")
    burst(tape, ["F1", "F2"], ["S1", "S1"])
    [alert] = tape.alerts("message_flooding")
    assert alert.accounts == ("F1", "F2")
    assert alert.evidence["party"] == "session S1"


def test_near_miss_two_accounts_over_two_sessions_of_two_members(tape):
    tape.account("F1")
    tape.account("F2")
    burst(tape, ["F1", "F2"], ["S1", "S2"])
    assert tape.alerts("message_flooding") == []


@settings(max_examples=25, deadline=None)
@given(count=st.integers(400, 900), first_share=st.floats(0.0, 1.0))
def test_splitting_an_episode_across_a_group_never_lowers_its_score(reference, count, first_share):
    """The same cancels from one account, or shared between two accounts of its group in
    any proportion: the group's alert scores at least as high."""
    whole = Tape(reference)
    whole.account("C1", group="G")
    whole.account("C2", group="G")
    cancels(whole, ["C1"], count)
    split = Tape(reference)
    split.account("C1", group="G")
    split.account("C2", group="G")
    first = round(count * first_share)
    cancels(split, ["C1"], first)
    for number in range(count - first):
        split.at(first + number)
        split.cancel(split.order("C2", Side.BUY, 4900, 10))
    before = max((a.score for a in whole.alerts("frequent_cancels")), default=0)
    after = max((a.score for a in split.alerts("frequent_cancels")), default=0)
    assert after >= before

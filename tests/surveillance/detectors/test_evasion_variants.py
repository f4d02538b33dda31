"""The evasions the adversarial library injects, by hand: a true positive and a near
miss each, for layering, circular and pre-arranged trades, and ramping (spoofing,
cancels, message flooding and marking the close: test_acting_in_concert.py and
test_marking_the_close.py)."""

from engine.orders import Side, TimeInForce
from tests.surveillance.detectors.test_circular_trading import cross


def ladder(tape, layerer="L", trader="L", amend_to=None, per_level=1):
    """Offers at three prices (`per_level` orders each), a bid by `trader` lifted, the
    offers withdrawn: cancelled, or amended down to `amend_to` of their size."""
    tape.account("I1")
    layers = []
    for level, price in enumerate((5010, 5011, 5012)):
        for part in range(per_level):
            tape.at(100 + 0.1 * level + 0.02 * part)
            layers.append(tape.order(layerer, Side.SELL, price, 300 // per_level))
    tape.at(102)
    bid = tape.order(trader, Side.BUY, 4995, 200)
    tape.at(104)
    tape.trade(tape.order("I1", Side.SELL, 4995, 200, time_in_force=TimeInForce.IOC), bid)
    for number, order in enumerate(layers):
        tape.at(104.5 + 0.05 * number)
        if amend_to is None:
            tape.cancel(order)
        else:
            tape.amend(order, order.price, quantity=max(1, round(order.quantity * amend_to)))


def test_layering_split_across_a_control_group(tape):
    tape.account("L1", group="G")
    tape.account("L2", group="G")
    ladder(tape, layerer="L1", trader="L2")
    [alert] = tape.alerts("layering")
    assert alert.accounts == ("L1", "L2")


def test_near_miss_layering_and_trading_by_unrelated_accounts(tape):
    tape.account("L1")
    tape.account("L2")
    ladder(tape, layerer="L1", trader="L2")
    assert tape.alerts("layering") == []


def test_layering_withdrawn_by_amendment(tape):
    tape.account("L")
    ladder(tape, amend_to=0.05)
    [alert] = tape.alerts("layering")
    assert alert.evidence["price_levels"] == 3


def test_near_miss_ladder_amended_to_half_is_not_withdrawn(tape):
    tape.account("L")
    ladder(tape, amend_to=0.5)
    assert tape.alerts("layering") == []


def test_layering_split_into_several_orders_per_level(tape):
    tape.account("L")
    ladder(tape, per_level=2)
    [alert] = tape.alerts("layering")
    assert len(alert.order_ids) == 6


def test_near_miss_a_market_maker_quoting_the_other_side_too(tape):
    """The same ladder, but L also quotes 600 t on the bid throughout: two-sided."""
    tape.account("L")
    tape.at(99)
    tape.order("L", Side.BUY, 4990, 600)
    ladder(tape)
    assert tape.alerts("layering") == []


def test_circular_trading_with_legs_split_into_several_trades(tape):
    for name in ("A", "B", "C"):
        tape.account(name)
    for bite in range(3):
        cross(tape, 60 + bite * 20, "A", "B", 400)
    cross(tape, 600, "B", "C", 1200)
    cross(tape, 1200, "C", "A", 600)
    cross(tape, 1230, "C", "A", 601)
    [alert] = tape.alerts("circular_trading")
    assert alert.accounts == ("A", "B", "C")
    assert alert.evidence["trades_in_legs"] == 6


def test_near_miss_split_legs_that_do_not_add_up(tape):
    for name in ("A", "B", "C"):
        tape.account(name)
    for bite in range(2):  # 800 t, not 1,200
        cross(tape, 60 + bite * 20, "A", "B", 400)
    cross(tape, 600, "B", "C", 1200)
    cross(tape, 1200, "C", "A", 1200)
    assert tape.alerts("circular_trading") == []


def test_near_miss_a_taker_lifting_a_quote_that_rested_for_minutes(tape):
    """B sells to C and C to A by crosses, but A's sale to B is B lifting an offer A had
    shown for ten minutes: ordinary liquidity taking, not an arranged leg."""
    for name in ("A", "B", "C"):
        tape.account(name)
    tape.at(0)
    offer = tape.order("A", Side.SELL, 5000, 1000)
    tape.at(600)
    tape.trade(tape.order("B", Side.BUY, 5000, 1000, time_in_force=TimeInForce.IOC), offer)
    cross(tape, 900, "B", "C", 1000)
    cross(tape, 1200, "C", "A", 1000)
    assert tape.alerts("circular_trading") == []


def small_crosses(tape, quantity):
    tape.account("P")
    tape.account("Q")
    for number in range(3):
        tape.at(600 * (number + 1))
        offer = tape.order("P", Side.SELL, 5005, quantity)
        tape.at(600 * (number + 1) + 1)
        tape.trade(tape.order("Q", Side.BUY, 5005, quantity), offer)


def test_pre_arranged_crosses_of_modest_size(tape):
    small_crosses(tape, 150)
    [alert] = tape.alerts("pre_arranged_trades")
    assert alert.accounts == ("P", "Q")


def test_near_miss_odd_lots_under_the_minimum_cross(tape):
    small_crosses(tape, 60)
    assert tape.alerts("pre_arranged_trades") == []


def ramp_in_turns(tape, group):
    """R1 and R2 take turns lifting the offers 2.1 % up within five minutes, each with
    49 % of the volume."""
    tape.account("R1", group=group)
    tape.account("R2", group=group)
    for name in ("MM", "I1"):
        tape.account(name)
    tape.at(600)
    offer = tape.order("MM", Side.SELL, 5000, 100)
    tape.trade(tape.order("I1", Side.BUY, 5000, 100, time_in_force=TimeInForce.IOC), offer)
    for step, price in enumerate((5015, 5030, 5045, 5060, 5080, 5105)):
        tape.at(660 + 40 * step)
        offer = tape.order("MM", Side.SELL, price, 1000)
        rammer = ("R1", "R2")[step % 2]
        tape.trade(tape.order(rammer, Side.BUY, price, 1000, time_in_force=TimeInForce.IOC), offer)


def test_ramping_in_turns_by_two_accounts_of_a_group(tape):
    ramp_in_turns(tape, group="G")
    alerts = tape.alerts("ramping")
    assert alerts and alerts[-1].accounts == ("R1", "R2")


def test_near_miss_two_unrelated_accounts_each_under_half_the_volume(tape):
    ramp_in_turns(tape, group="")
    assert tape.alerts("ramping") == []


def split_crosses(tape, second_bid):
    """P offers 600 t three times; Q takes each with a bid of 300 t and one of
    `second_bid` t, all within seconds."""
    tape.account("P")
    tape.account("Q")
    tape.account("I1")
    for number in range(3):
        start = 600 * (number + 1)
        tape.at(start)
        offer = tape.order("P", Side.SELL, 5005, 600)
        tape.at(start + 1)
        tape.trade(tape.order("Q", Side.BUY, 5005, 300), offer)
        tape.at(start + 2)
        bid = tape.order("Q", Side.BUY, 5005, second_bid)
        tape.trade(bid, offer)
        if second_bid > 300:  # the rest of Q's bid is lifted by someone else
            tape.trade(tape.order("I1", Side.SELL, 5005, second_bid - 300), bid)


def test_pre_arranged_crosses_split_into_several_orders(tape):
    split_crosses(tape, second_bid=300)
    [alert] = tape.alerts("pre_arranged_trades")
    assert alert.evidence["matched_crosses_today"] == 3
    assert alert.evidence["trades_in_crosses"] == 6


def test_near_miss_split_bids_that_others_fill_too(tape):
    split_crosses(tape, second_bid=500)
    assert tape.alerts("pre_arranged_trades") == []

from engine.orders import Side, TimeInForce


def ramp(tape, last_price=5110):
    for name in ("R", "MM", "I1"):
        tape.account(name)
    tape.at(600)
    offer = tape.order("MM", Side.SELL, 5000, 100)
    tape.trade(tape.order("I1", Side.BUY, 5000, 100, time_in_force=TimeInForce.IOC), offer)
    prices = [5020, 5040, 5060, 5080, last_price]
    for step, price in enumerate(prices):
        tape.at(660 + 40 * step)
        offer = tape.order("MM", Side.SELL, price, 1000)
        tape.trade(tape.order("R", Side.BUY, price, 1000, time_in_force=TimeInForce.IOC), offer)


def test_one_account_buying_the_price_up_two_percent_in_five_minutes(tape):
    ramp(tape)  # 5000 -> 5110: +2.2%, R 5,000 t of 5,100 t
    [alert] = tape.alerts("ramping")
    assert alert.accounts == ("R",)
    assert alert.evidence["price_move_percent"] == 2.2
    assert alert.evidence["aggressive_volume_share_percent"] > 90
    assert len(alert.trade_ids) == 5


def test_near_miss_a_move_under_two_percent(tape):
    ramp(tape, last_price=5095)
    assert tape.alerts("ramping") == []


def test_near_miss_others_carry_more_than_half_the_window_volume(tape):
    for name in ("R", "MM", "I1"):
        tape.account(name)
    tape.at(600)
    offer = tape.order("MM", Side.SELL, 5000, 6000)
    tape.trade(tape.order("I1", Side.BUY, 5000, 6000, time_in_force=TimeInForce.IOC), offer)
    for step, price in enumerate([5020, 5040, 5060, 5080, 5110]):
        tape.at(660 + 40 * step)
        offer = tape.order("MM", Side.SELL, price, 1000)
        tape.trade(tape.order("R", Side.BUY, price, 1000, time_in_force=TimeInForce.IOC), offer)
    assert tape.alerts("ramping") == []

from engine.orders import Side, TimeInForce

MINUTE = 60


def trade_at(tape, seconds, price, buyer="I1", seller="MM"):
    tape.at(seconds)
    offer = tape.order(seller, Side.SELL, price, 10)
    tape.trade(tape.order(buyer, Side.BUY, price, 10, time_in_force=TimeInForce.IOC), offer)


def calm_morning(tape):
    """Eight quiet 5-minute windows, each 0.04% apart: a thin market, whose own returns say
    almost nothing, so the historical volatility (3 % a day: 0.43 % in 5 minutes of a
    4-hour day) is the estimate."""
    for name in ("MM", "I1", "I2"):
        tape.account(name)
    for window in range(8):
        trade_at(tape, window * 5 * MINUTE, 5002 - 2 * (window % 2))


def test_a_five_minute_move_beyond_four_standard_deviations(tape):
    calm_morning(tape)
    trade_at(tape, 41 * MINUTE, 5000, buyer="I2")
    trade_at(tape, 43 * MINUTE, 5100, buyer="I2")  # +2% > 4 x 0.43%
    [alert] = tape.alerts("abnormal_price_move")
    assert alert.evidence["sigmas"] > 4
    assert alert.evidence["return_percent"] == 2.0
    assert alert.evidence["rolling_std_percent"] == 0.433
    assert "I2" in alert.accounts


def test_near_miss_an_ordinary_one_percent_move_on_a_thin_market(tape):
    """The floor of old (25 bp) made this 4.8 sigmas; against the instrument's own
    history it is 2.8."""
    calm_morning(tape)
    trade_at(tape, 41 * MINUTE, 5000, buyer="I2")
    trade_at(tape, 43 * MINUTE, 5060, buyer="I2")  # +1.2%
    assert tape.alerts("abnormal_price_move") == []


def test_near_miss_the_gap_over_the_lunch_break_is_not_a_five_minute_move(tape):
    calm_morning(tape)
    trade_at(tape, 2 * 3600 - 30, 5000, buyer="I2")  # 11:29:30
    trade_at(tape, 3.5 * 3600 + 30, 5200, buyer="I2")  # 13:00:30, +4%
    assert tape.alerts("abnormal_price_move") == []


def test_a_trade_within_one_tick_of_the_band(tape):
    for name in ("MM", "I1"):
        tape.account(name)
    trade_at(tape, 60, 5499)  # TJEA25's band is 45.00-55.00
    [alert] = tape.alerts("abnormal_price_move")
    assert alert.evidence["band_high"] == 5500
    assert "upper" in alert.reason


def test_near_miss_two_ticks_inside_the_band(tape):
    for name in ("MM", "I1"):
        tape.account(name)
    trade_at(tape, 60, 5498)
    trade_at(tape, 4 * 3600, 4502)  # the afternoon session: no 5-minute move between them
    assert tape.alerts("abnormal_price_move") == []

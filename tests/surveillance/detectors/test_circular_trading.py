from engine.orders import Side, TimeInForce


def cross(tape, seconds, seller, buyer, quantity, price=5000):
    tape.at(seconds)
    offer = tape.order(seller, Side.SELL, price, quantity)
    tape.trade(tape.order(buyer, Side.BUY, price, quantity), offer)


def accounts(tape, *names):
    for name in names:
        tape.account(name)


def test_tonnes_sent_round_three_accounts_and_back(tape):
    accounts(tape, "A", "B", "C")
    cross(tape, 60, "A", "B", 1000)
    cross(tape, 600, "B", "C", 1005)
    cross(tape, 1200, "C", "A", 998)
    [alert] = tape.alerts("circular_trading")
    assert alert.accounts == ("A", "B", "C")
    assert alert.trade_ids == (1, 2, 3)
    assert alert.evidence["accounts_in_cycle"] == 3


def test_two_accounts_back_and_forth(tape):
    accounts(tape, "A", "B")
    cross(tape, 60, "A", "B", 2000)
    cross(tape, 600, "B", "A", 2010)
    [alert] = tape.alerts("circular_trading")
    assert alert.accounts == ("A", "B")


def test_near_miss_a_leg_more_than_one_percent_off(tape):
    accounts(tape, "A", "B", "C")
    cross(tape, 60, "A", "B", 1000)
    cross(tape, 600, "B", "C", 1000)
    cross(tape, 1200, "C", "A", 1015)
    assert tape.alerts("circular_trading") == []


def test_near_miss_a_ring_of_five_accounts_is_beyond_four(tape):
    accounts(tape, "A", "B", "C", "D", "E")
    for step, (seller, buyer) in enumerate(("AB", "BC", "CD", "DE", "EA")):
        cross(tape, 60 * (step + 1), seller, buyer, 1000)
    assert tape.alerts("circular_trading") == []


def test_near_miss_equal_partial_fills_against_a_quote_are_not_transfers(tape):
    accounts(tape, "MM", "I1")
    tape.at(60)
    quote = tape.order("MM", Side.SELL, 5000, 500)
    tape.trade(tape.order("I1", Side.BUY, 5000, 93, time_in_force=TimeInForce.IOC), quote)
    tape.at(600)
    bid = tape.order("MM", Side.BUY, 4990, 500)
    tape.trade(tape.order("I1", Side.SELL, 4990, 93, time_in_force=TimeInForce.IOC), bid)
    assert tape.alerts("circular_trading") == []

from engine.orders import Side


def crosses(tape, count, seller="P", buyer="Q", gap=2.0, buy_quantity=None):
    for number in range(count):
        start = 600 * (number + 1)
        quantity = 300 + 100 * number
        tape.at(start)
        offer = tape.order(seller, Side.SELL, 5005, quantity)
        tape.at(start + gap)
        bid = tape.order(buyer, Side.BUY, 5005, buy_quantity or quantity)
        tape.trade(bid, offer)


def test_the_same_two_accounts_meeting_with_equal_orders_three_times(tape):
    tape.account("P")
    tape.account("Q")
    crosses(tape, 3)
    [alert] = tape.alerts("pre_arranged_trades")
    assert alert.accounts == ("P", "Q")
    assert alert.trade_ids == (1, 2, 3)
    assert alert.evidence["matched_crosses_today"] == 3


def test_near_miss_twice_is_not_yet_an_arrangement(tape):
    tape.account("P")
    tape.account("Q")
    crosses(tape, 2)
    assert tape.alerts("pre_arranged_trades") == []


def test_near_miss_orders_entered_more_than_five_seconds_apart(tape):
    tape.account("P")
    tape.account("Q")
    crosses(tape, 4, gap=5.5)
    assert tape.alerts("pre_arranged_trades") == []


def test_near_miss_orders_of_different_sizes(tape):
    tape.account("P")
    tape.account("Q")
    crosses(tape, 4, buy_quantity=2000)
    assert tape.alerts("pre_arranged_trades") == []


def test_near_miss_related_accounts_are_self_trades_instead(tape):
    tape.account("P", group="G")
    tape.account("Q", group="G")
    crosses(tape, 4)
    assert tape.alerts("pre_arranged_trades") == []
    assert len(tape.alerts("self_trade")) == 4

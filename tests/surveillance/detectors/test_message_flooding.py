from engine.orders import Side


def burst(tape, count, within_s=0.9):
    tape.account("F")
    for number in range(count):
        tape.at(100 + number * within_s / count)
        tape.reject("F", 9999)


def test_three_hundred_messages_within_a_second(tape):
    burst(tape, 300)
    [alert] = tape.alerts("message_flooding")
    assert alert.accounts == ("F",)
    assert alert.evidence["messages_in_one_second"] == 300


def test_near_miss_299_messages_within_a_second(tape):
    burst(tape, 299)
    assert tape.alerts("message_flooding") == []


def test_near_miss_300_messages_over_more_than_a_second(tape):
    burst(tape, 300, within_s=1.2)
    assert tape.alerts("message_flooding") == []


def churn(tape, messages, trades):
    tape.account("F")
    tape.account("MM")
    order = tape.order("F", Side.BUY, 4900, 10)
    for number in range(messages - 1 - trades):
        tape.at(10 + number)
        tape.amend(order, 4900 - number % 7)
    for number in range(trades):
        tape.at(20_000 + number)
        bid = tape.order("F", Side.BUY, 5000, 1)
        tape.trade(bid, tape.order("MM", Side.SELL, 5000, 1))
    tape.close_day()


def test_an_order_to_trade_ratio_of_50_over_1000_messages_a_day(tape):
    churn(tape, messages=1000, trades=20)
    [alert] = tape.alerts("message_flooding")
    assert alert.evidence["messages_today"] == 1000
    assert alert.evidence["order_to_trade_ratio"] == 50


def test_near_miss_fewer_than_1000_messages(tape):
    churn(tape, messages=999, trades=5)
    assert tape.alerts("message_flooding") == []


def test_near_miss_a_ratio_under_50(tape):
    churn(tape, messages=1000, trades=21)
    assert tape.alerts("message_flooding") == []

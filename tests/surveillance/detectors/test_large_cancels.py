from engine.orders import Side


def large_cancels(tape, account, count, quantity):
    for number in range(count):
        tape.at(number)
        tape.cancel(tape.order(account, Side.BUY, 4800, quantity))


def test_more_than_50_cancels_of_orders_of_80_percent_of_the_maximum_alert(tape):
    account = tape.account("A1")
    large_cancels(tape, account, 51, 80_000)  # the maximum is 99,999 t
    [alert] = tape.alerts("large_cancels")
    assert alert.accounts == ("A1",)
    assert alert.evidence["cancels"] == 51
    assert len(alert.order_ids) == 51


def test_near_miss_orders_just_under_80_percent_do_not_count(tape):
    account = tape.account("A1")
    large_cancels(tape, account, 60, 79_999)
    assert tape.alerts("large_cancels") == []


def test_near_miss_exactly_50_large_cancels_do_not_alert(tape):
    account = tape.account("A1")
    large_cancels(tape, account, 50, 90_000)
    assert tape.alerts("large_cancels") == []

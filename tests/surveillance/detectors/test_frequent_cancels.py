from engine.orders import CancelCause, Side, TimeInForce


def cancels(tape, account, count, cause=CancelCause.REQUESTED, time_in_force=TimeInForce.DAY):
    for number in range(count):
        tape.at(number)
        order = tape.order(account, Side.BUY, 4900, 10, time_in_force=time_in_force)
        tape.cancel(order, cause)


def test_more_than_500_cancels_a_day_alert_once(tape):
    account = tape.account("A1")
    cancels(tape, account, 501)
    tape.close_day()
    [alert] = tape.alerts("frequent_cancels")
    assert alert.accounts == ("A1",)
    assert alert.evidence["cancels"] == 501
    assert alert.evidence["limit"] == 500


def test_the_final_count_updates_the_one_alert(tape):
    account = tape.account("A1")
    cancels(tape, account, 700)
    tape.close_day()
    [alert] = tape.alerts("frequent_cancels")
    assert alert.evidence["cancels"] == 700


def test_near_miss_500_cancels_plus_system_cancels_do_not_alert(tape):
    account = tape.account("A1")
    cancels(tape, account, 500)
    cancels(tape, account, 50, CancelCause.IOC_REMAINDER, TimeInForce.IOC)
    cancels(tape, account, 50, CancelCause.EXPIRED)
    tape.close_day()
    assert tape.alerts("frequent_cancels") == []

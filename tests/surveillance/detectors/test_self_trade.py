from engine.orders import Side


def test_a_trade_between_accounts_of_one_control_group_alerts_at_once(tape):
    seller, buyer = tape.account("A1", group="G"), tape.account("A2", group="G")
    offer = tape.order(seller, Side.SELL, 5000, 100)
    tape.trade(tape.order(buyer, Side.BUY, 5000, 100), offer)
    [alert] = tape.alerts("self_trade")
    assert alert.accounts == ("A1", "A2")
    assert alert.control_group == "G"
    assert alert.score == 50
    assert alert.trade_ids == (1,)


def test_more_than_five_self_trades_a_day_escalate(tape):
    seller, buyer = tape.account("A1", group="G"), tape.account("A2", group="G")
    for minute in range(6):
        tape.at(60 * minute)
        offer = tape.order(seller, Side.SELL, 5000, 10)
        tape.trade(tape.order(buyer, Side.BUY, 5000, 10), offer)
    alerts = sorted(tape.alerts("self_trade"), key=lambda a: a.window_start)
    assert [a.score for a in alerts] == [50, 50, 50, 50, 50, 90]
    assert alerts[-1].evidence["self_trades_today"] == 6


def test_near_miss_unrelated_accounts_trading_is_not_a_self_trade(tape):
    seller, buyer = tape.account("A1", group="G"), tape.account("B1", group="H")
    offer = tape.order(seller, Side.SELL, 5000, 100)
    tape.trade(tape.order(buyer, Side.BUY, 5000, 100), offer)
    assert tape.alerts("self_trade") == []

from engine.orders import Side

CLOSING_WINDOW = 5 * 3600 + 5 * 60  # 14:35, inside the last 30 minutes before 15:00


def cross(tape, seller, buyer, price, quantity):
    offer = tape.order(seller, Side.SELL, price, quantity)
    tape.trade(tape.order(buyer, Side.BUY, price, quantity), offer)


def day(tape, closing_price, closing_at=CLOSING_WINDOW):
    for name in ("X", "Y", "M", "P"):
        tape.account(name)
    tape.at(1800)
    cross(tape, "Y", "X", 5000, 1000)
    tape.at(closing_at)
    cross(tape, "P", "M", closing_price, 600)
    tape.close_day()


def test_a_large_share_of_the_closing_volume_that_moves_the_vwap_close(tape):
    day(tape, closing_price=5200)  # VWAP 5075 with, 5000 without: +1.5%
    alerts = tape.alerts("marking_the_close")
    assert sorted(a.accounts for a in alerts) == [("M",), ("P",)]
    evidence = alerts[0].evidence
    assert evidence["closing_window_volume_share_percent"] == 100
    assert evidence["close_move_percent"] == 1.5
    assert evidence["close_with_fen"] == 5075


def test_near_miss_the_close_moves_less_than_one_percent(tape):
    day(tape, closing_price=5100)  # 5037.5 vs 5000: +0.75%
    assert tape.alerts("marking_the_close") == []


def test_near_miss_the_same_trades_before_the_closing_window(tape):
    day(tape, closing_price=5200, closing_at=4 * 3600)  # 13:30
    assert tape.alerts("marking_the_close") == []

from engine.events import DayClosed, Trade
from engine.orders import Side
from surveillance.detectors.marking_the_close import MarkingTheCloseDetector
from surveillance.market_view import MarketView
from surveillance.parameters import MarkingTheClose

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
    [alert] = tape.alerts("marking_the_close")
    assert alert.accounts == ("M",)  # P's offer was lifted: P supplied, M marked
    evidence = alert.evidence
    assert evidence["closing_window_volume_share_percent"] == 100
    assert evidence["close_move_percent"] == 1.5
    assert evidence["close_with_fen"] == 5075


def test_near_miss_the_close_moves_less_than_one_percent(tape):
    day(tape, closing_price=5100)  # 5037.5 vs 5000: +0.75%
    assert tape.alerts("marking_the_close") == []


def test_near_miss_the_same_trades_before_the_closing_window(tape):
    day(tape, closing_price=5200, closing_at=4 * 3600)  # 13:30
    assert tape.alerts("marking_the_close") == []


def test_a_long_day_keeps_only_the_closing_windows_trades_and_the_same_verdict(tape, reference):
    """The detector keeps totals and a window of recent trades, not the day's trades; the
    verdict is the one the whole day's trades give."""
    for name in ("X", "Y", "M", "P"):
        tape.account(name)
    for step, seconds in enumerate(range(1800, CLOSING_WINDOW, 10)):
        if 2 * 3600 <= seconds < 3.5 * 3600:
            continue  # the lunch break
        tape.at(seconds)
        cross(tape, "Y", "X", 4990 + step % 20, 10)
    tape.at(CLOSING_WINDOW)
    cross(tape, "P", "M", 5200, 20_000)
    trades = [event for event in tape.events if isinstance(event, Trade)]
    tape.close_day()
    detector = MarkingTheCloseDetector(MarketView(reference), MarkingTheClose())
    in_window, alerts = 0, []
    for event in tape.events:
        if isinstance(event, Trade | DayClosed):
            alerts += detector.on_event(event)
        if isinstance(event, Trade):
            in_window = max(in_window, len(detector.days["TJEA25"].recent))

    assert len(trades) > 1000
    assert in_window == 5 * 6 + 1  # 14:30 (the window opens) to 14:35 every 10 s, and M's
    (alert,) = [a for a in alerts if a.accounts == ("M",)]
    day_turnover = sum(t.quantity * t.price for t in trades)
    day_volume = sum(t.quantity for t in trades)
    assert alert.evidence["close_with_fen"] == round(day_turnover / day_volume, 2)
    others = [t for t in trades if "M" not in (t.buy_account, t.sell_account)]
    close_without = sum(t.quantity * t.price for t in others) / sum(t.quantity for t in others)
    assert alert.evidence["close_without_fen"] == round(close_without, 2)
    assert detector.days == {}  # the day is forgotten once judged


def test_near_miss_the_only_market_maker_whose_quotes_are_hit_at_the_close(tape):
    """Q does all the closing volume, both ways, its resting quotes taken by others."""
    for name in ("X", "Y", "Q", "B1", "S1"):
        tape.account(name)
    tape.at(1800)
    cross(tape, "Y", "X", 5000, 1000)
    tape.at(CLOSING_WINDOW)
    cross(tape, "Q", "B1", 5200, 300)  # B1 lifts Q's offer
    tape.at(CLOSING_WINDOW + 60)
    bid = tape.order("Q", Side.BUY, 5190, 300)
    tape.trade(tape.order("S1", Side.SELL, 5190, 300), bid)  # S1 hits Q's bid
    tape.close_day()
    assert tape.alerts("marking_the_close") == []


def buyers_at_the_close(tape, group):
    """Four accounts each lift a quarter of the closing volume from P."""
    for name in ("X", "Y", "P"):
        tape.account(name)
    for number in range(1, 5):
        tape.account(f"M{number}", group=group)
    tape.at(1800)
    cross(tape, "Y", "X", 5000, 1000)
    tape.at(CLOSING_WINDOW)
    for number in range(1, 5):
        cross(tape, "P", f"M{number}", 5200, 150)
    tape.close_day()


def test_marking_the_close_from_four_accounts_of_one_group(tape):
    """Each has 25 % of the window, under the 30 %; as one party they have all of it."""
    buyers_at_the_close(tape, group="G")
    [alert] = tape.alerts("marking_the_close")
    assert alert.accounts == ("M1", "M2", "M3", "M4")
    assert alert.evidence["share_percent.M1"] == 25.0
    assert alert.evidence["close_move_percent"] == 1.5


def test_near_miss_the_same_buying_by_four_unrelated_accounts(tape):
    buyers_at_the_close(tape, group="")
    assert tape.alerts("marking_the_close") == []

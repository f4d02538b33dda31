"""Surveillance sees block trades for what they are: a trade between two named parties,
off the book. Wash inside a control group, position limits and circular trading count
them; marking the close, ramping and abnormal price moves never do; and a block priced
away from the market is a potential transfer-pricing trade, with its evidence."""

from engine.events import BlockTrade
from engine.orders import Side
from surveillance.parameters import BlockAwayFromMarket, Parameters
from tests.surveillance.conftest import Tape

SYMBOL = "TJEA25"  # reference price 50.00


def block(
    tape: Tape, seller: str, buyer: str, quantity: int, price: int, symbol: str = SYMBOL
) -> BlockTrade:
    tape.trade_id += 1
    return tape._add(
        BlockTrade,
        tape.trade_id,
        tape.trade_id,  # block id
        symbol,
        price,
        quantity,
        buyer,
        "M1",
        seller,
        "M1",
        "r",
        "a",
        Side.SELL,
        False,
    )


def book_trade(tape: Tape, seller: str, buyer: str, quantity: int, price: int) -> None:
    offer = tape.order(seller, Side.SELL, price, quantity)
    tape.trade(tape.order(buyer, Side.BUY, price, quantity), offer)


def test_a_block_priced_within_the_threshold_of_the_last_hours_vwap_is_quiet(tape):
    seller, buyer = tape.account("S"), tape.account("B")
    tape.at(3.5 * 3600)  # 13:00
    book_trade(tape, seller, buyer, 100, 5200)
    tape.at(4 * 3600)
    block(tape, seller, buyer, 200_000, 5200 * 109 // 100)  # 9 % above 52.00
    assert tape.alerts("block_away_from_market") == []


def test_a_block_away_from_the_book_vwap_alerts_with_its_evidence(tape):
    seller, buyer = tape.account("S", group="GS"), tape.account("B", group="GB")
    tape.at(3.5 * 3600)
    book_trade(tape, seller, buyer, 100, 5000)
    book_trade(tape, seller, buyer, 300, 5400)  # VWAP 53.00
    tape.at(4 * 3600)
    trade = block(tape, seller, buyer, 200_000, 4000)
    (alert,) = tape.alerts("block_away_from_market")
    evidence = alert.evidence
    assert (evidence["block_price"], evidence["benchmark_price"]) == ("40.00", "53.00")
    assert evidence["benchmark"] == "book VWAP of the last hour"
    assert (evidence["book_trades_in_window"], evidence["book_volume_in_window"]) == (2, 400)
    assert evidence["deviation_percent"] == 24.53
    assert evidence["block_away_percent"] == 10.0
    assert evidence["value_shifted"] == "2600000.00"  # 13.00 CNY x 200,000 t
    assert (evidence["buyer_group"], evidence["seller_group"]) == ("GB", "GS")
    assert alert.trade_ids == (trade.trade_id,)
    assert alert.accounts == ("B", "S")
    assert "moved from S to B" in alert.reason


def test_with_no_book_trade_in_the_hour_the_reference_price_is_the_market(tape):
    seller, buyer = tape.account("S"), tape.account("B")
    tape.at(0)
    book_trade(tape, seller, buyer, 100, 4000)  # more than an hour before the block
    tape.at(4 * 3600)
    block(tape, seller, buyer, 200_000, 5600)  # 12 % above the 50.00 reference
    (alert,) = tape.alerts("block_away_from_market")
    assert alert.evidence["benchmark"] == "reference price"
    assert alert.evidence["benchmark_price"] == "50.00"
    wider = Parameters(block_away_from_market=BlockAwayFromMarket(block_away_percent=15.0))
    assert tape.alerts("block_away_from_market", wider) == []


def test_a_block_inside_a_control_group_is_a_wash_trade(tape):
    seller, buyer = tape.account("A1", group="G"), tape.account("A2", group="G")
    trade = block(tape, seller, buyer, 200_000, 5000)
    (alert,) = tape.alerts("self_trade")
    assert alert.trade_ids == (trade.trade_id,) and alert.order_ids == ()


def test_a_block_counts_towards_the_buyers_position_limit(tape):
    seller, buyer = tape.account("S"), tape.account("B")
    tape.holding(seller, 1_000_000)
    block(tape, seller, buyer, 950_000, 5000)  # 95 % of the investor limit
    (alert,) = [a for a in tape.alerts("position_limit") if "B" in a.accounts]
    assert alert.accounts == ("B",)


def test_blocks_round_a_ring_of_accounts_are_circular_trading(tape):
    a, b, c = tape.account("A"), tape.account("B"), tape.account("C")
    for seller, buyer in ((a, b), (b, c), (c, a)):
        block(tape, seller, buyer, 200_000, 5000)
    (alert,) = tape.alerts("circular_trading")
    assert set(alert.accounts) == {"A", "B", "C"}


def test_blocks_never_mark_the_close_ramp_or_move_the_price(tape):
    seller, buyer = tape.account("S"), tape.account("B")
    tape.at(5.4 * 3600)  # 14:54, in the closing window
    for minute in range(5):
        tape.at(5.4 * 3600 + 60 * minute)
        block(tape, seller, buyer, 200_000, 6400 - 100 * minute)
    tape.close_day()
    patterns = {alert.pattern for alert in tape.run()}
    assert patterns.isdisjoint({"marking_the_close", "ramping", "abnormal_price_move"})
    assert "block_away_from_market" in patterns  # 64.00 is far from 50.00

"""Block trades in the market data, from the real sequencer's events: on the tape flagged
as block, counted in the bulletin's block volume and turnover, and never in the quote,
the bars, the open, high, low or the VWAP close."""

import msgspec

from engine.commands import AcceptBlock, EndOfDay, NewOrder
from engine.events import BlockTrade, DayClosed
from engine.orders import OrderType, Side, TimeInForce
from engine.reference import ReferenceData, load_reference_data
from engine.sequencer import Sequencer
from settlement.holds import SettlementHolds
from surveillance.market_data import DailyBulletin, MarketDataPublisher, Quote, TradePrint
from tests.engine.test_block_trades import AFTERNOON, SYMBOL, report, setup


def test_a_block_is_on_the_tape_and_in_the_bulletin_but_not_in_the_book_figures():
    reference: ReferenceData = load_reference_data()
    sequencer = Sequencer(reference, SettlementHolds(reference))
    publisher = MarketDataPublisher(reference)
    published = []

    def apply(command) -> list:
        events = sequencer.apply(command)
        published.extend(publisher.apply_all(events))
        return events

    for command in setup():
        apply(command)
    # a book trade of 100 t at 51.00, then a block of 200,000 t at 60.00
    book = [
        NewOrder(
            AFTERNOON, "S1", "s", SYMBOL, Side.SELL, OrderType.LIMIT, TimeInForce.DAY, 5100, 100
        ),
        NewOrder(
            AFTERNOON, "B1", "b", SYMBOL, Side.BUY, OrderType.LIMIT, TimeInForce.DAY, 5100, 100
        ),
    ]
    for command in book:
        apply(command)
    (alleged,) = apply(report(price=6000))
    (block,) = apply(AcceptBlock(AFTERNOON + 1, "MB", "a", alleged.block_id))
    assert type(block) is BlockTrade
    prints = [m for m in published if type(m) is TradePrint]
    assert [(p.price, p.quantity, p.block, p.aggressor) for p in prints] == [
        ("51.00", 100, False, "buy"),
        ("60.00", 200_000, True, "none"),
    ]
    assert [p.trade_id for p in publisher.blocks(SYMBOL)] == [block.trade_id]
    quote = publisher.snapshot(SYMBOL).quote
    assert (quote.last_price, quote.high, quote.volume) == ("51.00", "51.00", 100)
    assert [bar.volume for bar in publisher.bars(SYMBOL)] == [100]
    assert not [m for m in published[-1:] if type(m) is Quote]  # the block moved no quote

    closed = apply(EndOfDay(AFTERNOON + 2 * 3600 * 10**9, "2026-11-24"))
    day = next(e for e in closed if type(e) is DayClosed and e.instrument == SYMBOL)
    assert (day.close_price, day.volume, day.high_price) == (5100, 100, 5100)
    bulletin = publisher.store.latest(SYMBOL, before_event_seq=day.seq + 1)
    assert isinstance(bulletin, DailyBulletin)
    assert (bulletin.close, bulletin.volume, bulletin.block_volume) == ("51.00", 100, 200_000)
    assert bulletin.block_turnover == "12000000.00"
    assert bulletin.cumulative_volume == 200_100
    assert publisher.blocks(SYMBOL) == []  # the day's blocks start afresh
    assert msgspec.json.decode(msgspec.json.encode(prints[1]))["block"] is True

"""Block trades in the FIX market data: a trade entry that says "block trade" in its Text
(valid against the FIX 4.4 dictionary), and never the snapshot's last trade, which is the
book's."""

import datetime as dt
from zoneinfo import ZoneInfo

from engine.commands import ReportBlock
from engine.orders import Side
from gateway.trading.market_data import BLOCK_TRADE_TEXT, FixMarketData
from tests.gateway.test_fix_market_data import (
    Market,
    RecordingOutbox,
    answer,
    body,
    request,
)

AFTERNOON = int(dt.datetime(2026, 11, 24, 13, 30, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp())


def block(market: Market, price: int) -> None:
    market.apply(
        ReportBlock(
            AFTERNOON * 1_000_000_000, "M1", "x1", "TJEA25", Side.SELL, "A2", "A1", 100_000,
            price, cross=True,
        )
    )  # fmt: skip


def test_a_block_is_a_flagged_trade_entry_and_not_the_snapshots_last_trade():
    market, outbox = Market(), RecordingOutbox()
    feed = FixMarketData(market.publisher, outbox)
    market.order(Side.SELL, "50.00", 5)
    market.order(Side.BUY, "50.00", 5)
    answer(feed, request(types="2"))
    block(market, 5500)
    (x,) = outbox.take()
    fields = [(tag, value) for tag, value in body(x) if tag in (269, 270, 271, 58)]
    assert fields == [(269, "2"), (270, "55.00"), (271, "100000"), (58, BLOCK_TRADE_TEXT)]
    (w,) = answer(feed, request("r2", kind="0", types="2"))
    assert [value for tag, value in body(w) if tag in (270, 58)] == ["50.00"]

"""Auction results on the public market data: the two steps as AuctionResult messages on
the instrument's channel, to subscribers and through the market-data stream topic."""

import pytest

from engine.commands import AuctionClock, PlaceBid
from engine.events import Event
from engine.memory_stream import MemoryStream
from engine.reference import load_reference_data
from surveillance.market_data import MarketDataPublisher, SequenceTracker
from surveillance.market_data.continuity import Continuity
from surveillance.market_data.messages import AuctionResult, decode_message, encode_message
from surveillance.market_data.stream_topic import TopicPublication, market_data_topic
from surveillance.market_data.topic_reader import MarketDataReader
from tests.auction_fixtures import AuctionMarket, at, auction

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def auction_day() -> list[Event]:
    market = AuctionMarket(load_reference_data())
    market.apply(auction())
    market.apply(AuctionClock(at(10)))
    market.apply(PlaceBid(at(10, 5), "A2026-1", "I1", "a", 50_00, 30_000))
    market.apply(PlaceBid(at(10, 6), "A2026-1", "I2", "a", 49_00, 30_000))
    market.apply(AuctionClock(at(11)))
    market.apply(AuctionClock(at(14)))
    return market.events


async def test_both_steps_reach_subscribers_and_the_topic() -> None:
    publisher = MarketDataPublisher(load_reference_data())
    seen = []
    publisher.subscribe(seen.append, ["TJEA25"])
    messages = publisher.apply_all(auction_day())
    results = [m for m in messages if isinstance(m, AuctionResult)]
    first, second = results
    assert (first.step, first.price, first.volume_sold, first.bidders) == (1, "49.00", 60_000, None)
    assert (second.step, second.bidders, second.winners, second.cover_ratio) == (2, 2, 2, "0.60")
    assert second.revenue == "2940000.00" and second.hhi == 5_000
    assert decode_message(encode_message(second)) == second
    tracker = SequenceTracker()
    assert all(tracker.observe(m) is not Continuity.GAP for m in seen)  # one channel, no gap
    assert results == [m for m in seen if isinstance(m, AuctionResult)]

    stream = MemoryStream()
    topic = market_data_topic()
    publication = TopicPublication(stream, topic)
    await publication.start()
    await publication.publish(messages)
    reader = MarketDataReader(stream, topic, "test", start="beginning")
    read = []
    for _ in range(20):
        read += await reader.next(timeout=0.05)
    assert [m for m in read if isinstance(m, AuctionResult)] == results
    await reader.close()
    await publication.close()

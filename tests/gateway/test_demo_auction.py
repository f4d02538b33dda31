"""The demo day's auction through the real sequencer: announced at the start, bids from
the simulated entities and investors in the afternoon window, cleared at its close and
the full results out half an hour later."""

from engine.commands import AuctionClock
from engine.events import AuctionCleared, AuctionCreated, AuctionResults, BidAccepted, BidRejected
from engine.reference import load_reference_data
from engine.sequencer import Sequencer
from gateway.demo.auction import AUCTION_ID, NS_PER_MINUTE
from gateway.demo.market import DemoMarket, opening_commands
from settlement.holds import SettlementHolds
from tests.gateway.exchange_fixtures import FixedClock

REFERENCE = load_reference_data()


def test_the_demo_auction_is_announced_bid_cleared_and_published() -> None:
    start = FixedClock().now()
    demo = DemoMarket(None, REFERENCE, None, start)  # type: ignore[arg-type]
    sequencer = Sequencer(REFERENCE, SettlementHolds(REFERENCE))
    events = []
    for command in opening_commands(start) + demo.announce_auction(start):
        events += sequencer.apply(command)
    [created] = [e for e in events if isinstance(e, AuctionCreated)]
    assert created.announce_at == start and created.auction_id == AUCTION_ID
    events += sequencer.apply(AuctionClock(start))
    for command in demo.step(demo.auction.close_at - 1):  # the day's trading and bidding
        events += sequencer.apply(command)
    accepted = [e for e in events if isinstance(e, BidAccepted)]
    assert len(accepted) > 10
    assert not [e for e in events if isinstance(e, BidRejected)]
    events += sequencer.apply(AuctionClock(demo.auction.close_at))
    [cleared] = [e for e in events if isinstance(e, AuctionCleared)]
    assert cleared.volume_sold > 0 and cleared.price >= created.floor_price
    events += sequencer.apply(AuctionClock(demo.auction.close_at + 30 * NS_PER_MINUTE))
    [results] = [e for e in events if isinstance(e, AuctionResults)]
    assert results.bidders >= 3 and results.compliance_volume and results.investor_volume

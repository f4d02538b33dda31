"""Auction results on the public market data: each step of an auction's results as an
`AuctionResult` message on its instrument's channel, so the websocket, the stream topic
(`tcx marketdata watch`) and every subscriber get them in the channel's sequence."""

from collections.abc import Callable

from engine.events import AuctionCleared, AuctionCreated, AuctionResults, Event
from surveillance.market_data.instrument_feed import InstrumentFeed
from surveillance.market_data.messages import AuctionResult, Message, money_text, price_text

AUCTION_EVENTS = (AuctionCreated, AuctionCleared, AuctionResults)


class AuctionPublication:
    def __init__(self) -> None:
        self.auctions: dict[str, AuctionCreated] = {}
        self.first_steps: dict[str, AuctionResult] = {}

    def apply(self, event: Event, feed_for: Callable[[str], InstrumentFeed]) -> list[Message]:
        if isinstance(event, AuctionCreated):
            self.auctions[event.auction_id] = event
            return []
        created = self.auctions.get(event.auction_id)
        if created is None:
            return []
        feed = feed_for(created.instrument)
        if isinstance(event, AuctionCleared):
            first = AuctionResult(
                instrument=created.instrument,
                seq=feed._next(),
                event_seq=event.seq,
                ts=event.ts,
                auction_id=event.auction_id,
                step=1,
                volume=created.volume,
                price=price_text(event.price),
                volume_sold=event.volume_sold,
                cancelled=event.cancelled,
            )
            self.first_steps[event.auction_id] = first
            return [first]
        first = self.first_steps[event.auction_id]
        return [
            AuctionResult(
                instrument=created.instrument,
                seq=feed._next(),
                event_seq=event.seq,
                ts=event.ts,
                auction_id=event.auction_id,
                step=2,
                volume=created.volume,
                price=first.price,
                volume_sold=event.volume_sold,
                cancelled=False,
                bid_volume=event.bid_volume,
                cover_ratio=f"{event.cover_ratio_bp / 10_000:.2f}",
                bidders=event.bidders,
                winners=event.winners,
                revenue=money_text(event.revenue),
                compliance_volume=event.compliance_volume,
                investor_volume=event.investor_volume,
                min_bid=price_text(event.min_bid),
                max_bid=price_text(event.max_bid),
                mean_bid=price_text(event.mean_bid),
                hhi=event.hhi,
            )
        ]

"""Which event answers an auction command: the auction id with the bidder's client bid id
for bids, the auction id for a supervisor's create, clear and cancel."""

from engine.auctions import AuctionState
from engine.commands import (
    AmendBid,
    CancelAuction,
    ClearAuction,
    Command,
    CreateAuction,
    PlaceBid,
    WithdrawBid,
)
from engine.events import (
    AuctionCleared,
    AuctionCreated,
    AuctionStatus,
    BidAccepted,
    BidAmended,
    BidChangeRejected,
    BidRejected,
    BidWithdrawn,
    CommandRejected,
    Event,
)

AUCTION_COMMANDS = (CreateAuction, CancelAuction, ClearAuction, PlaceBid, AmendBid, WithdrawBid)


def answers_auction(command: Command, event: Event) -> bool:
    kind = type(command)
    if getattr(event, "auction_id", command.auction_id) != command.auction_id:
        return False
    if isinstance(event, CommandRejected):
        return (
            event.command == command.__struct_config__.tag and event.reference == command.auction_id
        )
    if kind is CreateAuction:
        return type(event) is AuctionCreated
    if kind is CancelAuction:
        return type(event) is AuctionStatus and event.state == AuctionState.CANCELLED
    if kind is ClearAuction:
        return type(event) is AuctionCleared
    if getattr(event, "account", None) != command.account:
        return False
    if kind is PlaceBid:
        return type(event) in (BidAccepted, BidRejected) and event.client_bid_id == (
            command.client_bid_id
        )
    if type(event) is BidChangeRejected:
        return event.client_bid_id == command.client_bid_id and event.is_amend == (kind is AmendBid)
    if kind is AmendBid:
        return type(event) is BidAmended and event.client_bid_id == command.client_bid_id
    return type(event) is BidWithdrawn and event.request_id == command.client_bid_id

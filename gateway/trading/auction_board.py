"""The gateway's view of the auctions, kept from the engine's events: what REST, FIX, the
public results and the dashboard show.

Bids are sealed: `bids_of` gives a member only its own accounts' bids; the demand curve
and the bidders are for supervisors; the public sees an auction once it is announced and
its results in two steps (§2): the clearing price and volume sold at once, the rest when
the engine publishes them (`AuctionResults`). Everything is kept for the day's history.
"""

import csv
import io
from collections.abc import Sequence

import msgspec

from engine.auctions import AuctionState, bidder_cap, group_cap
from engine.events import (
    AccountOpened,
    AuctionCleared,
    AuctionCreated,
    AuctionResults,
    AuctionStatus,
    BidAccepted,
    BidAllotted,
    BidAmended,
    BidWithdrawn,
    ControlGroupSet,
    Event,
)

STATE_NAMES = {state.value: state.name.lower() for state in AuctionState}


class BidView(msgspec.Struct):
    number: int
    account: str
    client_bid_id: str
    price: int
    quantity: int
    live: bool = True
    at_close: bool = False  # it was in the clearing (every such bid gets a BidAllotted)
    allotted: int = 0


class AuctionView:
    __slots__ = ("bids", "cleared", "created", "results", "state")

    def __init__(self, created: AuctionCreated) -> None:
        self.created = created
        self.state = AuctionState.SCHEDULED.value
        self.bids: dict[int, BidView] = {}
        self.cleared: AuctionCleared | None = None
        self.results: AuctionResults | None = None

    @property
    def auction_id(self) -> str:
        return self.created.auction_id

    def counted(self) -> list[BidView]:
        """The bids in the curve: the live ones, or after clearing the ones it cleared."""
        if self.cleared is not None:
            return [bid for bid in self.bids.values() if bid.at_close]
        return [bid for bid in self.bids.values() if bid.live]

    def schedule(self) -> dict:
        """What is public about the auction before its results: its parameters."""
        created = msgspec.structs.asdict(self.created)
        for private in ("seq", "entities", "actor"):
            created.pop(private)
        return created | {"state": STATE_NAMES[self.state]}

    def first_results(self) -> dict | None:
        if self.cleared is None:
            return None
        return {
            "auction_id": self.auction_id,
            "price": self.cleared.price,
            "volume_sold": self.cleared.volume_sold,
            "cancelled": self.cleared.cancelled,
        }

    def full_results(self) -> dict | None:
        if self.results is None:
            return None
        results = msgspec.structs.asdict(self.results)
        results.pop("seq")
        return results


class AuctionBoard:
    """A gateway listener: apply every batch of events, in order."""

    def __init__(self) -> None:
        self.auctions: dict[str, AuctionView] = {}
        self.kinds: dict[str, int] = {}
        self.groups: dict[str, str] = {}

    def apply_all(self, events: Sequence[Event]) -> None:
        for event in events:
            self.apply(event)

    def apply(self, event: Event) -> None:
        kind = type(event)
        if kind is AccountOpened:
            self.kinds[event.account] = event.kind
            self.groups[event.account] = event.control_group
        elif kind is ControlGroupSet:
            self.groups[event.account] = event.control_group
        elif kind is AuctionCreated:
            self.auctions[event.auction_id] = AuctionView(event)
        elif (auction := self.auctions.get(getattr(event, "auction_id", ""))) is None:
            return
        elif kind is AuctionStatus:
            auction.state = event.state
        elif kind is BidAccepted:
            auction.bids[event.bid_number] = BidView(
                event.bid_number, event.account, event.client_bid_id, event.price, event.quantity
            )
        elif kind is BidAmended:
            bid = auction.bids[event.bid_number]
            bid.client_bid_id, bid.price, bid.quantity = (
                event.client_bid_id,
                event.price,
                event.quantity,
            )
        elif kind is BidWithdrawn:
            auction.bids[event.bid_number].live = False
        elif kind is AuctionCleared:
            auction.cleared = event
        elif kind is BidAllotted:
            bid = auction.bids[event.bid_number]
            bid.at_close, bid.live, bid.allotted = True, False, event.quantity
        elif kind is AuctionResults:
            auction.results = event

    # --- what members and the public see ---------------------------------------------

    def public(self) -> list[AuctionView]:
        """Announced auctions (scheduled ones are not public yet), newest first."""
        shown = [a for a in self.auctions.values() if a.state != AuctionState.SCHEDULED]
        return shown[::-1]

    def bids_of(self, auction: AuctionView, accounts: set[str]) -> list[dict]:
        return [
            msgspec.structs.asdict(bid) for bid in auction.bids.values() if bid.account in accounts
        ]

    # --- what supervisors see ---------------------------------------------------------

    def demand_curve(self, auction: AuctionView) -> list[dict]:
        """Tonnes bid at each price, highest first, with the running total: the curve
        crosses the volume at the clearing price."""
        by_price: dict[int, int] = {}
        for bid in auction.counted():
            by_price[bid.price] = by_price.get(bid.price, 0) + bid.quantity
        curve, total = [], 0
        for price in sorted(by_price, reverse=True):
            total += by_price[price]
            curve.append({"price": price, "quantity": by_price[price], "cumulative": total})
        return curve

    def bidders(self, auction: AuctionView) -> list[dict]:
        """Each bidder's tonnes bid against its cap, and its control group's."""
        entities = {account: (v, s) for account, v, s in auction.created.entities}
        bid: dict[str, int] = {}
        won: dict[str, int] = {}
        for b in auction.counted():
            bid[b.account] = bid.get(b.account, 0) + b.quantity
            won[b.account] = won.get(b.account, 0) + b.allotted
        by_group: dict[str, int] = {}
        for account, quantity in bid.items():
            group = self.groups.get(account) or account
            by_group[group] = by_group.get(group, 0) + quantity
        rows = []
        for account, quantity in sorted(bid.items()):
            group = self.groups.get(account) or account
            rows.append(
                {
                    "account": account,
                    "control_group": self.groups.get(account, ""),
                    "bid": quantity,
                    "cap": bidder_cap(
                        auction.created, self.kinds.get(account, 0), entities.get(account, (0, 0))
                    ),
                    "group_bid": by_group[group],
                    "group_cap": group_cap(auction.created) or None,
                    "allotted": won.get(account, 0),
                }
            )
        return rows

    def allotments(self, auction: AuctionView) -> list[dict]:
        return [
            {
                "bid_number": b.number,
                "account": b.account,
                "price": b.price,
                "quantity": b.quantity,
                "allotted": b.allotted,
            }
            for b in auction.bids.values()
            if b.at_close
        ]


def results_csv(auctions: Sequence[AuctionView]) -> str:
    """The published results, one row per auction: the first step for every cleared
    auction, the second step's columns filled once they are published."""
    columns = (
        "auction_id",
        "instrument",
        "close_at",
        "volume",
        "price",
        "volume_sold",
        "cancelled",
        "bid_volume",
        "cover_ratio_bp",
        "bidders",
        "winners",
        "revenue",
        "compliance_volume",
        "investor_volume",
        "min_bid",
        "max_bid",
        "mean_bid",
        "hhi",
    )
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    for auction in auctions:
        first = auction.first_results()
        if first is None:
            continue
        row = {
            "instrument": auction.created.instrument,
            "close_at": auction.created.close_at,
            "volume": auction.created.volume,
        }
        writer.writerow(row | first | (auction.full_results() or {}))
    return out.getvalue()

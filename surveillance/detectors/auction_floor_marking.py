"""Auction floor marking: an account's book trades in the window whose VWAP sets an
auction's floor (factor x VWAP, carbon-lifecycle.md §2) lowered that VWAP by more than
`min_move_percent` (default 1 %), and the account or its control group bids in the
auction: cheap prints before the auction buy it a lower floor.

Per instrument and trading day the detector keeps the book volume and turnover, overall
and per account; when a bidder's first bid in a VWAP-floor auction arrives, the window's
VWAP is recomputed without the trades of the bidder's control group (a trade inside the
group counted once) and compared with the VWAP the floor used.
"""

from collections.abc import Sequence

from engine.events import AuctionCreated, BidAccepted, Event, Trade
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import AuctionFloorMarking, label

PATTERN = "auction_floor_marking"


class Day:
    """One instrument's book trading on one trading day."""

    __slots__ = ("by_account", "trades", "turnover", "volume")

    def __init__(self) -> None:
        self.volume = 0
        self.turnover = 0
        self.trades: list[Trade] = []  # kept: the group's trades are found at bid time
        self.by_account: set[str] = set()


class AuctionFloorMarkingDetector:
    pattern = PATTERN
    events = (Trade, AuctionCreated, BidAccepted)

    def __init__(self, view: MarketView, parameters: AuctionFloorMarking):
        self.view = view
        self.parameters = parameters
        self.days: dict[tuple[str, str], Day] = {}  # (instrument, trading date)
        self.auctions: dict[str, AuctionCreated] = {}
        self.tested: set[tuple[str, str]] = set()  # (auction, group) already tested

    def on_event(self, event: Event) -> Sequence[Alert]:
        kind = type(event)
        if kind is Trade:
            date = self.view.reference.calendar.trading_date(event.ts).isoformat()
            day = self.days.get((event.instrument, date))
            if day is None:
                day = self.days[(event.instrument, date)] = Day()
            day.volume += event.quantity
            day.turnover += event.quantity * event.price
            day.trades.append(event)
            return NO_ALERTS
        if kind is AuctionCreated:
            if event.floor_factor_bp:
                self.auctions[event.auction_id] = event
            return NO_ALERTS
        auction = self.auctions.get(event.auction_id)
        group = self.view.group(event.account)
        if auction is None or (event.auction_id, group) in self.tested:
            return NO_ALERTS
        self.tested.add((event.auction_id, group))
        return self._test(auction, event, group)

    def _test(self, auction: AuctionCreated, bid: BidAccepted, group: str) -> list[Alert]:
        window = [
            day
            for (instrument, date), day in self.days.items()
            if instrument == auction.instrument
            and auction.floor_window_from <= date <= auction.floor_window_to
        ]
        volume = sum(day.volume for day in window)
        turnover = sum(day.turnover for day in window)
        own = [
            trade
            for day in window
            for trade in day.trades
            if group in (self.view.group(trade.buy_account), self.view.group(trade.sell_account))
        ]
        own_volume = sum(t.quantity for t in own)
        own_turnover = sum(t.quantity * t.price for t in own)
        if not own or volume == own_volume:
            return []
        vwap_with = turnover / volume
        vwap_without = (turnover - own_turnover) / (volume - own_volume)
        lowered = 100 * (vwap_without - vwap_with) / vwap_without
        if lowered <= self.parameters.min_move_percent:
            return []
        accounts = sorted({a for t in own for a in (t.buy_account, t.sell_account)
                           if self.view.group(a) == group} | {bid.account})  # fmt: skip
        return [
            raise_alert(
                pattern=PATTERN,
                score=50 + 10 * lowered / self.parameters.min_move_percent,
                instrument=auction.instrument,
                accounts=accounts,
                control_group=group if group != bid.account else "",
                window_start=min(t.ts for t in own),
                window_end=bid.ts,
                evidence={
                    "auction_id": auction.auction_id,
                    "floor_window": f"{auction.floor_window_from}..{auction.floor_window_to}",
                    "vwap_with_fen": round(vwap_with, 2),
                    "vwap_without_fen": round(vwap_without, 2),
                    "lowered_percent": round(lowered, 3),
                    "threshold_percent": self.parameters.min_move_percent,
                    "own_volume": own_volume,
                    "window_volume": volume,
                    "floor_price_fen": auction.floor_price,
                    "parameters": label(PATTERN, self.parameters),
                },
                trade_ids=[t.trade_id for t in own],
                reason=(
                    f"{bid.account}'s group traded {own_volume:,} t of the {volume:,} t in "
                    f"the floor window of auction {auction.auction_id}, lowering the VWAP "
                    f"that set the floor by {lowered:.2f}%, then bid in the auction."
                ),
            )
        ]

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

"""The demo day's government auction: announced when the demo starts, bidding open for
half an hour from the afternoon session's start, cleared at its close and its full
results out half an hour later, so a new user sees the calendar, the demand curve fill,
the clearing and the results (run `tcx up --demo --speed 30` to reach the afternoon in
a few minutes).

200,000 t of TJEA25 from the government auction account, fixed floor 45.00, lots of
1,000 t; the simulated compliance entities (verified emissions 1,000,000 t each, so a
2 % cap of 20,000 t) and investors (100,000 t cap) bid a few times each during the
window, around the market's fair value.
"""

import random

from engine.auction_clearing import TieRule, Undersubscription
from engine.auctions import Eligibility
from engine.commands import Command, CreateAuction, MoveHolding, OpenAccount, PlaceBid
from engine.orders import AccountKind, HoldingMovementKind
from engine.reference import TradingCalendar

AUCTION_ID = "TJ-DEMO-1"
AUCTION_ACCOUNT = "GOV-AUCTION"
INSTRUMENT = "TJEA25"
VOLUME = 200_000
LOT = 1_000
FLOOR = 45_00
VERIFIED = 1_000_000
ENTITY_CAP = VERIFIED * 2 // 100  # the 2 % cap
INVESTOR_CAP = 100_000
NS_PER_MINUTE = 60_000_000_000
ACTOR = "demo-authority"


class DemoAuction:
    def __init__(
        self,
        calendar: TradingCalendar,
        rng: random.Random,
        entities: tuple[str, ...],
        investors: tuple[str, ...],
    ) -> None:
        self.calendar = calendar
        self.random = rng
        self.entities = entities
        self.investors = investors
        self.open_at = self.close_at = 0
        self.bids = 0
        self.bid: dict[str, int] = {}  # tonnes each bidder has bid: kept within its cap

    def opening(self, ts: int) -> list[Command]:
        """The auction account, its tonnes and the auction, announced at once."""
        sessions = self.calendar.session_windows(self.calendar.trading_date(ts))
        self.open_at = sessions[-1][0]  # the afternoon session's start
        self.close_at = self.open_at + 30 * NS_PER_MINUTE
        supply = MoveHolding(
            ts,
            AUCTION_ACCOUNT,
            INSTRUMENT,
            VOLUME,
            HoldingMovementKind.ALLOCATE,
            "demo-supply",
            ACTOR,
        )
        auction = CreateAuction(
            ts=ts,
            auction_id=AUCTION_ID,
            instrument=INSTRUMENT,
            seller=AUCTION_ACCOUNT,
            volume=VOLUME,
            lot=LOT,
            floor_price=FLOOR,
            floor_factor_bp=0,
            floor_window_from="",
            floor_window_to="",
            announce_at=ts,
            open_at=self.open_at,
            close_at=self.close_at,
            results_at=self.close_at + 30 * NS_PER_MINUTE,
            eligibility=Eligibility.COMPLIANCE | Eligibility.INVESTORS,
            entity_cap_bp=200,
            investor_cap=INVESTOR_CAP,
            group_cap_bp=5_000,
            tie_rule=TieRule.TIME,
            undersubscription=Undersubscription.SELL_BID,
            surrender_only=False,
            irrevocable=False,
            entities=[(entity, VERIFIED, 0) for entity in self.entities],
            actor=ACTOR,
            comment="demo day: paid allocation of 2025 allowances",
        )
        opened = OpenAccount(ts, AUCTION_ACCOUNT, "GOV", AccountKind.INVESTOR, "", 0, ACTOR)
        return [opened, supply, auction]

    def step(self, ts: int, fair: int) -> list[Command]:
        """Now and then, while bidding is open, a bid from an entity or an investor."""
        if not self.open_at <= ts < self.close_at or self.random.random() > 0.05:
            return []
        if self.random.random() < 0.5:
            bidder, lots, cap = (
                self.random.choice(self.entities),
                self.random.randint(2, 6),
                ENTITY_CAP,
            )
        else:
            bidder, lots = self.random.choice(self.investors), self.random.randint(3, 20)
            cap = INVESTOR_CAP
        quantity = min(lots * LOT, cap - self.bid.get(bidder, 0))
        if quantity <= 0:
            return []
        self.bid[bidder] = self.bid.get(bidder, 0) + quantity
        self.bids += 1
        price = max(FLOOR, fair + self.random.randint(-300, 100))
        return [PlaceBid(ts, AUCTION_ID, bidder, f"demo-bid-{self.bids}", price, quantity)]

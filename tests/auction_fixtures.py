"""A government auction to test with: a funded exchange (sequencer + settlement's holds),
the auction account holding the tonnes, and a CreateAuction with every §2 parameter."""

import datetime as dt
from zoneinfo import ZoneInfo

import msgspec

from engine.auction_clearing import TieRule, Undersubscription
from engine.auctions import Eligibility
from engine.commands import Command, CreateAuction, MoveCash, MoveHolding, OpenAccount
from engine.events import Event
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind
from engine.reference import ReferenceData
from engine.sequencer import Sequencer
from settlement.holds import SettlementHolds

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 24)  # a Tuesday
SELLER = "GOV-AUCTION"
INSTRUMENT = "TJEA25"
# account -> (member, kind, control group)
BIDDERS = {
    "E1": ("M1", AccountKind.COMPLIANCE, "GRP"),
    "E2": ("M1", AccountKind.COMPLIANCE, "GRP"),
    "E3": ("M2", AccountKind.COMPLIANCE, ""),
    "I1": ("M2", AccountKind.INVESTOR, ""),
    "I2": ("M3", AccountKind.INVESTOR, ""),
}
# the entities' previous-year verified emissions and shortfall (E3 has none)
ENTITIES = [("E1", 2_000_000, 50_000), ("E2", 1_000_000, 20_000), ("E3", 500_000, 0)]
CASH = 10_000_000_00  # fen per bidder: 10 million CNY
SUPPLY = 200_000


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> int:
    moment = dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI)
    return int(moment.timestamp()) * 1_000_000_000


def auction(**overrides: object) -> CreateAuction:
    """Announced 09:00, open 10:00-11:00, results at 14:00; a 48.00 floor; 100,000 t in
    lots of 1,000; entities capped at 2 % of verified emissions, investors at 30,000 t,
    a control group at 50 %."""
    command = CreateAuction(
        ts=at(8),
        auction_id="A2026-1",
        instrument=INSTRUMENT,
        seller=SELLER,
        volume=100_000,
        lot=1_000,
        floor_price=48_00,
        floor_factor_bp=0,
        floor_window_from="",
        floor_window_to="",
        announce_at=at(9),
        open_at=at(10),
        close_at=at(11),
        results_at=at(14),
        eligibility=Eligibility.COMPLIANCE | Eligibility.INVESTORS,
        entity_cap_bp=200,
        investor_cap=30_000,
        group_cap_bp=5_000,
        tie_rule=TieRule.TIME,
        undersubscription=Undersubscription.SELL_BID,
        surrender_only=False,
        irrevocable=False,
        entities=ENTITIES,
        actor="authority",
        comment="first paid allocation of the year",
    )
    return msgspec.structs.replace(command, **overrides)


class AuctionMarket:
    """Sequencer + settlement holds, each event kept, the auction account stocked."""

    def __init__(self, reference: ReferenceData) -> None:
        self.reference = reference
        self.holds = SettlementHolds(reference)
        self.sequencer = Sequencer(reference, self.holds)
        self.commands: list[Command] = []
        self.events: list[Event] = []
        self.apply(OpenAccount(0, SELLER, "GOV", AccountKind.INVESTOR, "", 0, "authority"))
        self.apply(
            MoveHolding(0, SELLER, INSTRUMENT, SUPPLY, HoldingMovementKind.ALLOCATE, "g", "reg")
        )
        for account, (member, kind, group) in BIDDERS.items():
            self.apply(OpenAccount(0, account, member, kind, group, 5_000_000, "ops"))
            self.apply(MoveCash(0, account, CASH, CashMovementKind.DEPOSIT, f"c-{account}", "ops"))

    def apply(self, command: Command) -> list[Event]:
        events = self.sequencer.apply(command)
        self.commands.append(command)
        self.events.extend(events)
        return events

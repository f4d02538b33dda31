"""Government auctions end to end in the engine with settlement's holds and the registry
ledger: the lifecycle by journaled time, every bad input of issue 15 (a reason, nothing
reserved or changed), DvP delivery booked once, surrender-only tonnes, the VWAP floor,
replay and a restart in the middle of the bidding window."""

import dataclasses

import msgspec
import pytest

from engine.auction_clearing import TieRule, Undersubscription
from engine.auctions import AuctionState, Eligibility
from engine.commands import (
    AmendBid,
    AuctionClock,
    CancelAuction,
    ClearAuction,
    EndOfDay,
    MoveHolding,
    NewOrder,
    PlaceBid,
    RestrictAccount,
    WithdrawBid,
)
from engine.events import (
    AuctionCleared,
    AuctionCreated,
    AuctionResults,
    AuctionStatus,
    BidAccepted,
    BidAllotted,
    BidAmended,
    BidChangeRejected,
    BidRejected,
    BidWithdrawn,
    CommandRejected,
    OrderRejected,
)
from engine.orders import HoldingMovementKind, OrderType, Side, TimeInForce
from engine.reasons import Reason
from engine.reference import ReferenceData
from engine.restrictions import Mode
from engine.sequencer import Sequencer
from settlement.auction_booking import SURRENDER_ONLY
from settlement.booking import AVAILABLE, CASH, CNY
from settlement.holds import SettlementHolds
from settlement.ledger import Ledger
from settlement.rebuild import rebuild_holds
from settlement.statements import end_of_day
from tests.auction_fixtures import (
    CASH as FUNDS,
)
from tests.auction_fixtures import (
    INSTRUMENT,
    SELLER,
    SUPPLY,
    AuctionMarket,
    at,
    auction,
)

ID = "A2026-1"


@pytest.fixture
def market(reference: ReferenceData) -> AuctionMarket:
    return AuctionMarket(reference)


def bid(account: str, client_id: str, price: int, quantity: int, ts: int = 0) -> PlaceBid:
    return PlaceBid(ts or at(10, 30), ID, account, client_id, price, quantity)


def states(events: list) -> list[int]:
    return [e.state for e in events if isinstance(e, AuctionStatus)]


def open_auction(market: AuctionMarket, **overrides: object) -> None:
    [created] = market.apply(auction(**overrides))
    assert isinstance(created, AuctionCreated)
    assert states(market.apply(AuctionClock(at(10)))) == [
        AuctionState.ANNOUNCED,
        AuctionState.OPEN,
    ]


def held(market: AuctionMarket, account: str) -> int:
    return market.holds.account(account).cash_held


def test_lifecycle_clears_at_the_close_and_delivers_dvp(
    market: AuctionMarket, ledger: Ledger
) -> None:
    [created] = market.apply(auction())
    assert created.floor_price == 48_00 and created.volume == 100_000
    assert states(market.apply(AuctionClock(at(9)))) == [AuctionState.ANNOUNCED]
    assert market.apply(AuctionClock(at(9, 30))) == []
    assert market.sequencer.auctions.next_due() == at(10)
    assert states(market.apply(AuctionClock(at(10)))) == [AuctionState.OPEN]
    accepted = [
        market.apply(bid("E1", "e1-a", 52_00, 30_000)),  # E1's cap: 2 % of 2,000,000 = 40,000
        market.apply(bid("E2", "e2-a", 50_00, 20_000)),  # E1 + E2 (one group) <= 50,000
        market.apply(bid("I1", "i1-a", 50_00, 30_000)),
        market.apply(bid("I2", "i2-a", 49_00, 25_000)),
        market.apply(bid("I2", "i2-b", 60_00, 5_000)),  # 30,000 with i2-a: the cap
    ]
    assert all(isinstance(events[0], BidAccepted) for events in accepted)
    assert held(market, "E1") == 30_000 * 52_00
    # amend (a new price takes a new time), withdraw
    [amended] = market.apply(AmendBid(at(10, 40), ID, "I2", "i2-a2", "i2-a", 49_00, 20_000))
    assert isinstance(amended, BidAmended)
    assert held(market, "I2") == 20_000 * 49_00 + 5_000 * 60_00
    [withdrawn] = market.apply(WithdrawBid(at(10, 50), ID, "I2", "w", "i2-b"))
    assert isinstance(withdrawn, BidWithdrawn) and held(market, "I2") == 20_000 * 49_00

    closing = market.apply(AuctionClock(at(11)))
    assert states(closing) == [AuctionState.CLOSED, AuctionState.CLEARED, AuctionState.SETTLED]
    [cleared] = [e for e in closing if isinstance(e, AuctionCleared)]
    # 30,000 @52 + 20,000 @50 (E2, earlier) + 30,000 @50 (I1) = 80,000; I2 takes the rest
    assert (cleared.price, cleared.volume_sold) == (49_00, 100_000)
    allotted = {e.account: e.quantity for e in closing if isinstance(e, BidAllotted)}
    assert allotted == {"E1": 30_000, "E2": 20_000, "I1": 30_000, "I2": 20_000}
    for account, quantity in allotted.items():
        holder = market.holds.account(account)
        assert holder.cash_held == 0  # what was not won, and the price difference, released
        assert holder.cash == FUNDS - quantity * 49_00  # every winner pays the uniform price
        assert holder.holdings[INSTRUMENT].available == quantity
    seller = market.holds.account(SELLER)
    assert seller.cash == 100_000 * 49_00
    assert seller.holdings[INSTRUMENT].available == SUPPLY - 100_000
    assert seller.holdings[INSTRUMENT].held == 0

    assert market.apply(AuctionClock(at(13))) == []
    [results] = market.apply(AuctionClock(at(14)))
    assert isinstance(results, AuctionResults)
    assert (results.bid_volume, results.bidders, results.winners) == (100_000, 4, 4)
    assert results.cover_ratio_bp == 10_000 and results.revenue == 100_000 * 49_00
    assert (results.compliance_volume, results.investor_volume) == (50_000, 50_000)
    assert (results.min_bid, results.max_bid) == (49_00, 52_00)
    # groups: GRP 50 %, I1 30 %, I2 20 % -> 2,500 + 900 + 400
    assert results.hhi == 3_800
    assert market.sequencer.auctions.next_due() is None

    # the registry books each allotment DvP, once
    assert ledger.book(market.events) == []
    assert ledger.book(market.events) == []  # redelivered: nothing booked twice
    assert ledger.balance("E1", INSTRUMENT, AVAILABLE) == 30_000
    assert ledger.balance(SELLER, CNY, CASH) == 100_000 * 49_00
    assert ledger.balance(SELLER, INSTRUMENT, AVAILABLE) == SUPPLY - 100_000
    assert ledger.balance("I2", CNY, CASH) == FUNDS - 20_000 * 49_00
    assert ledger.verify() == []  # conserved, postings = balances, lots = balances
    # the holds rebuilt from the registry at a start are the running ones
    assert rebuild_holds(ledger, market.reference, [], running=market.holds).differences == []
    # the day's statements reconcile with the allotments in them
    market.apply(EndOfDay(at(16), "2026-11-24"))
    assert ledger.book(market.events) == []
    report = end_of_day(ledger, "2026-11-24")
    assert report.conservation == []
    assert all(statement.reconciled for statement in report.statements)


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (bid("E1", "x", 47_99, 1_000), Reason.BELOW_FLOOR),
        (PlaceBid(at(10, 30), ID, "E1", "x", 48_00, 1_000), Reason.OK),
        (bid("E1", "x", 0, 1_000), Reason.BAD_PRICE),
        (bid("E1", "x", 48_00, 1_500), Reason.BAD_QUANTITY),
        (bid("E1", "x", 48_00, 1_000, ts=at(9, 59)), Reason.AUCTION_NOT_OPEN),
        (bid("E1", "x", 48_00, 1_000, ts=at(11)), Reason.AUCTION_NOT_OPEN),
        (bid(SELLER, "x", 48_00, 1_000), Reason.NOT_ELIGIBLE),
        (bid("NOBODY", "x", 48_00, 1_000), Reason.UNKNOWN_ACCOUNT),
        (bid("I1", "x", 48_00, 31_000), Reason.OVER_CAP),  # investor cap 30,000 alone
        (bid("E1", "x", 48_00, 41_000), Reason.OVER_CAP),  # 2 % of 2,000,000
        (bid("E2", "x", 48_00, 1_000_000), Reason.OVER_CAP),
        (PlaceBid(at(10, 30), "NO-SUCH", "E1", "x", 48_00, 1_000), Reason.UNKNOWN_AUCTION),
    ],
)
def test_a_bad_bid_is_refused_with_its_reason_and_changes_nothing(
    market: AuctionMarket, command: PlaceBid, reason: Reason
) -> None:
    open_auction(market)
    before = market.sequencer.state_hash()
    [event] = market.apply(command)
    if reason == Reason.OK:
        assert isinstance(event, BidAccepted)
        return
    assert isinstance(event, BidRejected) and event.reason == reason, event
    assert market.sequencer.state_hash() == before


def test_an_off_tick_bid_is_refused(reference: ReferenceData) -> None:
    coarse = dataclasses.replace(
        reference,
        instruments={
            symbol: dataclasses.replace(instrument, tick=5)
            for symbol, instrument in reference.instruments.items()
        },
    )
    market = AuctionMarket(coarse)
    open_auction(market)
    [event] = market.apply(bid("I1", "x", 48_03, 1_000))
    assert event.reason == Reason.OFF_TICK


def test_caps_count_the_bidders_other_bids_and_its_control_group(market: AuctionMarket) -> None:
    open_auction(market)
    assert isinstance(market.apply(bid("I1", "a", 50_00, 20_000))[0], BidAccepted)
    [over] = market.apply(bid("I1", "b", 50_00, 11_000))  # 31,000 with the first
    assert over.reason == Reason.OVER_CAP
    assert isinstance(market.apply(bid("E1", "a", 50_00, 40_000))[0], BidAccepted)
    [group] = market.apply(bid("E2", "a", 50_00, 11_000))  # GRP 51,000 > 50 % of 100,000
    assert group.reason == Reason.OVER_CAP
    # an amend is checked without the bid's own old quantity
    [amended] = market.apply(AmendBid(at(10, 31), ID, "I1", "a2", "a", 50_00, 30_000))
    assert isinstance(amended, BidAmended)
    [refused] = market.apply(AmendBid(at(10, 32), ID, "I1", "a3", "a2", 50_00, 31_000))
    assert refused.reason == Reason.OVER_CAP


def test_a_bid_without_the_cash_is_refused(market: AuctionMarket) -> None:
    open_auction(market, investor_cap=0)
    before = held(market, "I1")
    [event] = market.apply(bid("I1", "x", 500_00, 30_000))  # 15 million > 10 million
    assert event.reason == Reason.INSUFFICIENT_CASH
    assert held(market, "I1") == before


def test_shortfall_only_excludes_entities_without_one_and_investors(market: AuctionMarket) -> None:
    open_auction(market, eligibility=Eligibility.COMPLIANCE | Eligibility.SHORTFALL_ONLY)
    assert market.apply(bid("E3", "x", 50_00, 1_000))[0].reason == Reason.NOT_ELIGIBLE
    assert market.apply(bid("I1", "x", 50_00, 1_000))[0].reason == Reason.NOT_ELIGIBLE
    # E2's cap is its shortfall, 20,000, below 2 % of its emissions
    assert market.apply(bid("E2", "x", 50_00, 21_000))[0].reason == Reason.OVER_CAP
    assert isinstance(market.apply(bid("E2", "y", 50_00, 20_000))[0], BidAccepted)


def test_changes_in_an_irrevocable_auction_and_to_others_bids_are_refused(
    market: AuctionMarket,
) -> None:
    open_auction(market, irrevocable=True)
    [accepted] = market.apply(bid("I1", "a", 50_00, 1_000))
    for change in (
        AmendBid(at(10, 31), ID, "I1", "b", "a", 51_00, 1_000),
        WithdrawBid(at(10, 31), ID, "I1", "w", "a"),
    ):
        [event] = market.apply(change)
        assert isinstance(event, BidChangeRejected) and event.reason == Reason.BIDS_IRREVOCABLE
    revocable = AuctionMarket(market.reference)
    open_auction(revocable)
    [theirs] = revocable.apply(bid("I1", "a", 50_00, 1_000))
    [event] = revocable.apply(
        WithdrawBid(at(10, 31), ID, "I2", "w", "", bid_number=theirs.bid_number)
    )
    assert event.reason == Reason.NOT_YOUR_ORDER
    [event] = revocable.apply(WithdrawBid(at(10, 31), ID, "I2", "w", "a"))
    assert event.reason == Reason.UNKNOWN_ORDER  # I2 has no bid "a": it cannot see I1's
    [event] = revocable.apply(WithdrawBid(at(11, 1), ID, "I1", "w", "a"))
    assert event.reason == Reason.AUCTION_NOT_OPEN
    assert accepted.quantity == 1_000


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"open_at": at(11)}, Reason.BAD_SCHEDULE),  # open == close
        ({"announce_at": at(10, 30)}, Reason.BAD_SCHEDULE),  # announced after the open
        ({"results_at": at(10, 30)}, Reason.BAD_SCHEDULE),
        ({"ts": at(12)}, Reason.BAD_SCHEDULE),  # created after its close
        ({"volume": SUPPLY + 1_000}, Reason.INSUFFICIENT_HOLDINGS),
        ({"volume": 1_500}, Reason.BAD_AUCTION),  # not whole lots
        ({"instrument": "NOPE"}, Reason.UNKNOWN_INSTRUMENT),
        ({"seller": "NOPE"}, Reason.UNKNOWN_ACCOUNT),
        ({"floor_price": 0}, Reason.BAD_PRICE),
        ({"tie_rule": 9}, Reason.BAD_AUCTION),
        ({"group_cap_bp": 10_001}, Reason.BAD_AUCTION),
        ({"comment": " "}, Reason.COMMENT_REQUIRED),
        (
            {
                "floor_price": 0,
                "floor_factor_bp": 12_000,
                "floor_window_from": "2026-01-01",
                "floor_window_to": "2026-11-23",
            },
            Reason.NO_FLOOR_TRADES,
        ),
    ],
)
def test_a_bad_auction_is_refused_and_reserves_nothing(
    market: AuctionMarket, overrides: dict, reason: Reason
) -> None:
    before = market.sequencer.state_hash()
    [event] = market.apply(auction(**overrides))
    assert isinstance(event, CommandRejected) and event.reason == reason
    assert market.sequencer.state_hash() == before


def test_a_second_auction_with_the_same_id_is_refused(market: AuctionMarket) -> None:
    market.apply(auction())
    [event] = market.apply(auction(volume=1_000))
    assert event.reason == Reason.AUCTION_EXISTS


def test_clearing_twice_before_the_close_and_cancelling_settled_are_refused(
    market: AuctionMarket,
) -> None:
    open_auction(market)
    market.apply(bid("I1", "a", 50_00, 1_000))
    [early] = market.apply(ClearAuction(at(10, 59), ID, "authority"))
    assert early.reason == Reason.AUCTION_NOT_CLOSED
    cleared = market.apply(ClearAuction(at(11), ID, "authority"))
    assert AuctionState.SETTLED in states(cleared)
    [twice] = market.apply(ClearAuction(at(11, 1), ID, "authority"))
    assert twice.reason == Reason.AUCTION_CLEARED
    assert market.apply(AuctionClock(at(11, 2))) == []  # the clock does not clear it again
    [cancel] = market.apply(CancelAuction(at(11, 3), ID, "authority", "too late"))
    assert cancel.reason == Reason.AUCTION_SETTLED


def test_cancelling_releases_every_reservation(market: AuctionMarket) -> None:
    open_auction(market)
    market.apply(bid("I1", "a", 50_00, 10_000))
    [refused] = market.apply(CancelAuction(at(10, 40), ID, "authority", ""))
    assert refused.reason == Reason.COMMENT_REQUIRED
    events = market.apply(CancelAuction(at(10, 40), ID, "authority", "the registry is down"))
    assert [type(e) for e in events] == [BidWithdrawn, AuctionStatus]
    assert states(events) == [AuctionState.CANCELLED]
    assert held(market, "I1") == 0
    assert market.holds.account(SELLER).holdings[INSTRUMENT].available == SUPPLY
    assert market.apply(bid("I1", "b", 50_00, 1_000))[0].reason == Reason.AUCTION_CANCELLED


def test_undersubscribed_cancel_rule_allots_nothing(market: AuctionMarket) -> None:
    open_auction(market, undersubscription=Undersubscription.CANCEL)
    market.apply(bid("I1", "a", 50_00, 10_000))
    events = market.apply(AuctionClock(at(11)))
    [cleared] = [e for e in events if isinstance(e, AuctionCleared)]
    assert cleared.cancelled and cleared.volume_sold == 0
    assert states(events)[-1] == AuctionState.CANCELLED
    assert market.holds.account("I1").cash == FUNDS and held(market, "I1") == 0
    assert market.holds.account(SELLER).holdings[INSTRUMENT].available == SUPPLY


def test_pro_rata_auction_through_the_engine(market: AuctionMarket) -> None:
    open_auction(market, tie_rule=TieRule.PRO_RATA, volume=40_000, investor_cap=0, group_cap_bp=0)
    market.apply(bid("I1", "a", 50_00, 30_000))
    market.apply(bid("I2", "a", 50_00, 30_000))
    allotted = {
        e.account: e.quantity
        for e in market.apply(AuctionClock(at(11)))
        if isinstance(e, BidAllotted)
    }
    assert allotted == {"I1": 20_000, "I2": 20_000}


def book_trade(market: AuctionMarket, day: int, price: int, quantity: int) -> None:
    """One book trade between I1 (stocked by the registry) and I2 on 2026-11-<day>."""
    import datetime as dt

    date = dt.date(2026, 11, day)
    market.apply(
        MoveHolding(0, "I1", INSTRUMENT, quantity, HoldingMovementKind.ALLOCATE, f"t{day}", "r")
    )
    for account, side in (("I1", Side.SELL), ("I2", Side.BUY)):
        events = market.apply(
            NewOrder(
                at(10, day=date),
                account,
                f"o{day}{side}",
                INSTRUMENT,
                side,
                OrderType.LIMIT,
                TimeInForce.DAY,
                price,
                quantity,
            )
        )
        assert not isinstance(events[0], OrderRejected), events
    market.apply(EndOfDay(at(16, day=date), date.isoformat()))


def test_the_vwap_floor_is_computed_from_journaled_trades_and_shown_with_its_inputs(
    market: AuctionMarket,
) -> None:
    book_trade(market, 19, 50_00, 1_000)
    book_trade(market, 20, 52_00, 3_000)
    book_trade(market, 23, 55_00, 9_000)  # outside the window
    [created] = market.apply(
        auction(
            floor_price=0,
            floor_factor_bp=12_000,
            floor_window_from="2026-11-19",
            floor_window_to="2026-11-20",
        )
    )
    # VWAP = (50 x 1,000 + 52 x 3,000) / 4,000 = 51.50; x 1.2 = 61.80
    assert (created.floor_days, created.floor_volume) == (2, 4_000)
    assert created.floor_turnover == 50_00 * 1_000 + 52_00 * 3_000
    assert created.floor_price == 61_80


def test_surrender_only_tonnes_can_be_surrendered_but_never_sold_moved_or_pledged(
    market: AuctionMarket, ledger: Ledger
) -> None:
    open_auction(market, surrender_only=True)
    market.apply(bid("E1", "a", 50_00, 10_000))
    market.apply(AuctionClock(at(11)))
    holding = market.holds.account("E1").holdings[INSTRUMENT]
    assert (holding.surrender_only, holding.available) == (10_000, 0)
    tomorrow = at(10, day=__import__("datetime").date(2026, 11, 25))
    [sell] = market.apply(
        NewOrder(
            tomorrow,
            "E1",
            "s",
            INSTRUMENT,
            Side.SELL,
            OrderType.LIMIT,
            TimeInForce.DAY,
            50_00,
            1_000,
        )
    )
    assert isinstance(sell, OrderRejected) and sell.reason == Reason.SURRENDER_ONLY
    for kind in (HoldingMovementKind.TRANSFER_OUT, HoldingMovementKind.PLEDGE):
        [moved] = market.apply(
            MoveHolding(tomorrow, "E1", INSTRUMENT, 1_000, kind, f"k{kind}", "r")
        )
        assert isinstance(moved, CommandRejected) and moved.reason == Reason.SURRENDER_ONLY
    assert ledger.book(market.events) == []
    assert ledger.balance("E1", INSTRUMENT, SURRENDER_ONLY) == 10_000
    assert ledger.balance("E1", INSTRUMENT, AVAILABLE) == 0
    market.apply(
        MoveHolding(tomorrow, "E1", INSTRUMENT, 4_000, HoldingMovementKind.SURRENDER, "sur", "r")
    )
    assert holding.surrender_only == 6_000
    assert ledger.book(market.events) == []
    assert ledger.balance("E1", INSTRUMENT, SURRENDER_ONLY) == 6_000
    assert ledger.verify() == []
    assert rebuild_holds(ledger, market.reference, [], running=market.holds).differences == []
    # the registry refuses on its own too: a transfer it is handed is not booked
    forged = msgspec.structs.replace(
        [e for e in market.events if type(e).__name__ == "HoldingMoved"][-1],
        seq=market.sequencer.next_seq,
        kind=HoldingMovementKind.TRANSFER_OUT,
        quantity=1_000,
        reference="forged",
    )
    [failure] = ledger.book([forged])
    assert "do not cover" in failure.reason
    assert ledger.balance("E1", INSTRUMENT, SURRENDER_ONLY) == 6_000


def replayed(market: AuctionMarket, commands: list) -> Sequencer:
    sequencer = Sequencer(market.reference, SettlementHolds(market.reference))
    for command in commands:
        sequencer.apply(command)
    return sequencer


def test_replay_and_a_restart_mid_window_recover_every_bid(market: AuctionMarket) -> None:
    open_auction(market)
    market.apply(bid("E1", "a", 52_00, 30_000))
    market.apply(bid("I1", "a", 50_00, 30_000))
    market.apply(AmendBid(at(10, 35), ID, "I1", "a2", "a", 51_00, 20_000))
    market.apply(bid("I2", "a", 49_00, 30_000))
    middle = len(market.commands)
    assert replayed(market, market.commands).state_hash() == market.sequencer.state_hash()

    # restart: a fresh sequencer restored from the snapshot, then the rest of the day
    restarted = Sequencer(market.reference, SettlementHolds(market.reference))
    restarted.restore(market.sequencer.snapshot())
    assert restarted.state_hash() == market.sequencer.state_hash()
    assert restarted.snapshot() == market.sequencer.snapshot()
    rest = [
        bid("I2", "b", 53_00, 1_000, ts=at(10, 45)),
        AuctionClock(at(11)),
        AuctionClock(at(14)),
    ]
    for command in rest:
        assert restarted.apply(command) == market.apply(command)
    assert restarted.state_hash() == market.sequencer.state_hash()
    assert len(market.commands) == middle + len(rest)
    assert replayed(market, market.commands).state_hash() == market.sequencer.state_hash()


def test_bids_honour_enforcement_restrictions(market: AuctionMarket) -> None:
    open_auction(market)
    [accepted] = market.apply(bid("I1", "a", 50_00, 1_000))
    market.apply(RestrictAccount(at(10, 31), "I1", Mode.SELL_ONLY, 0, "inquiry", "R-1", "sup"))
    [refused] = market.apply(bid("I1", "b", 50_00, 1_000, ts=at(10, 32)))
    assert refused.reason == Reason.ACCOUNT_SELL_ONLY and "contact" in refused.text
    [amend] = market.apply(AmendBid(at(10, 33), ID, "I1", "a2", "a", 51_00, 1_000))
    assert amend.reason == Reason.ACCOUNT_SELL_ONLY
    [withdrawn] = market.apply(WithdrawBid(at(10, 34), ID, "I1", "w", "a"))  # a cancel: allowed
    assert isinstance(withdrawn, BidWithdrawn) and withdrawn.bid_number == accepted.bid_number

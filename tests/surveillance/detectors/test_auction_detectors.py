"""The two auction detectors on events from the real sequencer: a true positive and a
near miss each."""

import datetime as dt

from engine.commands import AuctionClock, EndOfDay, MoveHolding, NewOrder, PlaceBid
from engine.events import Event
from engine.orders import HoldingMovementKind, OrderType, Side, TimeInForce
from engine.reference import load_reference_data
from surveillance.detectors.auction_concentration import AuctionConcentrationDetector
from surveillance.detectors.auction_floor_marking import AuctionFloorMarkingDetector
from surveillance.market_view import MarketView
from surveillance.parameters import AuctionConcentration, AuctionFloorMarking
from tests.auction_fixtures import INSTRUMENT, AuctionMarket, at, auction

REFERENCE = load_reference_data()


def alerts_of(detector_class, parameters, events: list[Event]) -> list:
    view = MarketView(REFERENCE)
    detector = detector_class(view, parameters)
    found = []
    for event in events:
        view.apply(event)
        if type(event) in detector.events:
            found += detector.on_event(event)
    return found


def cleared(bids: list[tuple[str, int, int]]) -> list[Event]:
    """A 100,000 t auction without group caps, cleared with `bids` (account, price, t)."""
    market = AuctionMarket(REFERENCE)
    market.apply(auction(group_cap_bp=0, investor_cap=0, entity_cap_bp=0))
    market.apply(AuctionClock(at(10)))
    for number, (account, price, quantity) in enumerate(bids):
        market.apply(
            PlaceBid(at(10, 5 + number), "A2026-1", account, f"b{number}", price, quantity)
        )
    market.apply(AuctionClock(at(11)))
    return market.events


def test_one_control_group_winning_over_30_percent_is_flagged() -> None:
    # E1 and E2 share the control group GRP: 20,000 + 15,000 = 35 % of 100,000 sold;
    # I1 and I2 win 30 % each, at the threshold: not flagged
    events = cleared(
        [("E1", 50_00, 20_000), ("E2", 50_00, 15_000), ("I1", 49_00, 30_000),
         ("I2", 49_00, 30_000), ("E3", 49_00, 5_000)]
    )  # fmt: skip
    [alert] = alerts_of(AuctionConcentrationDetector, AuctionConcentration(), events)
    assert alert.accounts == ("E1", "E2") and alert.control_group == "GRP"
    assert alert.evidence["share_percent"] == 35.0
    assert alert.evidence["by_account"] == "E1=20000 E2=15000"


def test_near_miss_a_group_at_exactly_the_threshold_is_not_flagged() -> None:
    events = cleared(
        [("E1", 50_00, 15_000), ("E2", 50_00, 15_000), ("I1", 49_00, 30_000),
         ("I2", 49_00, 25_000), ("E3", 49_00, 15_000)]
    )  # fmt: skip
    assert alerts_of(AuctionConcentrationDetector, AuctionConcentration(), events) == []


def floor_auction(market_prices: list[tuple[str, str, int, int]]) -> list[Event]:
    """Book trades on 2026-11-19 (seller, buyer, price, t), then a 1.2 x VWAP auction on
    that day's trades, and a bid from E1 (group GRP)."""
    market = AuctionMarket(REFERENCE)
    day = dt.date(2026, 11, 19)
    for number, (seller, buyer, price, quantity) in enumerate(market_prices):
        market.apply(MoveHolding(0, seller, INSTRUMENT, quantity, HoldingMovementKind.ALLOCATE,
                                 f"h{number}", "r"))  # fmt: skip
        for account, side in ((seller, Side.SELL), (buyer, Side.BUY)):
            market.apply(
                NewOrder(at(10, number, day=day), account, f"o{number}{side}", INSTRUMENT, side,
                         OrderType.LIMIT, TimeInForce.DAY, price, quantity)
            )  # fmt: skip
    market.apply(EndOfDay(at(16, day=day), day.isoformat()))
    market.apply(
        auction(floor_price=0, floor_factor_bp=12_000, floor_window_from="2026-11-19",
                floor_window_to="2026-11-19")
    )  # fmt: skip
    market.apply(AuctionClock(at(10)))
    market.apply(PlaceBid(at(10, 30), "A2026-1", "E1", "b", 70_00, 1_000))
    return market.events


def test_a_bidders_group_lowering_the_floor_vwap_is_flagged() -> None:
    # I1 and I2 trade 4,000 t at 50.00; E2 (E1's group) sells 1,000 t to I2 at 45.00:
    # VWAP 49.00 with it, 50.00 without: lowered 2 %
    events = floor_auction([("I1", "I2", 50_00, 4_000), ("E2", "I2", 45_00, 1_000)])
    [alert] = alerts_of(AuctionFloorMarkingDetector, AuctionFloorMarking(), events)
    assert alert.accounts == ("E1", "E2") and alert.control_group == "GRP"
    assert alert.evidence["lowered_percent"] == 2.0
    assert alert.evidence["floor_price_fen"] == 58_80  # 1.2 x 49.00


def test_near_miss_a_trade_that_lowers_the_vwap_by_under_one_percent() -> None:
    # 9,000 t at 50.00 and E2's 1,000 t at 46.00: 49.60 against 50.00, 0.8 %
    events = floor_auction([("I1", "I2", 50_00, 9_000), ("E2", "I2", 46_00, 1_000)])
    assert alerts_of(AuctionFloorMarkingDetector, AuctionFloorMarking(), events) == []


def test_near_miss_the_cheap_trades_of_an_account_that_does_not_bid() -> None:
    events = floor_auction([("I2", "I1", 50_00, 4_000), ("I1", "E3", 45_00, 1_000)])
    assert alerts_of(AuctionFloorMarkingDetector, AuctionFloorMarking(), events) == []

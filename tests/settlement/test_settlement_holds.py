"""The pre-trade holds, called as the sequencer calls them."""

import inspect

import pytest
from settlement_builders import with_fees

from engine.holds import Holds
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind, Side
from engine.reasons import Reason
from engine.reference import ReferenceData
from settlement.fees import buy_cost
from settlement.holds import SettlementHolds

TJEA = "TJEA25"
DEPOSIT, WITHDRAW = CashMovementKind.DEPOSIT, CashMovementKind.WITHDRAW
BUY, SELL = Side.BUY, Side.SELL


@pytest.fixture
def holds(reference: ReferenceData) -> SettlementHolds:
    holds = SettlementHolds(with_fees(reference, 30))
    for name in ("BUYER", "SELLER"):
        assert holds.open_account(name, AccountKind.INVESTOR, 0) == Reason.OK
    assert holds.move_cash("BUYER", 1_000_000_00, DEPOSIT) == Reason.OK
    assert holds.move_holding("SELLER", TJEA, 10_000, HoldingMovementKind.ALLOCATE) == Reason.OK
    return holds


def test_a_buy_reserves_quantity_times_limit_plus_fee(holds: SettlementHolds):
    assert holds.reserve(1, "BUYER", TJEA, BUY, 100, 5000) == Reason.OK
    buyer = holds.account("BUYER")
    assert buyer.cash_held == 100 * 5000 + 100 * 5000 * 30 // 10_000
    assert buyer.available_cash == 1_000_000_00 - buyer.cash_held


def test_a_buy_beyond_available_cash_is_refused_and_changes_nothing(holds: SettlementHolds):
    before = holds.snapshot()
    assert holds.reserve(1, "BUYER", TJEA, BUY, 19_999, 5000) == Reason.INSUFFICIENT_CASH
    assert holds.snapshot() == before


def test_a_sell_reserves_tradable_tonnes(holds: SettlementHolds):
    assert holds.reserve(2, "SELLER", TJEA, SELL, 4_000, 5000) == Reason.OK
    holding = holds.account("SELLER").holdings[TJEA]
    assert (holding.available, holding.held) == (6_000, 4_000)
    assert holds.reserve(3, "SELLER", TJEA, SELL, 6_001, 5000) == Reason.INSUFFICIENT_HOLDINGS


def test_unknown_account_and_instrument_are_refused(holds: SettlementHolds):
    assert holds.reserve(1, "NOBODY", TJEA, BUY, 1, 5000) == Reason.UNKNOWN_ACCOUNT
    assert holds.reserve(1, "BUYER", "NOPE", BUY, 1, 5000) == Reason.UNKNOWN_INSTRUMENT
    assert holds.reserve(1, "BUYER", TJEA, BUY, 0, 5000) == Reason.BAD_QUANTITY


def test_a_fill_below_the_limit_refunds_the_price_improvement(holds: SettlementHolds):
    holds.reserve(1, "BUYER", TJEA, BUY, 100, 5000)
    holds.reserve(2, "SELLER", TJEA, SELL, 100, 4900)
    holds.fill(1, 2, 100, 4900)
    holds.release(1)
    holds.release(2)
    fee = 100 * 4900 * 30 // 10_000
    buyer, seller = holds.account("BUYER"), holds.account("SELLER")
    assert buyer.cash == 1_000_000_00 - 490_000 - fee
    assert buyer.cash_held == 0
    assert seller.cash == 490_000 - fee
    assert holds.fees_collected == 2 * fee
    assert buyer.cash + seller.cash + holds.fees_collected == 1_000_000_00
    assert buyer.holdings[TJEA].bought_today == 100
    assert seller.holdings[TJEA].held == 0
    assert seller.holdings[TJEA].available == 9_900


def test_partial_fills_keep_the_reservation_for_the_leaves(holds: SettlementHolds):
    holds.reserve(1, "BUYER", TJEA, BUY, 100, 5000)
    holds.reserve(2, "SELLER", TJEA, SELL, 30, 4990)
    holds.fill(1, 2, 30, 4990)
    holds.release(2)
    buyer = holds.account("BUYER")
    assert buyer.cash_held == buy_cost(70, 5000, 30)
    holds.release(1)
    assert buyer.cash_held == 0
    assert buyer.cash == 1_000_000_00 - buy_cost(30, 4990, 30)


def test_bought_tonnes_trade_the_next_day_and_proceeds_withdraw_the_next_day(holds):
    holds.reserve(1, "BUYER", TJEA, BUY, 100, 5000)
    holds.reserve(2, "SELLER", TJEA, SELL, 100, 5000)
    holds.fill(1, 2, 100, 5000)
    assert holds.reserve(3, "BUYER", TJEA, SELL, 1, 5000) == Reason.INSUFFICIENT_HOLDINGS
    seller = holds.account("SELLER")
    assert holds.move_cash("SELLER", 1, WITHDRAW) == Reason.NOT_WITHDRAWABLE
    # ...but the proceeds buy at once
    assert holds.reserve(4, "SELLER", TJEA, BUY, 10, 5000) == Reason.OK
    holds.release(4)
    holds.roll_day()
    assert holds.reserve(3, "BUYER", TJEA, SELL, 100, 5000) == Reason.OK
    assert holds.move_cash("SELLER", seller.cash, WITHDRAW) == Reason.OK
    assert seller.cash == 0


def test_cancel_returns_the_whole_reservation(holds: SettlementHolds):
    before = holds.snapshot()
    holds.reserve(1, "BUYER", TJEA, BUY, 100, 5000)
    holds.reserve(2, "SELLER", TJEA, SELL, 100, 5000)
    holds.release(1)
    holds.release(2)
    assert holds.snapshot() == before


def test_amend_resizes_and_refuses_an_uncovered_increase(holds: SettlementHolds):
    holds.reserve(1, "BUYER", TJEA, BUY, 100, 5000)
    assert holds.amend(1, 50, 5100) == Reason.OK
    assert holds.account("BUYER").cash_held == buy_cost(50, 5100, 30)
    before = holds.snapshot()
    assert holds.amend(1, 1_000_000, 5100) == Reason.INSUFFICIENT_CASH
    assert holds.snapshot() == before
    holds.reserve(2, "SELLER", TJEA, SELL, 100, 5000)
    assert holds.amend(2, 10_001, 5000) == Reason.INSUFFICIENT_HOLDINGS
    assert holds.amend(2, 40, 5000) == Reason.OK
    assert holds.account("SELLER").holdings[TJEA].available == 9_960
    assert holds.amend(99, 1, 5000) == Reason.UNKNOWN_ORDER


def test_position_limit_for_an_investor_counts_holdings_and_open_buys(reference):
    limit = reference.rules.investor_position_limit
    holds = SettlementHolds(reference)
    holds.open_account("INV", AccountKind.INVESTOR, 0)
    holds.move_cash("INV", 10**15, DEPOSIT)
    holds.move_holding("INV", TJEA, limit - 100, HoldingMovementKind.TRANSFER_IN)
    assert holds.reserve(1, "INV", TJEA, BUY, 60, 100) == Reason.OK
    assert holds.reserve(2, "INV", "TJEA24", BUY, 41, 100) == Reason.POSITION_LIMIT
    assert holds.reserve(2, "INV", "TJEA24", BUY, 40, 100) == Reason.OK
    # offsets are another class with their own limit
    assert holds.reserve(3, "INV", "CCER", BUY, 99_999, 100) == Reason.OK


def test_position_limit_for_a_compliance_entity_adds_its_allocation(reference):
    extra = reference.rules.compliance_position_extra
    holds = SettlementHolds(reference)
    holds.open_account("CO", AccountKind.COMPLIANCE, 300_000)
    holds.move_cash("CO", 10**15, DEPOSIT)
    holds.move_holding("CO", TJEA, 300_000, HoldingMovementKind.ALLOCATE)
    assert holds.reserve(1, "CO", TJEA, BUY, extra + 1, 100) == Reason.POSITION_LIMIT
    assert holds.reserve(1, "CO", TJEA, BUY, extra, 100) == Reason.OK


@pytest.mark.parametrize(
    ("kind", "quantity", "reason"),
    [
        (HoldingMovementKind.TRANSFER_OUT, 8_500, Reason.HOLDINGS_RESERVED),
        (HoldingMovementKind.TRANSFER_OUT, 9_001, Reason.HOLDINGS_ENCUMBERED),
        (HoldingMovementKind.TRANSFER_OUT, 10_001, Reason.INSUFFICIENT_HOLDINGS),
        (HoldingMovementKind.PLEDGE, 8_001, Reason.HOLDINGS_RESERVED),
        (HoldingMovementKind.PLEDGE, 9_001, Reason.HOLDINGS_ENCUMBERED),
        (HoldingMovementKind.CANCEL_FROZEN, 401, Reason.INSUFFICIENT_HOLDINGS),
        (HoldingMovementKind.ENFORCE, 601, Reason.INSUFFICIENT_HOLDINGS),
        (HoldingMovementKind.RELEASE, 601, Reason.INSUFFICIENT_HOLDINGS),
        (HoldingMovementKind.UNFREEZE, 401, Reason.INSUFFICIENT_HOLDINGS),
        (HoldingMovementKind.ALLOCATE, 0, Reason.BAD_AMOUNT),
        (HoldingMovementKind.CANCEL, -5, Reason.BAD_AMOUNT),
    ],
)
def test_encumbered_or_missing_tonnes_cannot_move(holds, kind, quantity, reason):
    assert holds.move_holding("SELLER", TJEA, 600, HoldingMovementKind.PLEDGE) == Reason.OK
    assert holds.move_holding("SELLER", TJEA, 400, HoldingMovementKind.FREEZE) == Reason.OK
    holds.reserve(7, "SELLER", TJEA, SELL, 1_000, 5000)
    before = holds.snapshot()
    assert holds.move_holding("SELLER", TJEA, quantity, kind) == reason
    assert holds.snapshot() == before


def test_pledge_release_freeze_unfreeze_round_trip(holds: SettlementHolds):
    before = holds.snapshot()
    for kind in (
        HoldingMovementKind.PLEDGE,
        HoldingMovementKind.FREEZE,
        HoldingMovementKind.RELEASE,
        HoldingMovementKind.UNFREEZE,
    ):
        assert holds.move_holding("SELLER", TJEA, 500, kind) == Reason.OK
    assert holds.snapshot() == before
    holds.move_holding("SELLER", TJEA, 500, HoldingMovementKind.PLEDGE)
    assert holds.reserve(1, "SELLER", TJEA, SELL, 9_501, 5000) == Reason.INSUFFICIENT_HOLDINGS


def test_surrender_may_use_tonnes_bought_today(holds: SettlementHolds):
    holds.reserve(1, "BUYER", TJEA, BUY, 100, 5000)
    holds.reserve(2, "SELLER", TJEA, SELL, 100, 5000)
    holds.fill(1, 2, 100, 5000)
    assert holds.move_holding("BUYER", TJEA, 100, HoldingMovementKind.SURRENDER) == Reason.OK
    assert holds.account("BUYER").holdings[TJEA].total == 0


def test_cash_movements_refuse_bad_input(holds: SettlementHolds):
    before = holds.snapshot()
    assert holds.move_cash("BUYER", 0, DEPOSIT) == Reason.BAD_AMOUNT
    assert holds.move_cash("BUYER", -1, DEPOSIT) == Reason.BAD_AMOUNT
    assert holds.move_cash("NOBODY", 1, DEPOSIT) == Reason.UNKNOWN_ACCOUNT
    assert holds.move_cash("BUYER", 1_000_000_01, WITHDRAW) == Reason.NOT_WITHDRAWABLE
    assert holds.open_account("BUYER", AccountKind.INVESTOR, 0) == Reason.ACCOUNT_EXISTS
    assert holds.open_account("@fees", AccountKind.INVESTOR, 0) == Reason.UNKNOWN_ACCOUNT
    assert holds.open_account("CO", AccountKind.COMPLIANCE, -1) == Reason.BAD_AMOUNT
    assert holds.snapshot() == before


def test_snapshot_restores_exactly(holds: SettlementHolds, reference):
    holds.reserve(1, "BUYER", TJEA, BUY, 100, 5000)
    holds.reserve(2, "SELLER", TJEA, SELL, 300, 4900)
    holds.fill(1, 2, 60, 4900)
    copy = SettlementHolds(with_fees(reference, 30))
    copy.restore(holds.snapshot())
    assert copy.snapshot() == holds.snapshot()
    # the copy behaves identically afterwards
    for target in (holds, copy):
        target.fill(1, 2, 40, 4900)
        target.release(1)
        assert target.reserve(3, "SELLER", TJEA, SELL, 9_801, 1) == Reason.INSUFFICIENT_HOLDINGS
    assert copy.snapshot() == holds.snapshot()


def test_it_implements_the_engines_holds_protocol_exactly():
    protocol_methods = [
        name for name, value in vars(Holds).items() if callable(value) and not name.startswith("_")
    ]
    assert protocol_methods  # the protocol is read, not assumed
    for name in protocol_methods:
        theirs = inspect.signature(getattr(Holds, name))
        mine = inspect.signature(getattr(SettlementHolds, name))
        assert list(mine.parameters) == list(theirs.parameters), name
        assert mine.return_annotation == theirs.return_annotation, name

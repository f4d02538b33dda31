"""Block trades in the sequencer (carbon-lifecycle.md §1): every rule, every refusal with
its reason and nothing changed, reservations freed on every ending, expiry by journaled
time, and the open allegations in the snapshot and the state hash."""

import dataclasses

import msgspec
import pytest

from engine.block_trades import BlockCause
from engine.commands import (
    AcceptBlock,
    CancelBlock,
    ClockTick,
    Command,
    DeclineBlock,
    EndOfDay,
    Halt,
    MoveCash,
    MoveHolding,
    OpenAccount,
    ReportBlock,
    RestrictAccount,
    WithdrawBlock,
)
from engine.events import BlockAlleged, BlockClosed, BlockRejected, BlockTrade
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind, Side
from engine.reasons import TEXT, Reason
from engine.reference import ReferenceData
from engine.restrictions import Mode
from engine.sequencer import Sequencer
from settlement.holds import SettlementHolds
from tests.engine.conftest import TRADING_DAY, at

SYMBOL = "TJEA25"  # reference 50.00, block band 35.00 .. 65.00
QTY = 200_000
PRICE = 5000
BPS = 10  # block commission in the tests below
SELLER_TONNES = 500_000
BUYER_CASH = 20_000_000_00  # 20 million CNY
AFTERNOON = at(13, 30)
ACCOUNTS = {  # account: member, control group, tonnes, cash
    "S1": ("MS", "", SELLER_TONNES, 0),
    "S2": ("MS", "", 0, BUYER_CASH),
    "B1": ("MB", "", 0, BUYER_CASH),
    "B2": ("MB", "GS", 0, 1_000),  # nearly no cash; in S3's control group
    "S3": ("MS", "GS", SELLER_TONNES, 0),
}


@pytest.fixture
def block_reference(reference: ReferenceData) -> ReferenceData:
    rules = dataclasses.replace(reference.rules, block_commission_bps=BPS)
    return dataclasses.replace(reference, rules=rules)


def setup() -> list[Command]:
    """Opens and funds the accounts of ACCOUNTS."""
    commands: list[Command] = []
    for account, (member, group, tonnes, cash) in ACCOUNTS.items():
        commands.append(OpenAccount(0, account, member, AccountKind.INVESTOR, group, 0, "t"))
        if cash:
            deposit = CashMovementKind.DEPOSIT
            commands.append(MoveCash(0, account, cash, deposit, f"c-{account}", "t"))
        if tonnes:
            allocate = HoldingMovementKind.ALLOCATE
            commands.append(MoveHolding(0, account, SYMBOL, tonnes, allocate, f"h-{account}", "t"))
    return commands


def opened(reference: ReferenceData) -> Sequencer:
    sequencer = Sequencer(reference, SettlementHolds(reference))
    for command in setup():
        sequencer.apply(command)
    return sequencer


@pytest.fixture
def sequencer(block_reference: ReferenceData) -> Sequencer:
    return opened(block_reference)


def report(**fields: object) -> ReportBlock:
    base = ReportBlock(AFTERNOON, "MS", "r1", SYMBOL, Side.SELL, "S1", "B1", QTY, PRICE)
    return msgspec.structs.replace(base, **fields)


def holds_of(sequencer: Sequencer, account: str) -> tuple[int, int, int, int]:
    """(cash, cash reserved, tonnes available, tonnes reserved) of `account` in SYMBOL."""
    owner = sequencer.holds.account(account)
    holding = owner.holdings.get(SYMBOL)
    available, held = (holding.available, holding.held) if holding else (0, 0)
    return owner.cash, owner.cash_held, available, held


def only(events: list, kind: type):
    (event,) = [e for e in events if type(e) is kind]
    return event


def test_allegation_reserves_the_initiators_side_and_acceptance_trades(sequencer: Sequencer):
    (alleged,) = sequencer.apply(report())
    assert type(alleged) is BlockAlleged
    assert alleged.counterparty_member == "MB"
    assert alleged.expires == AFTERNOON + 15 * 60 * 1_000_000_000
    assert holds_of(sequencer, "S1") == (0, 0, SELLER_TONNES - QTY, QTY)
    assert sequencer.blocks.next_expiry() == alleged.expires

    (trade,) = sequencer.apply(AcceptBlock(at(13, 40), "MB", "acc-1", alleged.block_id))
    turnover = QTY * PRICE
    fee = turnover * BPS // 10_000
    assert type(trade) is BlockTrade
    assert (trade.buy_account, trade.sell_account) == ("B1", "S1")
    assert (trade.buy_member, trade.sell_member) == ("MB", "MS")
    assert (trade.initiator_report_id, trade.acceptor_report_id, trade.cross) == (
        "r1",
        "acc-1",
        False,
    )
    assert holds_of(sequencer, "S1") == (turnover - fee, 0, SELLER_TONNES - QTY, 0)
    buyer = sequencer.holds.account("B1")
    assert (buyer.cash, buyer.cash_held) == (BUYER_CASH - turnover - fee, 0)
    assert buyer.holdings[SYMBOL].bought_today == QTY  # T+1 as for a book trade
    assert sequencer.holds.fees_collected == 2 * fee
    listing = sequencer.listings[SYMBOL]
    assert (listing.volume, listing.open, listing.high) == (0, 0, 0)  # not a book trade
    assert sequencer.blocks.allegations == {}
    assert sequencer.blocks.next_expiry() == 0


def test_a_buy_allegation_reserves_cash_with_the_block_fee(sequencer: Sequencer):
    (alleged,) = sequencer.apply(
        report(member="MB", side=Side.BUY, account="B1", counterparty="S1")
    )
    turnover = QTY * PRICE
    assert holds_of(sequencer, "B1")[1] == turnover + turnover * BPS // 10_000
    (trade,) = sequencer.apply(AcceptBlock(at(13, 31), "MS", "a", alleged.block_id))
    assert (trade.buy_account, trade.sell_account, trade.initiator_side) == ("B1", "S1", Side.BUY)
    assert holds_of(sequencer, "S1")[3] == 0


def test_a_cross_between_the_members_own_accounts_trades_at_once(sequencer: Sequencer):
    (trade,) = sequencer.apply(report(counterparty="S2", cross=True))
    assert type(trade) is BlockTrade
    assert (trade.buy_account, trade.sell_account, trade.cross) == ("S2", "S1", True)
    assert holds_of(sequencer, "S2")[1] == 0 and holds_of(sequencer, "S1")[3] == 0
    assert sequencer.holds.account("S2").holdings[SYMBOL].bought_today == QTY


BAD_REPORTS = [
    ("under the threshold", report(quantity=99_999), Reason.BELOW_BLOCK_MINIMUM),
    ("zero quantity", report(quantity=0), Reason.BAD_QUANTITY),
    ("above the block band", report(price=6501), Reason.OUT_OF_BLOCK_BAND),
    ("below the block band", report(price=3499), Reason.OUT_OF_BLOCK_BAND),
    ("zero price", report(price=0), Reason.BAD_PRICE),
    ("morning session", report(ts=at(10)), Reason.BLOCK_SESSION_CLOSED),
    ("after the block session", report(ts=at(15)), Reason.BLOCK_SESSION_CLOSED),
    (
        "a holiday",
        report(ts=at(13, 30, day=TRADING_DAY.replace(month=10, day=1))),
        Reason.BLOCK_SESSION_CLOSED,
    ),
    (
        "a Saturday",
        report(ts=at(13, 30, day=TRADING_DAY.replace(day=28))),
        Reason.BLOCK_SESSION_CLOSED,
    ),
    ("unknown instrument", report(instrument="NOPE"), Reason.UNKNOWN_INSTRUMENT),
    ("unknown counterparty", report(counterparty="ZZ"), Reason.UNKNOWN_COUNTERPARTY),
    ("another member's account", report(account="B1", counterparty="S1"), Reason.UNKNOWN_ACCOUNT),
    ("unknown own account", report(account="ZZ"), Reason.UNKNOWN_ACCOUNT),
    ("one account both sides", report(counterparty="S1", cross=True), Reason.SAME_CONTROL_GROUP),
    (
        "counterparty in the control group",
        report(account="S3", counterparty="B2"),
        Reason.SAME_CONTROL_GROUP,
    ),
    ("allegation to own account", report(counterparty="S2"), Reason.ALLEGATION_TO_OWN_ACCOUNT),
    ("cross with another member", report(cross=True), Reason.UNKNOWN_ACCOUNT),
    ("bad side", report(side=3), Reason.BAD_BLOCK_REPORT),
    ("no report id", report(report_id=""), Reason.BAD_BLOCK_REPORT),
    ("more tonnes than held", report(quantity=SELLER_TONNES + 1), Reason.INSUFFICIENT_HOLDINGS),
    (
        "buy without the cash",
        report(member="MB", side=Side.BUY, account="B2", counterparty="S1"),
        Reason.INSUFFICIENT_CASH,
    ),
    (
        "cross buyer without the cash",
        report(
            side=Side.BUY, account="S2", counterparty="S1", cross=True, price=6000, quantity=400_000
        ),
        Reason.INSUFFICIENT_CASH,
    ),
    (
        "cross seller without the tonnes",
        report(counterparty="S2", cross=True, quantity=SELLER_TONNES + 1, price=3500),
        Reason.INSUFFICIENT_HOLDINGS,
    ),
]


@pytest.mark.parametrize(
    "command, reason",
    [(c, r) for _, c, r in BAD_REPORTS],
    ids=[name for name, _, _ in BAD_REPORTS],
)
def test_every_bad_report_is_refused_with_its_reason_and_changes_nothing(
    sequencer: Sequencer, command: ReportBlock, reason: Reason
):
    before = sequencer.state_hash()
    (rejected,) = sequencer.apply(command)
    assert type(rejected) is BlockRejected
    assert (rejected.reason, rejected.text) == (reason, TEXT[reason])
    assert sequencer.state_hash() == before


def test_an_off_tick_block_price_is_refused(block_reference: ReferenceData):
    coarse = dataclasses.replace(block_reference.instruments[SYMBOL], tick=5)
    sequencer = opened(block_reference.with_instrument(coarse))
    before = sequencer.state_hash()
    (rejected,) = sequencer.apply(report(price=5001))
    assert rejected.reason == Reason.OFF_TICK
    assert sequencer.state_hash() == before


def test_a_halted_instrument_takes_no_block(sequencer: Sequencer):
    sequencer.apply(Halt(AFTERNOON, SYMBOL, "sup", "news"))
    (rejected,) = sequencer.apply(report())
    assert rejected.reason == Reason.HALTED


def test_a_duplicate_trade_report_id_is_refused(sequencer: Sequencer):
    sequencer.apply(report())
    before = sequencer.state_hash()
    (rejected,) = sequencer.apply(report(counterparty="B2"))
    assert rejected.reason == Reason.DUPLICATE_TRADE_REPORT_ID
    assert sequencer.state_hash() == before


def alleged(sequencer: Sequencer, **fields: object) -> int:
    (event,) = sequencer.apply(report(**fields))
    assert type(event) is BlockAlleged, event
    return event.block_id


def refused(sequencer: Sequencer, command, reason: Reason) -> None:
    before = sequencer.state_hash()
    events = sequencer.apply(command)
    assert [(type(e), e.reason) for e in events] == [(BlockRejected, reason)]
    assert sequencer.state_hash() == before


def test_bad_answers_to_an_allegation(sequencer: Sequencer):
    block = alleged(sequencer)
    later = at(13, 35)
    refused(sequencer, AcceptBlock(later, "MS", "x", block), Reason.OWN_ALLEGATION)
    refused(sequencer, DeclineBlock(later, "MS", "x", block), Reason.OWN_ALLEGATION)
    refused(sequencer, AcceptBlock(later, "MX", "x", block), Reason.NOT_YOUR_BLOCK)
    refused(sequencer, WithdrawBlock(later, "MB", "x", block), Reason.NOT_YOUR_BLOCK)
    refused(sequencer, AcceptBlock(later, "MB", "x", 99), Reason.UNKNOWN_BLOCK)
    refused(sequencer, AcceptBlock(later, "MB", "", block), Reason.BAD_BLOCK_REPORT)
    refused(sequencer, CancelBlock(later, block, "sup", "  "), Reason.COMMENT_REQUIRED)
    assert type(sequencer.apply(AcceptBlock(later, "MB", "a1", block))[0]) is BlockTrade
    refused(sequencer, AcceptBlock(later, "MB", "a2", block), Reason.BLOCK_ALREADY_TRADED)
    refused(sequencer, WithdrawBlock(later, "MS", "w", block), Reason.BLOCK_ALREADY_TRADED)


def test_acceptance_without_the_cash_keeps_the_allegation_open(sequencer: Sequencer):
    block = alleged(sequencer, account="S3", counterparty="B1", quantity=SELLER_TONNES)
    sequencer.apply(MoveCash(AFTERNOON, "B1", BUYER_CASH, CashMovementKind.WITHDRAW, "w", "t"))
    refused(sequencer, AcceptBlock(at(13, 31), "MB", "a", block), Reason.INSUFFICIENT_CASH)
    assert block in sequencer.blocks.allegations
    sequencer.apply(MoveCash(AFTERNOON, "B1", BUYER_CASH * 2, CashMovementKind.DEPOSIT, "d", "t"))
    assert type(sequencer.apply(AcceptBlock(at(13, 32), "MB", "a", block))[0]) is BlockTrade


def test_tonnes_bought_in_a_block_are_not_sold_the_same_day(sequencer: Sequencer):
    block = alleged(sequencer)
    sequencer.apply(AcceptBlock(at(13, 31), "MB", "a", block))
    (rejected,) = sequencer.apply(
        report(ts=at(13, 40), member="MB", report_id="resell", account="B1", counterparty="S1")
    )
    assert rejected.reason == Reason.INSUFFICIENT_HOLDINGS


def test_a_buy_above_the_position_limit_is_refused(sequencer: Sequencer):
    limit = sequencer.holds.account("B1").limit
    sequencer.apply(
        MoveHolding(0, "B1", SYMBOL, limit - QTY + 1, HoldingMovementKind.ALLOCATE, "big", "t")
    )
    block = alleged(sequencer)
    refused(sequencer, AcceptBlock(at(13, 31), "MB", "a", block), Reason.POSITION_LIMIT)


@pytest.mark.parametrize(
    "ending, cause",
    [
        (DeclineBlock(at(13, 35), "MB", "d", 1), BlockCause.DECLINED),
        (WithdrawBlock(at(13, 35), "MS", "w", 1), BlockCause.WITHDRAWN),
        (CancelBlock(at(13, 35), 1, "sup", "reported in error"), BlockCause.CANCELLED),
        (ClockTick(at(13, 45)), BlockCause.EXPIRED),
        (EndOfDay(at(15, 30), "2026-11-24"), BlockCause.EXPIRED),
    ],
    ids=["declined", "withdrawn", "cancelled", "expired", "end of day"],
)
def test_every_ending_frees_the_reservation(sequencer: Sequencer, ending, cause: BlockCause):
    fresh = sequencer.state_hash()
    before = holds_of(sequencer, "S1")
    assert alleged(sequencer) == 1
    closed = only(sequencer.apply(ending), BlockClosed)
    assert closed.cause == cause
    assert holds_of(sequencer, "S1") == before
    assert sequencer.blocks.allegations == {}
    if type(ending) is not EndOfDay:
        refused(sequencer, AcceptBlock(at(13, 50), "MB", "late", 1), Reason.BLOCK_NOT_OPEN)
        assert sequencer.state_hash() != fresh  # the report id and the ending are remembered


def test_a_tick_before_the_deadline_expires_nothing(sequencer: Sequencer):
    alleged(sequencer)
    assert sequencer.apply(ClockTick(at(13, 44))) == []


def test_an_allegation_expires_at_the_end_of_the_block_session(sequencer: Sequencer):
    (event,) = sequencer.apply(report(ts=at(14, 50)))
    assert event.expires == at(15)
    (closed,) = sequencer.apply(AcceptBlock(at(15, 1), "MB", "a", event.block_id))[:1]
    assert (type(closed), closed.cause) == (BlockClosed, BlockCause.EXPIRED)


def test_an_acceptance_after_the_deadline_finds_it_expired(sequencer: Sequencer):
    block = alleged(sequencer)
    events = sequencer.apply(AcceptBlock(at(13, 46), "MB", "a", block))
    assert [type(e) for e in events] == [BlockClosed, BlockRejected]
    assert events[1].reason == Reason.BLOCK_NOT_OPEN
    assert holds_of(sequencer, "S1")[3] == 0


def test_open_allegations_survive_a_snapshot_and_count_in_the_hash(
    sequencer: Sequencer, block_reference: ReferenceData
):
    empty = sequencer.state_hash()
    block = alleged(sequencer)
    assert sequencer.state_hash() != empty
    restored = Sequencer(block_reference, SettlementHolds(block_reference))
    restored.restore(sequencer.snapshot())
    assert restored.state_hash() == sequencer.state_hash()
    assert restored.blocks.next_expiry() == sequencer.blocks.next_expiry()
    (trade,) = restored.apply(AcceptBlock(at(13, 31), "MB", "a", block))
    assert type(trade) is BlockTrade
    assert holds_of(restored, "S1")[3] == 0


def restrict(account: str, mode: Mode, reference: str = "R1") -> RestrictAccount:
    return RestrictAccount(AFTERNOON - 1, account, mode, 0, "enforcement", reference, "sup")


@pytest.mark.parametrize(
    "account, mode, reason",
    [
        ("S1", Mode.SUSPENDED, Reason.ACCOUNT_SUSPENDED),  # the initiator, selling
        ("S1", Mode.CANCEL_ONLY, Reason.ACCOUNT_CANCEL_ONLY),
        ("B1", Mode.SELL_ONLY, Reason.ACCOUNT_SELL_ONLY),  # the counterparty would buy
    ],
)
def test_a_restricted_account_takes_no_block(sequencer: Sequencer, account, mode, reason):
    sequencer.apply(restrict(account, mode))
    before = sequencer.state_hash()
    (rejected,) = sequencer.apply(report())
    assert rejected.reason == reason
    assert rejected.text.startswith(f"{account}: ") and "supervision desk" in rejected.text
    assert sequencer.state_hash() == before


def test_a_sell_only_initiator_may_still_sell_in_a_block(sequencer: Sequencer):
    sequencer.apply(restrict("S1", Mode.SELL_ONLY))
    assert type(sequencer.apply(report())[0]) is BlockAlleged


def test_a_restriction_imposed_after_the_report_refuses_the_acceptance(sequencer: Sequencer):
    block = alleged(sequencer)
    sequencer.apply(restrict("B1", Mode.SUSPENDED))
    refused(sequencer, AcceptBlock(at(13, 31), "MB", "a", block), Reason.ACCOUNT_SUSPENDED)
    assert block in sequencer.blocks.allegations
    decline = sequencer.apply(DeclineBlock(at(13, 32), "MB", "d", block))  # stepping back is free
    assert type(decline[0]) is BlockClosed

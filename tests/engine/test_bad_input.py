"""Every bad input gets its own reason, with its text, and changes nothing else: the
state hash is the same before and after, and only the sequence number moved on."""

import dataclasses

import msgspec
import pytest

from engine.commands import (
    Command,
    Halt,
    MoveCash,
    MoveHolding,
    NewOrder,
    OpenAccount,
    Resume,
    SetControlGroup,
    SetReferencePrice,
)
from engine.events import CancelRejected, CommandRejected, OrderRejected
from engine.memory_holds import MemoryHolds
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind
from engine.reasons import TEXT, Reason
from engine.reference import ReferenceData
from engine.sequencer import Sequencer
from tests.engine.conftest import CASH, OPEN, TONNES, at, open_accounts
from tests.engine.flow import BUY, SELL, SYMBOL, amend, cancel, limit

COARSE = "TJCER"  # given a 0.05 tick and a 10 t lot below; reference 30.00


@pytest.fixture
def sequencer(reference: ReferenceData) -> Sequencer:
    coarse = dataclasses.replace(reference.instruments[COARSE], tick=5, lot=10)
    changed = reference.with_instrument(coarse)
    sequencer = Sequencer(changed, MemoryHolds())
    open_accounts(sequencer, changed)
    sequencer.apply(limit("B1", "resting", BUY, 5000, 10))
    sequencer.apply(limit("A1", "mine", SELL, 5100, 10))
    # C1 keeps 10.00 CNY and 50 t of TJEA25, 10 t of them pledged
    sequencer.apply(MoveCash(OPEN, "C1", CASH - 1000, CashMovementKind.WITHDRAW, "w", "t"))
    out = HoldingMovementKind.TRANSFER_OUT
    sequencer.apply(MoveHolding(OPEN, "C1", SYMBOL, TONNES - 50, out, "o", "t"))
    sequencer.apply(MoveHolding(OPEN, "C1", SYMBOL, 10, HoldingMovementKind.PLEDGE, "p", "t"))
    return sequencer


def new(price: int = 5000, quantity: int = 10, **fields: object) -> NewOrder:
    return msgspec.structs.replace(limit("B1", "new", BUY, price, quantity), **fields)


ORDERS = [
    ("off tick", limit("B1", "n", BUY, 3001, 10, instrument=COARSE), Reason.OFF_TICK),
    ("above band", new(5501), Reason.OUT_OF_BAND),
    ("below band", new(4499), Reason.OUT_OF_BAND),
    ("zero price", new(0), Reason.BAD_PRICE),
    ("negative price", new(-5000), Reason.BAD_PRICE),
    ("zero quantity", new(quantity=0), Reason.BAD_QUANTITY),
    ("negative quantity", new(quantity=-10), Reason.BAD_QUANTITY),
    ("fractional quantity", new(quantity=1.5), Reason.BAD_QUANTITY),
    ("boolean quantity", new(quantity=True), Reason.BAD_QUANTITY),
    ("not a lot", limit("B1", "n", BUY, 3000, 15, instrument=COARSE), Reason.BAD_QUANTITY),
    ("over the maximum", new(quantity=100_000), Reason.QUANTITY_TOO_LARGE),
    ("unknown instrument", new(instrument="NOPE"), Reason.UNKNOWN_INSTRUMENT),
    ("unknown account", new(account="NOPE"), Reason.UNKNOWN_ACCOUNT),
    ("duplicate client id", new(client_order_id="resting"), Reason.DUPLICATE_CLIENT_ORDER_ID),
    ("bad side", new(side=3), Reason.UNSUPPORTED_ORDER),
    ("bad order type", new(order_type=3), Reason.UNSUPPORTED_ORDER),
    ("bad time in force", new(time_in_force=1), Reason.UNSUPPORTED_ORDER),
    ("outside sessions", new(ts=at(12)), Reason.EXCHANGE_CLOSED),
    ("not enough cash", new(5000, 1, account="C1"), Reason.INSUFFICIENT_CASH),
    ("pledged tonnes", limit("C1", "n", SELL, 5000, 41), Reason.INSUFFICIENT_HOLDINGS),
]
CANCELS = [
    ("cancel unknown", cancel("B1", "nope"), Reason.UNKNOWN_ORDER),
    ("cancel unknown id", cancel("B1", "", order_id=999), Reason.UNKNOWN_ORDER),
    ("cancel another's order", cancel("C1", "resting"), Reason.UNKNOWN_ORDER),
    ("cancel another's order id", cancel("C1", "", order_id=1), Reason.NOT_YOUR_ORDER),
    ("cancel from unknown account", cancel("NOPE", "resting"), Reason.UNKNOWN_ACCOUNT),
    (
        "cancel in another instrument",
        msgspec.structs.replace(cancel("B1", "resting"), instrument="CCER"),
        Reason.UNKNOWN_ORDER,
    ),
    ("amend unknown", amend("B1", "nope", "n", 5000, 5), Reason.UNKNOWN_ORDER),
    ("amend another's order id", amend("C1", "", "n", 5000, 5, order_id=1), Reason.NOT_YOUR_ORDER),
    ("amend out of band", amend("B1", "resting", "n", 5501, 10), Reason.OUT_OF_BAND),
    ("amend zero price", amend("B1", "resting", "n", 0, 10), Reason.BAD_PRICE),
    ("amend zero quantity", amend("B1", "resting", "n", 5000, 0), Reason.BAD_QUANTITY),
    ("amend too large", amend("B1", "resting", "n", 5000, 100_000), Reason.QUANTITY_TOO_LARGE),
    (
        "amend reusing an id",
        amend("B1", "resting", "resting", 5000, 5),
        Reason.DUPLICATE_CLIENT_ORDER_ID,
    ),
    (
        "amend outside sessions",
        amend("B1", "resting", "n", 5000, 5, ts=at(12)),
        Reason.EXCHANGE_CLOSED,
    ),
]
ADMIN = [
    (
        "account exists",
        OpenAccount(OPEN, "A1", "M1", AccountKind.INVESTOR, "", 0, "s"),
        Reason.ACCOUNT_EXISTS,
    ),
    (
        "negative allocation",
        OpenAccount(OPEN, "N", "M1", AccountKind.COMPLIANCE, "", -1, "s"),
        Reason.BAD_AMOUNT,
    ),
    ("group of unknown account", SetControlGroup(OPEN, "NOPE", "G", "s"), Reason.UNKNOWN_ACCOUNT),
    (
        "zero deposit",
        MoveCash(OPEN, "A1", 0, CashMovementKind.DEPOSIT, "r1", "s"),
        Reason.BAD_AMOUNT,
    ),
    (
        "negative deposit",
        MoveCash(OPEN, "A1", -5, CashMovementKind.DEPOSIT, "r1", "s"),
        Reason.BAD_AMOUNT,
    ),
    (
        "cash of unknown account",
        MoveCash(OPEN, "NOPE", 5, CashMovementKind.DEPOSIT, "r1", "s"),
        Reason.UNKNOWN_ACCOUNT,
    ),
    (
        "reused cash reference",
        MoveCash(OPEN, "A1", 5, CashMovementKind.DEPOSIT, "cash-A1", "s"),
        Reason.DUPLICATE_REFERENCE,
    ),
    (
        "withdraw reserved cash",
        MoveCash(OPEN, "B1", CASH, CashMovementKind.WITHDRAW, "r1", "s"),
        Reason.INSUFFICIENT_CASH,
    ),
    ("unknown cash kind", MoveCash(OPEN, "A1", 5, 9, "r1", "s"), Reason.BAD_AMOUNT),
    (
        "tonnes of unknown instrument",
        MoveHolding(OPEN, "A1", "NOPE", 5, HoldingMovementKind.ALLOCATE, "r1", "s"),
        Reason.UNKNOWN_INSTRUMENT,
    ),
    (
        "zero tonnes",
        MoveHolding(OPEN, "A1", SYMBOL, 0, HoldingMovementKind.ALLOCATE, "r1", "s"),
        Reason.BAD_AMOUNT,
    ),
    (
        "reused holding reference",
        MoveHolding(OPEN, "A1", SYMBOL, 5, HoldingMovementKind.ALLOCATE, "cash-A1", "s"),
        Reason.DUPLICATE_REFERENCE,
    ),
    (
        "transfer out reserved tonnes",
        MoveHolding(OPEN, "A1", SYMBOL, TONNES, HoldingMovementKind.TRANSFER_OUT, "r1", "s"),
        Reason.INSUFFICIENT_HOLDINGS,
    ),
    (
        "transfer out pledged tonnes",
        MoveHolding(OPEN, "C1", SYMBOL, 41, HoldingMovementKind.TRANSFER_OUT, "r1", "s"),
        Reason.HOLDINGS_ENCUMBERED,
    ),
    (
        "release more than pledged",
        MoveHolding(OPEN, "C1", SYMBOL, 11, HoldingMovementKind.RELEASE, "r1", "s"),
        Reason.INSUFFICIENT_HOLDINGS,
    ),
    (
        "reference of unknown instrument",
        SetReferencePrice(OPEN, "NOPE", 5000, "s"),
        Reason.UNKNOWN_INSTRUMENT,
    ),
    ("zero reference", SetReferencePrice(OPEN, SYMBOL, 0, "s"), Reason.BAD_PRICE),
    ("off-tick reference", SetReferencePrice(OPEN, COARSE, 3001, "s"), Reason.OFF_TICK),
    ("halt unknown instrument", Halt(OPEN, "NOPE", "s", "r"), Reason.UNKNOWN_INSTRUMENT),
    ("resume unknown instrument", Resume(OPEN, "NOPE", "s", "r"), Reason.UNKNOWN_INSTRUMENT),
]


@pytest.mark.parametrize(
    ("command", "reason", "rejection"),
    [pytest.param(c, r, OrderRejected, id=name) for name, c, r in ORDERS]
    + [pytest.param(c, r, CancelRejected, id=name) for name, c, r in CANCELS]
    + [pytest.param(c, r, CommandRejected, id=name) for name, c, r in ADMIN],
)
def test_bad_input_is_refused_with_its_reason_and_changes_nothing(
    sequencer: Sequencer, command: Command, reason: Reason, rejection: type
) -> None:
    before, seq = sequencer.state_hash(), sequencer.next_seq
    events = sequencer.apply(command)
    assert [type(e) for e in events] == [rejection]
    assert events[0].reason == reason
    assert events[0].text == TEXT[reason]
    assert events[0].seq == seq and sequencer.next_seq == seq + 1
    assert sequencer.state_hash() == before


def test_orders_while_halted_are_refused_and_change_nothing(sequencer: Sequencer) -> None:
    sequencer.apply(Halt(OPEN, SYMBOL, "supervisor", "news"))
    before = sequencer.state_hash()
    for command in (new(), amend("B1", "resting", "n", 5000, 5)):
        assert sequencer.apply(command)[0].reason == Reason.HALTED
    assert sequencer.state_hash() == before

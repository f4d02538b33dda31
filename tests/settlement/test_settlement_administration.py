"""Administration: input refused before submission, the sequencer's refusals surfaced,
and every accepted operation recorded with who and when."""

import pytest

from engine.commands import Command
from engine.events import CashMoved, Event
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind
from engine.reasons import Reason
from engine.sequencer import Sequencer
from settlement.administration import Administration, AdministrationError
from settlement.holds import SettlementHolds
from settlement.ledger import Ledger

TS = 1_764_000_000_000_000_000


class Recorder:
    """A submit target that must not be reached: bad input is refused before it."""

    def __init__(self):
        self.commands: list[Command] = []

    def __call__(self, command: Command) -> list[Event]:
        self.commands.append(command)
        raise AssertionError(f"submitted despite bad input: {command!r}")


@pytest.fixture
def refusing(reference) -> tuple[Administration, Recorder]:
    recorder = Recorder()
    return Administration(recorder, reference, clock=lambda: TS), recorder


@pytest.mark.parametrize(
    ("call", "reason", "words"),
    [
        (lambda a: a.deposit("A", 0, "r", "ops"), Reason.BAD_AMOUNT, "below 1"),
        (lambda a: a.deposit("A", -5, "r", "ops"), Reason.BAD_AMOUNT, "below 1"),
        (lambda a: a.deposit("A", 1.5, "r", "ops"), Reason.BAD_AMOUNT, "not a whole number"),
        (lambda a: a.deposit("A", True, "r", "ops"), Reason.BAD_AMOUNT, "not a whole number"),
        (lambda a: a.deposit("", 1, "r", "ops"), Reason.UNKNOWN_ACCOUNT, "account"),
        (lambda a: a.deposit("@fees", 1, "r", "ops"), Reason.UNKNOWN_ACCOUNT, "'@'"),
        (lambda a: a.deposit("A", 1, "", "ops"), Reason.BAD_AMOUNT, "reference"),
        (lambda a: a.deposit("A", 1, "r", ""), Reason.BAD_AMOUNT, "actor"),
        (lambda a: a.move_cash("A", 1, 9, "r", "ops"), Reason.BAD_AMOUNT, "kind"),
        (
            lambda a: a.move_holding("A", "XX", 1, HoldingMovementKind.ALLOCATE, "r", "ops"),
            Reason.UNKNOWN_INSTRUMENT,
            "listed: CCER",
        ),
        (
            lambda a: a.move_holding("A", "TJEA25", 0, HoldingMovementKind.PLEDGE, "r", "ops"),
            Reason.BAD_AMOUNT,
            "quantity",
        ),
        (lambda a: a.move_holding("A", "TJEA25", 1, 99, "r", "ops"), Reason.BAD_AMOUNT, "kind"),
        (
            lambda a: a.open_account("A", "M1", AccountKind.INVESTOR, "ops", allocation=10),
            Reason.BAD_AMOUNT,
            "investors",
        ),
        (lambda a: a.open_account("A", "M1", 7, "ops"), Reason.BAD_AMOUNT, "kind"),
        (lambda a: a.open_account("A B", "M1", 1, "ops"), Reason.UNKNOWN_ACCOUNT, "spaces"),
        (lambda a: a.set_control_group("A", "G 1", "ops"), Reason.BAD_AMOUNT, "control group"),
    ],
)
def test_bad_input_is_refused_before_submission(refusing, call, reason, words):
    administration, recorder = refusing
    with pytest.raises(AdministrationError) as refused:
        call(administration)
    assert refused.value.reason == reason
    assert words in str(refused.value)
    assert recorder.commands == []


@pytest.fixture
def exchange(reference):
    """The real sequencer with settlement's holds; events booked into a ledger."""
    holds = SettlementHolds(reference)
    sequencer = Sequencer(reference, holds)
    ledger = Ledger.open(":memory:", reference)

    def submit(command: Command) -> list[Event]:
        events = sequencer.apply(command)
        ledger.book(events)
        return events

    administration = Administration(submit, reference, registry=ledger, clock=lambda: TS)
    administration.open_account("CO", "M1", AccountKind.COMPLIANCE, "ops", allocation=1_000)
    yield administration, holds, ledger
    ledger.close()


def test_refusals_by_the_sequencer_raise_with_their_reason(exchange):
    administration, holds, ledger = exchange
    administration.deposit("CO", 1_000, "dep-1", "ops")
    administration.move_holding("CO", "TJEA25", 300, HoldingMovementKind.ALLOCATE, "al-1", "ops")
    administration.move_holding("CO", "TJEA25", 200, HoldingMovementKind.PLEDGE, "pl-1", "ops")
    before = holds.snapshot()
    attempts = [
        (lambda: administration.deposit("NOBODY", 1, "x1", "ops"), Reason.UNKNOWN_ACCOUNT),
        (lambda: administration.withdraw("CO", 1_001, "x2", "ops"), Reason.NOT_WITHDRAWABLE),
        (
            lambda: administration.move_holding(
                "CO", "TJEA25", 150, HoldingMovementKind.TRANSFER_OUT, "x3", "ops"
            ),
            Reason.HOLDINGS_ENCUMBERED,
        ),
        (
            lambda: administration.move_holding(
                "CO", "TJEA25", 300, HoldingMovementKind.ALLOCATE, "al-1", "ops"
            ),
            Reason.DUPLICATE_REFERENCE,
        ),
        (
            lambda: administration.open_account("CO", "M1", AccountKind.INVESTOR, "ops"),
            Reason.ACCOUNT_EXISTS,
        ),
    ]
    for attempt, reason in attempts:
        with pytest.raises(AdministrationError) as refused:
            attempt()
        assert refused.value.reason == reason
    assert holds.snapshot() == before
    assert ledger.balances("CO") == {
        ("CNY", "cash"): 1_000,
        ("TJEA25", "available"): 100,
        ("TJEA25", "pledged"): 200,
    }


def test_accepted_operations_return_their_event_and_are_audited(exchange):
    administration, _holds, ledger = exchange
    moved = administration.deposit("CO", 2_500, "bank-77", "alice")
    assert isinstance(moved, CashMoved) and moved.amount == 2_500
    administration.set_control_group("CO", "OWNER1", "bob")
    administration.withdraw("CO", 500, "bank-78", "carol")
    audit = [(a.kind, a.actor, a.reference, a.ts) for a in ledger.audit("CO")]
    assert audit == [
        ("open_account", "ops", "", TS),
        ("deposit", "alice", "bank-77", TS),
        ("control_group", "bob", "", TS),
        ("withdraw", "carol", "bank-78", TS),
    ]
    assert ledger.control_group("OWNER1") == ["CO"]
    assert ledger.balance("CO", "CNY", "cash") == 2_000
    assert ledger.balance("@bank", "CNY", "cash") == -2_000
    with pytest.raises(AdministrationError) as refused:
        administration.move_cash("CO", 1, CashMovementKind.DEPOSIT, "bank-77", "alice")
    assert refused.value.reason == Reason.DUPLICATE_REFERENCE

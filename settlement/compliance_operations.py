"""Compliance operations: audited, idempotent by a reference, and moved through the engine.

An operation is planned first (its checks raise `ComplianceError` and change nothing),
then recorded as pending together with the registry movements it needs, then each
movement is submitted to the sequencer as a MoveHolding command (so the engine's holds
change at once and the ledger books the HoldingMoved event), then finished in one
transaction that writes its effects and marks it done. A movement's reference is the
operation's reference + "#n", so a movement the engine already applied comes back
DUPLICATE_REFERENCE and counts as applied: after a crash `resume()` completes every pending
operation without moving a tonne twice. A second call with a done operation's reference
returns its outcome again; a refused one is refused again.
"""

import json
from collections.abc import Callable
from typing import NamedTuple, Protocol

from engine.commands import MoveHolding
from engine.events import CommandRejected
from engine.reasons import TEXT, Reason
from settlement.administration import Submit
from settlement.booking import AVAILABLE
from settlement.database import Database
from settlement.holds import SettlementHolds
from settlement.ledger import Ledger


class ComplianceError(ValueError):
    """Refused with a reason code (lower-case name) and a text a person can act on."""

    def __init__(self, reason: str, text: str):
        self.reason = reason
        self.text = text
        super().__init__(f"{reason}: {text}")


class Movement(NamedTuple):
    account: str
    instrument: str
    quantity: int
    kind: int  # HoldingMovementKind
    required: bool  # a refusal refuses the operation (else it is recorded and skipped)


class Exposure(Protocol):
    """What the engine's holds say an account may do now (the registry lags them)."""

    def movable(self, account: str, instrument: str) -> int:
        """Tonnes that may leave the account (not reserved, pledged or frozen)."""
        ...

    def free(self, account: str, instrument: str) -> int:
        """Tonnes that may be pledged or frozen (movable less today's purchases)."""
        ...

    def reserved(self, account: str, instrument: str) -> int:
        """Tonnes reserved by open sell orders."""
        ...

    def has_open_orders(self, account: str) -> bool: ...


class HoldsExposure:
    """Exposure read from the engine's own SettlementHolds (same process, same thread)."""

    def __init__(self, holds: SettlementHolds):
        self._holds = holds

    def _holding(self, account: str, instrument: str):
        owner = self._holds.account(account)
        return None if owner is None else owner.holdings.get(instrument)

    def movable(self, account: str, instrument: str) -> int:
        holding = self._holding(account, instrument)
        return 0 if holding is None else holding.available + holding.bought_today

    def free(self, account: str, instrument: str) -> int:
        holding = self._holding(account, instrument)
        return 0 if holding is None else holding.available

    def reserved(self, account: str, instrument: str) -> int:
        holding = self._holding(account, instrument)
        return 0 if holding is None else holding.held

    def has_open_orders(self, account: str) -> bool:
        owner = self._holds.account(account)
        if owner is None:
            return False
        return owner.cash_held > 0 or any(h.held for h in owner.holdings.values())


class RegistryExposure:
    """Exposure read from the registry, where the engine runs in another process: it sees
    neither open orders nor today's purchases, so the engine's own check is the last
    word (a movement it refuses refuses the operation; a claw-back it refuses is a debt)."""

    def __init__(self, ledger: Ledger):
        self._ledger = ledger

    def movable(self, account: str, instrument: str) -> int:
        return self._ledger.balance(account, instrument, AVAILABLE)

    free = movable

    def reserved(self, account: str, instrument: str) -> int:
        return 0

    def has_open_orders(self, account: str) -> bool:
        return False


class Operation(NamedTuple):
    reference: str
    kind: str
    account: str
    year: int
    ts: int
    actor: str
    detail: dict
    movements: list[Movement]
    state: str  # pending, done, refused
    outcome: dict


# finish(operation, applied) -> outcome, writing its effects (called inside a transaction)
Finisher = Callable[[Operation, list[bool]], dict]


class OperationLog:
    def __init__(self, database: Database, submit: Submit, clock: Callable[[], int]):
        self.database = database
        self._submit = submit
        self.clock = clock
        self._finishers: dict[str, Finisher] = {}

    def finisher(self, kind: str, finish: Finisher) -> None:
        self._finishers[kind] = finish

    def get(self, reference: str) -> Operation | None:
        rows = self.database.query(f"{_SELECT} WHERE reference = ?", (reference,))
        return _operation(rows[0]) if rows else None

    def history(self, account: str) -> list[Operation]:
        rows = self.database.query(
            f"{_SELECT} WHERE account = ? ORDER BY ts, reference", (account,)
        )
        return [_operation(row) for row in rows]

    def run(
        self,
        reference: str,
        kind: str,
        account: str,
        year: int,
        actor: str,
        plan: Callable[[], tuple[dict, list[Movement]]],
    ) -> dict:
        """Plans (unless the reference is known), records, moves and finishes."""
        _name("reference", reference)
        _name("actor", actor)
        known = self.get(reference)
        if known is not None:
            if (known.kind, known.account, known.year) != (kind, account, year):
                raise ComplianceError(
                    "duplicate_reference",
                    f"reference {reference!r} was used for a {known.kind} of {known.account}",
                )
            if known.state == "done":
                return known.outcome
            if known.state == "refused":
                raise ComplianceError(known.outcome["reason"], known.outcome["text"])
            return self._complete(known)
        detail, movements = plan()
        operation = Operation(
            reference, kind, account, year, self.clock(), actor, detail, movements, "pending", {}
        )
        self.record(operation)
        return self._complete(operation)

    def record(self, operation: Operation) -> None:
        self.database.execute(
            "INSERT INTO compliance_operations (reference, kind, account, year, ts, actor, "
            "detail, movements, state, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                operation.reference,
                operation.kind,
                operation.account,
                operation.year,
                operation.ts,
                operation.actor,
                json.dumps(operation.detail, sort_keys=True),
                json.dumps([list(m) for m in operation.movements]),
                operation.state,
                json.dumps(operation.outcome, sort_keys=True),
            ),
        )

    def resume(self) -> list[str]:
        """Completes every pending operation (after a crash); returns their references."""
        rows = self.database.query(f"{_SELECT} WHERE state = 'pending' ORDER BY ts, reference")
        for row in rows:
            self._complete(_operation(row))
        return [row[0] for row in rows]

    def _complete(self, operation: Operation) -> dict:
        applied = []
        for index, movement in enumerate(operation.movements):
            reason = self._move(operation, index, movement)
            if reason is not None and movement.required:
                if any(applied):
                    raise RuntimeError(
                        f"operation {operation.reference}: movement {index} refused "
                        f"({reason.name}) after earlier ones applied; it stays pending"
                    )
                outcome = {"reason": reason.name.lower(), "text": TEXT[reason]}
                self._close(operation, "refused", outcome)
                raise ComplianceError(outcome["reason"], outcome["text"])
            applied.append(reason is None)
        with self.database.transaction():
            outcome = self._finishers[operation.kind](operation, applied)
            self._close(operation, "done", outcome)
        return outcome

    def _move(self, operation: Operation, index: int, movement: Movement) -> Reason | None:
        """Submits one movement; None when applied (now or before), else the refusal."""
        command = MoveHolding(
            operation.ts,
            movement.account,
            movement.instrument,
            movement.quantity,
            movement.kind,
            movement_reference(operation.reference, index),
            operation.actor,
        )
        for event in self._submit(command):
            if isinstance(event, CommandRejected):
                reason = Reason(event.reason)
                return None if reason == Reason.DUPLICATE_REFERENCE else reason
        return None

    def _close(self, operation: Operation, state: str, outcome: dict) -> None:
        self.database.execute(
            "UPDATE compliance_operations SET state = ?, outcome = ? WHERE reference = ?",
            (state, json.dumps(outcome, sort_keys=True), operation.reference),
        )


def movement_reference(reference: str, index: int) -> str:
    return f"{reference}#{index}"


def _name(field: str, value: str) -> None:
    if not isinstance(value, str) or not value or not value.isprintable() or " " in value:
        raise ComplianceError("bad_input", f"{field} {value!r} must be text without spaces")
    if len(value) > 64 or value.startswith("@"):
        raise ComplianceError("bad_input", f"{field} must be at most 64 characters, not '@...'")


def _operation(row: tuple) -> Operation:
    reference, kind, account, year, ts, actor, detail, movements, state, outcome = row
    return Operation(
        reference,
        kind,
        account,
        year,
        ts,
        actor,
        json.loads(detail),
        [Movement(*m) for m in json.loads(movements)],
        state,
        json.loads(outcome),
    )


_SELECT = (
    "SELECT reference, kind, account, year, ts, actor, detail, movements, state, outcome "
    "FROM compliance_operations"
)

"""Pledge financing (item 21): tonnes pledged to a registered pledgee against a loan.

The entity proposes (contract, amount, maturity); the pledgee confirms, and only then are
the tonnes pledged: moved through the engine to the `pledged` state, so neither the
book, a transfer nor a surrender can use them. The pledgee alone releases them (back to
tradable) or enforces (they leave the pledgor for the pledgee's own account, through the
@enforcement owner, two movements of one operation). Every step is an operation.
"""

import datetime as dt
from typing import NamedTuple

from engine.orders import HoldingMovementKind
from engine.reference import ReferenceData
from settlement.compliance_operations import (
    ComplianceError,
    Exposure,
    Movement,
    Operation,
    OperationLog,
)
from settlement.ledger import Ledger

PROPOSED, PLEDGED, RELEASED, ENFORCED = "proposed", "pledged", "released", "enforced"


class Pledgee(NamedTuple):
    pledgee: str
    name: str
    account: str
    registered_ts: int
    registered_by: str


class Pledge(NamedTuple):
    reference: str
    account: str
    pledgee: str
    instrument: str
    quantity: int
    contract: str
    amount: int  # fen
    maturity: str
    state: str
    proposed_ts: int
    proposed_by: str
    changed_ts: int
    changed_by: str


class Pledges:
    def __init__(
        self, log: OperationLog, ledger: Ledger, reference: ReferenceData, exposure: Exposure
    ):
        self.log = log
        self.database = ledger.database
        self.ledger = ledger
        self.reference = reference
        self.exposure = exposure
        for kind in ("pledgee", "pledge_propose", "pledge_confirm", "pledge_release"):
            log.finisher(kind, getattr(self, f"_finish_{kind.removeprefix('pledge_')}"))
        log.finisher("pledge_enforce", self._finish_enforce)

    # -- reading ---------------------------------------------------------------------

    def pledgees(self) -> list[Pledgee]:
        return [
            Pledgee(*row)
            for row in self.database.query(
                "SELECT pledgee, name, account, registered_ts, registered_by FROM pledgees "
                "ORDER BY pledgee"
            )
        ]

    def pledgee(self, pledgee: str) -> Pledgee | None:
        return next((p for p in self.pledgees() if p.pledgee == pledgee), None)

    def register(self, account: str | None = None, state: str | None = None) -> list[Pledge]:
        """The pledge register, optionally of one pledgor account or in one state."""
        sql, params = _PLEDGE_SELECT + " WHERE 1 = 1", []
        if account is not None:
            sql, params = sql + " AND account = ?", [*params, account]
        if state is not None:
            sql, params = sql + " AND state = ?", [*params, state]
        return [Pledge(*row) for row in self.database.query(sql + " ORDER BY reference", params)]

    def pledge(self, reference: str) -> Pledge:
        rows = self.database.query(f"{_PLEDGE_SELECT} WHERE reference = ?", (reference,))
        if not rows:
            raise ComplianceError("unknown_pledge", f"no pledge {reference!r}")
        return Pledge(*rows[0])

    # -- operations ------------------------------------------------------------------

    def register_pledgee(
        self, pledgee: str, name: str, account: str, reference: str, actor: str
    ) -> dict:
        """A financial institution becomes a pledgee, with the account enforcement pays."""

        def plan() -> tuple[dict, list[Movement]]:
            if self.pledgee(pledgee) is not None:
                raise ComplianceError("pledgee_exists", f"{pledgee} is registered already")
            if self.ledger.account(account) is None:
                raise ComplianceError("unknown_account", f"no registry account {account!r}")
            if not name.strip():
                raise ComplianceError("bad_input", "the pledgee needs a name")
            return {"pledgee": pledgee, "name": name}, []

        return self.log.run(reference, "pledgee", account, 0, actor, plan)

    def _finish_pledgee(self, operation: Operation, applied: list[bool]) -> dict:
        d = operation.detail
        self.database.execute(
            "INSERT INTO pledgees (pledgee, name, account, registered_ts, registered_by) "
            "VALUES (?, ?, ?, ?, ?)",
            (d["pledgee"], d["name"], operation.account, operation.ts, operation.actor),
        )
        return d

    def propose(
        self,
        account: str,
        pledgee: str,
        instrument: str,
        quantity: int,
        contract: str,
        amount: int,
        maturity: str,
        reference: str,
        actor: str,
    ) -> dict:
        """The pledgor proposes; nothing is pledged until the pledgee confirms."""

        def plan() -> tuple[dict, list[Movement]]:
            if self.ledger.account(account) is None:
                raise ComplianceError("unknown_account", f"no registry account {account!r}")
            if self.pledgee(pledgee) is None:
                raise ComplianceError("unknown_pledgee", f"{pledgee!r} is not a registered pledgee")
            if instrument not in self.reference.instruments:
                raise ComplianceError("unknown_instrument", f"{instrument!r} is not listed")
            for field, value in (("quantity", quantity), ("amount", amount)):
                if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                    raise ComplianceError("bad_input", f"{field} must be a positive whole number")
            if not contract.strip():
                raise ComplianceError("bad_input", "the pledge needs a contract reference")
            try:
                due = dt.date.fromisoformat(maturity)
            except ValueError:
                raise ComplianceError("bad_input", f"maturity {maturity!r} is not a date") from None
            if due <= self.reference.calendar.trading_date(self.log.clock()):
                raise ComplianceError("bad_input", f"maturity {maturity} is not in the future")
            _check_free(self.exposure, account, instrument, quantity)
            return {
                "pledgee": pledgee,
                "instrument": instrument,
                "quantity": quantity,
                "contract": contract,
                "amount": amount,
                "maturity": maturity,
            }, []

        return self.log.run(reference, "pledge_propose", account, 0, actor, plan)

    def _finish_propose(self, operation: Operation, applied: list[bool]) -> dict:
        d = operation.detail
        self.database.execute(
            "INSERT INTO pledges (reference, account, pledgee, instrument, quantity, contract, "
            "amount, maturity, state, proposed_ts, proposed_by, changed_ts, changed_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                operation.reference,
                operation.account,
                d["pledgee"],
                d["instrument"],
                d["quantity"],
                d["contract"],
                d["amount"],
                d["maturity"],
                PROPOSED,
                operation.ts,
                operation.actor,
                operation.ts,
                operation.actor,
            ),
        )
        return d | {"reference": operation.reference, "state": PROPOSED}

    def confirm(self, reference: str, pledgee: str, actor: str) -> dict:
        """The pledgee confirms: the tonnes are pledged (frozen for it) at once."""
        pledge = self._pledge_of(reference, pledgee, PROPOSED, "confirm")

        def plan() -> tuple[dict, list[Movement]]:
            _check_free(self.exposure, pledge.account, pledge.instrument, pledge.quantity)
            move = Movement(
                pledge.account, pledge.instrument, pledge.quantity, HoldingMovementKind.PLEDGE, True
            )
            return {"pledge": reference}, [move]

        return self.log.run(
            f"{reference}:confirm", "pledge_confirm", pledge.account, 0, actor, plan
        )

    def release(self, reference: str, pledgee: str, actor: str) -> dict:
        """Only the pledgee releases: the tonnes are tradable again."""
        pledge = self._pledge_of(reference, pledgee, PLEDGED, "release")
        move = Movement(
            pledge.account, pledge.instrument, pledge.quantity, HoldingMovementKind.RELEASE, True
        )
        return self.log.run(
            f"{reference}:release",
            "pledge_release",
            pledge.account,
            0,
            actor,
            lambda: ({"pledge": reference}, [move]),
        )

    def enforce(self, reference: str, pledgee: str, actor: str) -> dict:
        """The pledgee enforces: the pledged tonnes become its own."""
        pledge = self._pledge_of(reference, pledgee, PLEDGED, "enforce")
        receiving = self.pledgee(pledgee).account
        tonnes = (pledge.instrument, pledge.quantity)
        moves = [
            Movement(pledge.account, *tonnes, HoldingMovementKind.ENFORCE, True),
            Movement(receiving, *tonnes, HoldingMovementKind.ENFORCE_RECEIVE, True),
        ]
        return self.log.run(
            f"{reference}:enforce",
            "pledge_enforce",
            pledge.account,
            0,
            actor,
            lambda: ({"pledge": reference, "to": receiving}, moves),
        )

    def _finish_confirm(self, operation: Operation, applied: list[bool]) -> dict:
        return self._change(operation, PLEDGED)

    def _finish_release(self, operation: Operation, applied: list[bool]) -> dict:
        return self._change(operation, RELEASED)

    def _finish_enforce(self, operation: Operation, applied: list[bool]) -> dict:
        return self._change(operation, ENFORCED)

    def _change(self, operation: Operation, state: str) -> dict:
        self.database.execute(
            "UPDATE pledges SET state = ?, changed_ts = ?, changed_by = ? WHERE reference = ?",
            (state, operation.ts, operation.actor, operation.detail["pledge"]),
        )
        return operation.detail | {"state": state}

    def _pledge_of(self, reference: str, pledgee: str, state: str, action: str) -> Pledge:
        """The pledge, if `pledgee` is its pledgee and it is in `state` (or `action` was
        done on it already under its reference, which then answers again)."""
        pledge = self.pledge(reference)
        if pledge.pledgee != pledgee:
            raise ComplianceError(
                "not_pledgee", f"only the pledgee {pledge.pledgee} may act on pledge {reference}"
            )
        if pledge.state != state and self.log.get(f"{reference}:{action}") is None:
            raise ComplianceError(
                "pledge_state", f"pledge {reference} is {pledge.state}; cannot {action} it"
            )
        return pledge


def _check_free(exposure: Exposure, account: str, instrument: str, quantity: int) -> None:
    """Pledges take tonnes neither reserved by open orders nor bought today."""
    free = exposure.free(account, instrument)
    if quantity <= free:
        return
    if quantity <= exposure.movable(account, instrument) + exposure.reserved(account, instrument):
        raise ComplianceError(
            "holdings_reserved",
            f"only {free} t of {instrument} are free: the rest is reserved by open sell "
            "orders or bought today (T+1)",
        )
    raise ComplianceError(
        "insufficient_holdings", f"only {free} t of {instrument} are free to pledge"
    )


_PLEDGE_SELECT = (
    "SELECT reference, account, pledgee, instrument, quantity, contract, amount, maturity, "
    "state, proposed_ts, proposed_by, changed_ts, changed_by FROM pledges"
)

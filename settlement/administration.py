"""Administration: open accounts, link control groups, move cash and tonnes.

Every operation is a command through the sequencer (engine/commands.py), so the journal
replays it and the holds stay consistent; the resulting event, carrying actor and time,
is what the ledger books as the audit record. This class checks the input first (a clear
`AdministrationError` before anything is submitted), builds the command, submits it
through the callable it is given, and turns a `CommandRejected` into the same error.
A CLI or REST layer only parses text and calls these methods.
"""

import time
from collections.abc import Callable
from typing import Protocol

from engine.commands import Command, MoveCash, MoveHolding, OpenAccount, SetControlGroup
from engine.events import CommandRejected, Event
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind
from engine.reasons import TEXT, Reason
from engine.reference import ReferenceData
from settlement.accounts import SYSTEM_PREFIX

MAX_NAME = 64


class Submit(Protocol):
    def __call__(self, command: Command) -> list[Event]:
        """Sequences one command and returns the events it produced."""
        ...


class Registry(Protocol):
    """What administration may consult before submitting (the Ledger provides it)."""

    def reference_used(self, reference: str) -> bool: ...


class AdministrationError(ValueError):
    """Refused, by input validation or by the sequencer; nothing changed."""

    def __init__(self, reason: Reason, detail: str = ""):
        self.reason = reason
        self.text = detail or TEXT[reason]
        super().__init__(self.text)


class Administration:
    def __init__(
        self,
        submit: Submit,
        reference: ReferenceData,
        registry: Registry | None = None,
        clock: Callable[[], int] = time.time_ns,
    ):
        self._submit = submit
        self._reference = reference
        self._registry = registry
        self._clock = clock

    def open_account(
        self,
        account: str,
        member: str,
        kind: int,
        actor: str,
        control_group: str = "",
        allocation: int = 0,
    ) -> Event:
        _name("account", account, Reason.UNKNOWN_ACCOUNT)
        _name("member", member, Reason.UNKNOWN_ACCOUNT)
        _name("actor", actor, Reason.BAD_AMOUNT)
        if control_group:
            _name("control group", control_group, Reason.BAD_AMOUNT)
        if kind not in AccountKind._value2member_map_:
            raise AdministrationError(Reason.BAD_AMOUNT, f"account kind {kind!r} is unknown")
        _whole("allocation", allocation, minimum=0)
        if kind == AccountKind.INVESTOR and allocation:
            raise AdministrationError(Reason.BAD_AMOUNT, "investors have no allocation")
        return self._run(
            OpenAccount(self._clock(), account, member, kind, control_group, allocation, actor)
        )

    def set_control_group(self, account: str, control_group: str, actor: str) -> Event:
        """Links the account to a beneficial owner's group ("" unlinks it)."""
        _name("account", account, Reason.UNKNOWN_ACCOUNT)
        _name("actor", actor, Reason.BAD_AMOUNT)
        if control_group:
            _name("control group", control_group, Reason.BAD_AMOUNT)
        return self._run(SetControlGroup(self._clock(), account, control_group, actor))

    def move_cash(self, account: str, amount: int, kind: int, reference: str, actor: str) -> Event:
        """Deposit or withdraw `amount` fen (a withdrawal only of withdrawable cash)."""
        self._movement(account, reference, actor)
        _whole("amount", amount, minimum=1)
        if kind not in CashMovementKind._value2member_map_:
            raise AdministrationError(Reason.BAD_AMOUNT, f"cash movement kind {kind!r} is unknown")
        return self._run(MoveCash(self._clock(), account, amount, kind, reference, actor))

    def move_holding(
        self, account: str, instrument: str, quantity: int, kind: int, reference: str, actor: str
    ) -> Event:
        """A registry operation on `quantity` tonnes: allocation, transfer in or out,
        cancellation, surrender, pledge / release, freeze / unfreeze."""
        self._movement(account, reference, actor)
        if instrument not in self._reference.instruments:
            listed = ", ".join(sorted(self._reference.instruments))
            raise AdministrationError(
                Reason.UNKNOWN_INSTRUMENT, f"unknown instrument {instrument!r}; listed: {listed}"
            )
        _whole("quantity", quantity, minimum=1)
        if kind not in HoldingMovementKind._value2member_map_:
            raise AdministrationError(
                Reason.BAD_AMOUNT, f"holding movement kind {kind!r} is unknown"
            )
        return self._run(
            MoveHolding(self._clock(), account, instrument, quantity, kind, reference, actor)
        )

    def deposit(self, account: str, amount: int, reference: str, actor: str) -> Event:
        return self.move_cash(account, amount, CashMovementKind.DEPOSIT, reference, actor)

    def withdraw(self, account: str, amount: int, reference: str, actor: str) -> Event:
        return self.move_cash(account, amount, CashMovementKind.WITHDRAW, reference, actor)

    def _movement(self, account: str, reference: str, actor: str) -> None:
        _name("account", account, Reason.UNKNOWN_ACCOUNT)
        _name("reference", reference, Reason.BAD_AMOUNT)
        _name("actor", actor, Reason.BAD_AMOUNT)
        if self._registry is not None and self._registry.reference_used(reference):
            raise AdministrationError(
                Reason.DUPLICATE_REFERENCE, f"reference {reference!r} was already booked"
            )

    def _run(self, command: Command) -> Event:
        """Submits; returns the event that records the change, or raises the rejection."""
        events = self._submit(command)
        for event in events:
            if isinstance(event, CommandRejected):
                raise AdministrationError(Reason(event.reason), event.text)
        if not events:
            raise RuntimeError(f"the sequencer produced no event for {command!r}")
        return events[-1]


def _name(field: str, value: str, reason: Reason) -> None:
    if not isinstance(value, str) or not value or not value.isprintable() or " " in value:
        raise AdministrationError(
            reason, f"{field} {value!r} must be non-empty text without spaces"
        )
    if len(value) > MAX_NAME:
        raise AdministrationError(reason, f"{field} is longer than {MAX_NAME} characters")
    if value.startswith(SYSTEM_PREFIX):
        raise AdministrationError(reason, f"{field} may not start with {SYSTEM_PREFIX!r}")


def _whole(field: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdministrationError(Reason.BAD_AMOUNT, f"{field} {value!r} is not a whole number")
    if value < minimum:
        raise AdministrationError(Reason.BAD_AMOUNT, f"{field} {value} is below {minimum}")

"""Enforcement restrictions: what a supervisor allows a restricted account still to do.

A supervisor restricts an account (market-rules: risk management, item 16) in one of three
modes, with a reason, until a time or until lifted:

    mode         new buy   new sell   amend   cancel
    sell_only    refused   allowed    sells   allowed
    cancel_only  refused   refused    no      allowed
    suspended    refused   refused    no      allowed

A cancel is always accepted, as when the market is halted: a member can always step back.
Resting orders stay on the book; the supervisor cancels them with the restriction when
wanted (the REST API's `cancel_resting`, a mass cancel of the account).

The state lives in the sequencer (journaled commands, snapshotted, in the state hash), so
it survives restarts and replays. Expiry needs no clock: a restriction whose `until` is at
or before a command's `ts` no longer applies to that command.

The API for every command that acts for an account (book orders here; block trades and
auction bids call it the same way):

    reason = sequencer.restrictions.refusal(account, Action.BUY, command.ts)
    if reason:  # a Reason; its member-facing text is restrictions.text(account, reason, ts)
        ...refuse with it...
"""

import datetime as dt
from enum import IntEnum

import msgspec

from engine.reasons import TEXT, Reason


class Mode(IntEnum):
    SELL_ONLY = 1
    CANCEL_ONLY = 2
    SUSPENDED = 3


class Action(IntEnum):
    """What a command would do for the account."""

    BUY = 1  # a buy order or its amend, a block trade's buy side, an auction bid
    SELL = 2  # a sell order or its amend, a block trade's sell side
    CANCEL = 3  # a cancel, a mass cancel, withdrawing an allegation or a bid


# the modes strictest first, with the reason each gives and the actions it refuses
_REFUSES: tuple[tuple[Mode, Reason, frozenset[Action]], ...] = (
    (Mode.SUSPENDED, Reason.ACCOUNT_SUSPENDED, frozenset((Action.BUY, Action.SELL))),
    (Mode.CANCEL_ONLY, Reason.ACCOUNT_CANCEL_ONLY, frozenset((Action.BUY, Action.SELL))),
    (Mode.SELL_ONLY, Reason.ACCOUNT_SELL_ONLY, frozenset((Action.BUY,))),
)
REASON_OF_MODE = {mode: reason for mode, reason, _ in _REFUSES}
MAX_REASON = 500  # characters of a restriction's or lifting's reason


class Restriction(msgspec.Struct, array_like=True, frozen=True):
    reference: str  # unique per restriction; lifting names it
    account: str
    mode: int  # Mode
    until: int  # ns since the epoch, UTC; 0 = until lifted
    reason: str
    actor: str
    ts: int  # when it was imposed

    def in_force(self, now: int) -> bool:
        return not self.until or now < self.until


class _State(msgspec.Struct, array_like=True):
    restrictions: list[Restriction]  # in force or expired, not lifted, in reference order
    references: list[str]  # every reference ever used, sorted


class Restrictions:
    """Every restriction not lifted, per account, and the references used."""

    __slots__ = ("by_account", "references")

    def __init__(self) -> None:
        self.by_account: dict[str, dict[str, Restriction]] = {}
        self.references: set[str] = set()

    def refusal(self, account: str, action: Action, now: int) -> Reason:
        """Why `account` may not take `action` at `now` (the strictest restriction in
        force that refuses it), or Reason.OK."""
        found = self.by_account.get(account)
        if not found:
            return Reason.OK
        modes = {r.mode for r in found.values() if r.in_force(now)}
        for mode, reason, refused in _REFUSES:
            if mode in modes and action in refused:
                return reason
        return Reason.OK

    def text(self, account: str, reason: Reason, now: int) -> str:
        """The member's text for a refusal: the rule, and until when it holds."""
        mode = next(m for m, r in REASON_OF_MODE.items() if r == reason)
        ends = [
            r.until
            for r in self.by_account.get(account, {}).values()
            if r.mode == mode and r.in_force(now)
        ]
        until = "until lifted" if not ends or 0 in ends else f"until {_utc(max(ends))}"
        return f"{TEXT[reason]} ({until}); contact the exchange's supervision desk"

    def imposal_refusal(self, restriction: Restriction, known_account: bool) -> Reason:
        if not known_account:
            return Reason.UNKNOWN_ACCOUNT
        if restriction.mode not in Mode._value2member_map_:
            return Reason.BAD_RESTRICTION
        if not restriction.reason.strip() or len(restriction.reason) > MAX_REASON:
            return Reason.NO_RESTRICTION_REASON
        if type(restriction.until) is not int or (
            restriction.until and restriction.until <= restriction.ts
        ):
            return Reason.BAD_RESTRICTION
        if not restriction.reference or restriction.reference in self.references:
            return Reason.DUPLICATE_REFERENCE
        return Reason.OK

    def impose(self, restriction: Restriction) -> None:
        """Adds a restriction `imposal_refusal` accepted."""
        self.references.add(restriction.reference)
        self.by_account.setdefault(restriction.account, {})[restriction.reference] = restriction

    def lifting_refusal(self, account: str, reference: str, reason: str, now: int) -> Reason:
        if not reason.strip() or len(reason) > MAX_REASON:
            return Reason.NO_RESTRICTION_REASON
        found = self.by_account.get(account, {}).get(reference)
        if found is None or not found.in_force(now):
            return Reason.NOT_RESTRICTED  # never imposed, lifted already, or expired
        return Reason.OK

    def lift(self, account: str, reference: str) -> Restriction:
        """Removes a restriction `lifting_refusal` accepted; returns it."""
        found = self.by_account[account]
        lifted = found.pop(reference)
        if not found:
            del self.by_account[account]
        return lifted

    def expire(self, now: int) -> None:
        """Forgets the restrictions that ended at or before `now` (at a day's end)."""
        for account in list(self.by_account):
            found = self.by_account[account]
            for reference in [ref for ref, r in found.items() if not r.in_force(now)]:
                del found[reference]
            if not found:
                del self.by_account[account]

    def snapshot(self) -> bytes:
        return msgspec.msgpack.encode(
            _State(
                restrictions=sorted(
                    (r for found in self.by_account.values() for r in found.values()),
                    key=_reference,
                ),
                references=sorted(self.references),
            )
        )

    def restore(self, data: bytes) -> None:
        self.__init__()
        if not data:
            return
        state = msgspec.msgpack.decode(data, type=_State)
        self.references = set(state.references)
        for restriction in state.restrictions:
            self.by_account.setdefault(restriction.account, {})[restriction.reference] = restriction


def _reference(restriction: Restriction) -> str:
    return restriction.reference


def _utc(ns: int) -> str:
    moment = dt.datetime.fromtimestamp(ns // 1_000_000_000, dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")

"""A tiny deterministic state machine for journal tests: cash balances per account.

Order matters (a withdrawal beyond the balance is refused), so a replay that skips,
repeats or reorders a command ends in a different state hash.
"""

import hashlib
import random

import msgspec

from engine.commands import Command, MoveCash
from engine.events import CashMoved, CommandRejected, Event
from engine.orders import CashMovementKind
from engine.reasons import Reason

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(dict[str, int]).decode


class Tally:
    __slots__ = ("balances", "seq")

    def __init__(self) -> None:
        self.balances: dict[str, int] = {}
        self.seq = 0

    def apply(self, command: Command) -> list[Event]:
        assert isinstance(command, MoveCash)
        self.seq += 1
        balance = self.balances.get(command.account, 0)
        if command.kind == CashMovementKind.WITHDRAW:
            if command.amount > balance:
                return [
                    CommandRejected(
                        self.seq,
                        command.ts,
                        "$",
                        command.account,
                        command.reference,
                        command.actor,
                        Reason.INSUFFICIENT_CASH,
                        "insufficient cash",
                    )
                ]
            balance -= command.amount
        else:
            balance += command.amount
        self.balances[command.account] = balance
        return [
            CashMoved(
                self.seq,
                command.ts,
                command.account,
                command.amount,
                command.kind,
                command.reference,
                command.actor,
            )
        ]

    def snapshot(self) -> bytes:
        return _encode({"": self.seq} | dict(sorted(self.balances.items())))

    def restore(self, data: bytes) -> None:
        state = _decode(data)
        self.seq = state.pop("")
        self.balances = state

    def state_hash(self) -> str:
        return hashlib.sha256(self.snapshot()).hexdigest()


def cash_movements(seed: int, count: int) -> list[MoveCash]:
    """A reproducible stream of deposits and withdrawals over a few accounts."""
    rng = random.Random(seed)
    return [
        MoveCash(
            ts=1_700_000_000_000_000_000 + i,
            account=f"A{rng.randrange(5)}",
            amount=rng.randrange(1, 1000),
            kind=rng.choice((CashMovementKind.DEPOSIT, CashMovementKind.WITHDRAW)),
            reference=f"r{i}",
            actor="test",
        )
        for i in range(count)
    ]

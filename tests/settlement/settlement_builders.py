"""Builds the sequencer's events for ledger tests, numbering them as the sequencer would,
and reference data with a commission rate."""

import dataclasses

from engine.events import (
    AccountOpened,
    CashMoved,
    ControlGroupSet,
    DayClosed,
    Event,
    HoldingMoved,
    Trade,
)
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind, Side
from engine.reference import ReferenceData

INSTRUMENT = "TJEA25"
TS = 1_764_000_000_000_000_000


class EventLog:
    """Each call returns one event with the next seq; `references` makes unique ones."""

    def __init__(self, first_seq: int = 1):
        self.seq = first_seq - 1
        self.trade_id = 0

    def _next(self) -> tuple[int, int]:
        self.seq += 1
        return self.seq, TS + self.seq

    def open(
        self, account: str, kind: int = AccountKind.INVESTOR, allocation: int = 0, group: str = ""
    ) -> Event:
        return AccountOpened(*self._next(), account, "M1", kind, group, allocation, "ops")

    def group(self, account: str, group: str) -> Event:
        return ControlGroupSet(*self._next(), account, group, "ops")

    def cash(self, account: str, amount: int, kind: int = CashMovementKind.DEPOSIT, ref: str = ""):
        seq, ts = self._next()
        return CashMoved(seq, ts, account, amount, kind, ref or f"cash-{seq}", "ops")

    def holding(
        self,
        account: str,
        quantity: int,
        kind: int = HoldingMovementKind.ALLOCATE,
        instrument: str = INSTRUMENT,
        ref: str = "",
    ) -> Event:
        seq, ts = self._next()
        return HoldingMoved(seq, ts, account, instrument, quantity, kind, ref or f"h-{seq}", "ops")

    def trade(
        self, buyer: str, seller: str, quantity: int, price: int, instrument: str = INSTRUMENT
    ) -> Event:
        seq, ts = self._next()
        self.trade_id += 1
        order = 2 * self.trade_id
        return Trade(
            seq, ts, self.trade_id, instrument, price, quantity, Side.BUY,
            order, buyer, f"b{order}", 0, order + 1, seller, f"s{order}", 0,
        )  # fmt: skip

    def close(self, trading_date: str, instrument: str = INSTRUMENT) -> Event:
        seq, ts = self._next()
        return DayClosed(
            seq, ts, trading_date, instrument, 0, 0, 0, 5000, True, 0, 0, 0, 5000, 4500, 5500
        )


def with_fees(reference: ReferenceData, bps: int) -> ReferenceData:
    """The same market with a commission of `bps` per side."""
    rules = dataclasses.replace(reference.rules, commission_bps=bps)
    return ReferenceData(reference.instruments, reference.calendar, rules, reference.source)

"""Shared set-up for the engine tests: the shipped reference data, a trading-day clock
and a sequencer with funded accounts."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from engine.commands import MoveCash, MoveHolding, OpenAccount
from engine.memory_holds import MemoryHolds
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind
from engine.reference import ReferenceData, load_reference_data
from engine.sequencer import Sequencer

SHANGHAI = ZoneInfo("Asia/Shanghai")
TRADING_DAY = dt.date(2026, 11, 24)  # a Tuesday


def at(hour: int, minute: int = 0, day: dt.date = TRADING_DAY) -> int:
    """ns timestamp of a Beijing wall-clock time."""
    moment = dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI)
    return int(moment.timestamp()) * 1_000_000_000


OPEN = at(10)  # inside the morning session
ACCOUNTS = {"A1": ("M1", "G1"), "A2": ("M1", "G1"), "B1": ("M2", ""), "C1": ("M3", "")}
CASH = 100_000_000_00  # fen per account
TONNES = 1_000_000  # of each instrument per account


def open_accounts(sequencer: Sequencer, reference: ReferenceData) -> None:
    for account, (member, group) in ACCOUNTS.items():
        sequencer.apply(OpenAccount(0, account, member, AccountKind.INVESTOR, group, 0, "test"))
        sequencer.apply(
            MoveCash(0, account, CASH, CashMovementKind.DEPOSIT, f"cash-{account}", "test")
        )
        for symbol in reference.instruments:
            sequencer.apply(
                MoveHolding(
                    0,
                    account,
                    symbol,
                    TONNES,
                    HoldingMovementKind.ALLOCATE,
                    f"alloc-{account}-{symbol}",
                    "test",
                )
            )


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return load_reference_data()


@pytest.fixture
def holds() -> MemoryHolds:
    return MemoryHolds()


@pytest.fixture
def sequencer(reference: ReferenceData, holds: MemoryHolds) -> Sequencer:
    sequencer = Sequencer(reference, holds)
    open_accounts(sequencer, reference)
    return sequencer

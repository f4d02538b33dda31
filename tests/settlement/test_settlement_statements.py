"""End-of-day statements: opening + movements = closing, reconciled to the registry."""

import csv
import io

import msgspec
import pytest
from settlement_builders import EventLog

from engine.orders import CashMovementKind, HoldingMovementKind
from settlement.ledger import Ledger
from settlement.statements import (
    CSV_COLUMNS,
    DayReport,
    StatementError,
    account_statement,
    end_of_day,
    statements_csv,
    statements_json,
)


def two_days(ledger: Ledger) -> None:
    log = EventLog()
    ledger.book(
        [
            log.open("BUYER"),
            log.open("SELLER"),
            log.cash("BUYER", 1_000_000),
            log.holding("SELLER", 500),
            log.trade("BUYER", "SELLER", 100, 5_000),
            log.close("2026-11-24"),
            log.close("2026-11-24", "CCER"),
            log.trade("BUYER", "SELLER", 50, 4_000),
            log.cash("SELLER", 100_000, CashMovementKind.WITHDRAW),
            log.holding("SELLER", 20, HoldingMovementKind.FREEZE),
            log.holding("BUYER", 30, HoldingMovementKind.SURRENDER),
            log.close("2026-11-25"),
            log.cash("BUYER", 7, ref="after-the-close"),  # belongs to the next day
        ]
    )


def lines(statement) -> dict:
    return {line.asset: line for line in statement.lines}


def test_the_second_day_opens_where_the_first_closed(ledger: Ledger):
    two_days(ledger)
    first = account_statement(ledger, "SELLER", "2026-11-24")
    second = account_statement(ledger, "SELLER", "2026-11-25")
    assert first.reconciled and second.reconciled
    assert lines(second)["CNY"].opening == lines(first)["CNY"].closing == 500_000
    cash = lines(second)["CNY"]
    assert (cash.trade_in, cash.moved_out, cash.closing) == (200_000, 100_000, 600_000)
    tonnes = lines(second)["TJEA25"]
    assert (tonnes.opening, tonnes.trade_out, tonnes.closing, tonnes.frozen) == (400, 50, 350, 20)
    assert [t.trade_id for t in second.trades] == [2]


def test_surrender_and_deposit_after_the_close_are_placed_correctly(ledger: Ledger):
    two_days(ledger)
    buyer = lines(account_statement(ledger, "BUYER", "2026-11-25"))
    assert (buyer["TJEA25"].opening, buyer["TJEA25"].moved_out, buyer["TJEA25"].closing) == (
        100,
        30,
        120,
    )
    assert buyer["CNY"].closing == 1_000_000 - 500_000 - 200_000  # the later deposit excluded


def test_a_day_report_conserves_every_instrument(ledger: Ledger):
    two_days(ledger)
    report = end_of_day(ledger, "2026-11-25")
    assert report.conservation == []
    assert [s.account for s in report.statements] == ["BUYER", "SELLER"]
    assert all(s.reconciled for s in report.statements)


def test_a_registry_that_disagrees_is_reported_not_adjusted(ledger: Ledger):
    two_days(ledger)
    ledger.database.execute(
        "UPDATE balances SET amount = amount + 1 WHERE owner = 'SELLER' AND asset = 'CNY'"
    )
    statement = account_statement(ledger, "SELLER", "2026-11-25")
    assert not statement.reconciled
    assert "registry holds 600001" in statement.differences[0]
    problems = ledger.verify()
    assert any("not conserved" in problem for problem in problems)
    assert any(problem.startswith("SELLER CNY cash: balance 600001") for problem in problems)


def test_exports_as_csv_and_json(ledger: Ledger):
    two_days(ledger)
    report = end_of_day(ledger, "2026-11-25")
    rows = list(csv.DictReader(io.StringIO(statements_csv(report))))
    assert tuple(rows[0]) == CSV_COLUMNS
    seller_cash = next(r for r in rows if r["account"] == "SELLER" and r["asset"] == "CNY")
    assert (seller_cash["opening"], seller_cash["closing"]) == ("500000", "600000")
    assert msgspec.json.decode(statements_json(report), type=DayReport) == report


def test_unknown_account_or_open_day_is_refused(ledger: Ledger):
    two_days(ledger)
    with pytest.raises(StatementError, match="unknown account"):
        account_statement(ledger, "NOBODY", "2026-11-25")
    with pytest.raises(StatementError, match="not closed"):
        end_of_day(ledger, "2026-11-26")

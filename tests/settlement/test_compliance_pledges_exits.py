"""Pledges, exits and the move to the national market against the real engine and
registry, on SQLite and PostgreSQL; the engine's holds equal the registry's throughout."""

import pytest
from compliance_market import ComplianceMarket, compliance_reference
from test_compliance_year import YEAR, enrol, refused

from engine.commands import CancelOrder, EndOfDay
from engine.orders import AccountKind, Side
from settlement.compliance_year import Verification
from settlement.ledger import Ledger
from settlement.statements import account_statement, end_of_day


@pytest.fixture(scope="module")
def reference():
    return compliance_reference()


@pytest.fixture
def market(database_url, reference):
    ledger = Ledger.open(database_url, reference)
    market = ComplianceMarket(ledger, reference)
    market.open("ENT")
    market.open("BANK-ACCT", AccountKind.INVESTOR)
    enrol(market, "ENT", 100_000, 100_000)
    market.compliance.year.run_batch1(YEAR, "b1", "sup")
    market.compliance.pledges.register_pledgee(
        "BOC", "Bank of China Tianjin", "BANK-ACCT", "pg", "sup"
    )
    yield market
    assert market.differences() == []
    ledger.close()


def propose(market, quantity=20_000, reference="pl1"):
    return market.compliance.pledges.propose(
        "ENT",
        "BOC",
        "TJEA25",
        quantity,
        "LOAN-7",
        80_000_000,
        "2027-03-31",
        reference,
        "ENT-member",
    )


def test_pledge_confirmed_by_the_pledgee_freezes_then_release(market):
    pledges = market.compliance.pledges
    propose(market)
    assert market.tonnes("ENT", "TJEA25") == (70_000, 0, 0)  # nothing until confirmed
    refused("not_pledgee", pledges.confirm, "pl1", "ICBC", "icbc")
    pledges.confirm("pl1", "BOC", "boc-officer")
    assert market.tonnes("ENT", "TJEA25") == (50_000, 20_000, 0)
    assert market.differences() == []
    # pledged tonnes: refused for sale, surrender (and, by the holds, transfer)
    rejected = market.order("ENT", "TJEA25", Side.SELL, 50_001, 5_000)
    assert rejected[-1].reason == 14  # INSUFFICIENT_HOLDINGS: the pledged are not tradable
    market.compliance.year.verify(Verification("ENT", YEAR, 100_000), "v", "sup")
    refused(
        "holdings_encumbered",
        market.compliance.year.surrender, "ENT", YEAR, "TJEA25", 60_000, "s", "m",
    )  # fmt: skip
    refused("not_pledgee", pledges.release, "pl1", "ICBC", "icbc")
    pledges.release("pl1", "BOC", "boc-officer")
    assert market.tonnes("ENT", "TJEA25") == (70_000, 0, 0)
    assert [p.state for p in pledges.register()] == ["released"]
    refused("pledge_state", pledges.enforce, "pl1", "BOC", "boc")


def test_enforcement_moves_the_pledged_tonnes_to_the_pledgee(market):
    pledges = market.compliance.pledges
    propose(market)
    pledges.confirm("pl1", "BOC", "boc")
    pledges.enforce("pl1", "BOC", "boc")
    assert market.tonnes("ENT", "TJEA25") == (50_000, 0, 0)
    assert market.tonnes("BANK-ACCT", "TJEA25") == (20_000, 0, 0)
    assert market.lineage("BANK-ACCT", "TJEA25") == {"transferred_in": 20_000}
    assert market.ledger.balance("@enforcement", "TJEA25", "available") == 0


def test_a_pledge_of_tonnes_reserved_by_open_orders_is_refused(market):
    market.order("ENT", "TJEA25", Side.SELL, 60_000, 5_000)
    refused("holdings_reserved", propose, market)
    propose(market, 10_000, "pl2")
    market.order("ENT", "TJEA25", Side.SELL, 5_000, 5_000)
    refused("holdings_reserved", market.compliance.pledges.confirm, "pl2", "BOC", "boc")
    assert market.tonnes("ENT", "TJEA25") == (70_000, 0, 0)


def test_bad_pledges(market):
    pledges = market.compliance.pledges
    refused(
        "unknown_pledgee",
        pledges.propose,
        "ENT",
        "NOBANK",
        "TJEA25",
        1,
        "c",
        1,
        "2027-01-01",
        "x",
        "m",
    )
    refused("bad_input", pledges.propose, "ENT", "BOC", "TJEA25", 0, "c", 1, "2027-01-01", "x", "m")
    refused("bad_input", pledges.propose, "ENT", "BOC", "TJEA25", 1, "c", 1, "2020-01-01", "x", "m")
    refused("insufficient_holdings", propose, market, 70_001)
    refused("pledgee_exists", pledges.register_pledgee, "BOC", "again", "BANK-ACCT", "pg2", "sup")
    assert pledges.register() == []


def test_exit_with_open_orders_is_refused_then_cancels_and_returns(market):
    exits = market.compliance.exits
    placed = market.order("ENT", "TJEA25", Side.SELL, 1_000, 5_000)
    refused("open_orders", exits.exit, "ENT", YEAR, 30_000, "exit", "sup")
    market.submit(CancelOrder(market.now(), "ENT", "x1", "TJEA25", "", placed[0].order_id))
    outcome = exits.exit("ENT", YEAR, 30_000, "exit", "sup")
    assert (outcome["emissions"], outcome["returned"]) == (30_000, 40_000)
    assert market.tonnes("ENT", "TJEA25") == (0, 0, 0)
    assert market.ledger.balance("@cancelled", "TJEA25", "available") == 30_000
    assert market.compliance.year.coverage("ENT") == "exited"
    refused("not_covered", exits.exit, "ENT", YEAR, 1, "exit2", "sup")


def test_national_move_freezes_free_allocation_for_cancellation(market):
    exits = market.compliance.exits
    market.give("ENT", "TJEA25", 5_000, "bought-elsewhere")
    outcome = exits.move_to_national("ENT", "chemicals", "2026-03-01", "move", "sup")
    assert outcome["deadline"] == "2029-03-01"  # not a national sector: three years
    assert market.tonnes("ENT", "TJEA25") == (5_000, 0, 70_000)
    assert market.lineage("ENT", "TJEA25") == {"free_allocation": 70_000, "transferred_in": 5_000}
    assert market.differences() == []
    refused("deadline_not_reached", exits.cancel_national, "ENT", True, "c1", "sup")
    exits.cancel_national("ENT", False, "c2", "ENT-member")
    assert market.tonnes("ENT", "TJEA25") == (5_000, 0, 0)
    assert exits.national_move("ENT").cancelled_by == "ENT-member"
    refused("already_cancelled", exits.cancel_national, "ENT", False, "c3", "m")


def test_national_sectors_share_one_deadline_and_a_supervisor_cancels_at_it(market):
    exits = market.compliance.exits
    assert (
        exits.move_to_national("ENT", "power", "2026-03-01", "m", "sup")["deadline"] == "2027-10-31"
    )
    market.advance_days(600)
    exits.cancel_national("ENT", True, "c", "sup")
    assert market.tonnes("ENT", "TJEA25") == (0, 0, 0)


def test_the_days_statements_reconcile_with_every_compliance_movement(market):
    c = market.compliance
    c.year.verify(Verification("ENT", YEAR, 50_000), "v", "sup")
    c.year.run_batch2(YEAR, "b2", "sup")  # clamped to 60,000: claws back 10,000
    c.year.surrender("ENT", YEAR, "TJEA25", 20_000, "s1", "m")
    c.year.reverse("s1", "mistake", "sup")
    propose(market)
    c.pledges.confirm("pl1", "BOC", "boc")
    c.pledges.enforce("pl1", "BOC", "boc")
    c.exits.move_to_national("ENT", "power", "2026-03-01", "move", "sup")
    c.exits.cancel_national("ENT", False, "cancel", "m")
    market.submit(EndOfDay(market.now(), "2026-03-10"))
    report = end_of_day(market.ledger, "2026-03-10")
    assert report.conservation == []
    assert all(s.reconciled for s in report.statements), [
        s.differences for s in report.statements if not s.reconciled
    ]
    ent = {line.asset: line for line in account_statement(market.ledger, "ENT", "2026-03-10").lines}
    # 70,000 batch 1 + 20,000 reversed in; 10,000 clawed, 20,000 surrendered,
    # 20,000 enforced, 40,000 cancelled out
    assert (ent["TJEA25"].moved_in, ent["TJEA25"].moved_out) == (90_000, 90_000)

"""The compliance year against the real engine and registry, on SQLite and PostgreSQL:
batches, verification, true-up with claw-back and debt, surrender and reversal, the
deadline; every bad input refused with its reason and nothing changed; the engine's holds
equal to the registry's after every operation."""

import pytest
from compliance_market import ComplianceMarket, compliance_reference

from engine.orders import AccountKind, HoldingMovementKind, Side
from engine.reference import ReferenceData
from settlement.compliance_operations import ComplianceError
from settlement.compliance_year import Verification
from settlement.ledger import Ledger

YEAR = 2025


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return compliance_reference()


@pytest.fixture
def market(database_url, reference):
    ledger = Ledger.open(database_url, reference)
    market = ComplianceMarket(ledger, reference)
    for account in ("SURPLUS", "SHORT"):
        market.open(account)
    yield market
    assert market.differences() == []
    ledger.close()


def enrol(market, account, previous, baseline, year=YEAR):
    market.compliance.year.enrol(
        account,
        year,
        previous,
        "historical_emissions",
        baseline,
        10_000,
        f"enrol-{account}-{year}",
        "sup",
    )


def refused(reason: str, call, *args, **kwargs) -> ComplianceError:
    with pytest.raises(ComplianceError) as caught:
        call(*args, **kwargs)
    assert caught.value.reason == reason, caught.value.text
    return caught.value


def test_batch1_then_a_second_run_is_refused(market):
    year = market.compliance.year
    enrol(market, "SURPLUS", 100_000, 100_000)
    enrol(market, "SHORT", 50_001, 40_000)
    outcomes = year.run_batch1(YEAR, "b1-2025", "sup")
    assert [o["allocated"] for o in outcomes] == [35_001, 70_000]
    assert market.tonnes("SURPLUS", "TJEA25") == (70_000, 0, 0)
    assert market.lineage("SURPLUS", "TJEA25") == {"free_allocation": 70_000}
    assert market.differences() == []
    refused("batch1_done", year.run_batch1, YEAR, "b1-2025-again", "sup")
    assert market.tonnes("SURPLUS", "TJEA25") == (70_000, 0, 0)


def test_verification_bad_input_changes_nothing(market):
    year = market.compliance.year
    enrol(market, "SURPLUS", 100_000, 100_000)
    refused("negative", year.verify, Verification("SURPLUS", YEAR, -1), "v1", "sup")
    refused("unknown_entity", year.verify, Verification("NOBODY", YEAR, 5), "v2", "sup")
    assert year.entity_year("SURPLUS", YEAR).verified_emissions is None


def test_a_csv_with_one_bad_row_is_refused_whole_naming_line_and_field(market):
    year = market.compliance.year
    enrol(market, "SURPLUS", 100_000, 100_000)
    enrol(market, "SHORT", 50_000, 40_000)
    text = "account,year,verified_emissions\nSURPLUS,2025,90000\nSHORT,2025,lots\n"
    error = refused("bad_file", year.import_verifications, text, "imp", "sup")
    assert "line 3, field verified_emissions" in error.text
    error = refused("negative", year.import_verifications, text.replace("lots", "-3"), "imp", "sup")
    assert error.text.startswith("line 3:")
    assert year.entity_year("SURPLUS", YEAR).verified_emissions is None
    good = year.import_verifications(text.replace("lots", "60000"), "imp", "sup")
    assert len(good) == 2
    assert year.entity_year("SHORT", YEAR).verified_emissions == 60_000


def test_batch2_before_verification_is_refused(market):
    year = market.compliance.year
    enrol(market, "SURPLUS", 100_000, 100_000)
    year.run_batch1(YEAR, "b1", "sup")
    refused("not_verified", year.run_batch2, YEAR, "b2", "sup")
    assert market.tonnes("SURPLUS", "TJEA25") == (70_000, 0, 0)


def test_true_up_allocates_batch2_with_incentives(market):
    year = market.compliance.year
    enrol(market, "SURPLUS", 100_000, 150_000)  # the method gives far more than emissions
    year.run_batch1(YEAR, "b1", "sup")
    year.add_incentive("SURPLUS", YEAR, "pollution_grade_a", "grade A, 2025-09", "inc1", "sup")
    year.verify(Verification("SURPLUS", YEAR, 100_000, new_facility_emissions=7_000), "v", "sup")
    (outcome,) = year.run_batch2(YEAR, "b2", "sup")
    # clamped to 120,000; +1,000 incentive; batch 2 = 121,000 - 70,000
    assert (outcome["final"], outcome["batch2"]) == (120_000, 51_000)
    assert market.tonnes("SURPLUS", "TJEA25") == (121_000, 0, 0)
    assert year.incentives("SURPLUS", YEAR) == [("pollution_grade_a", "grade A, 2025-09", 1_000)]
    refused("already_trued_up", year.verify, Verification("SURPLUS", YEAR, 5), "v2", "sup")


def test_claw_back_with_enough_holdings(market):
    year = market.compliance.year
    enrol(market, "SHORT", 100_000, 50_000)
    year.run_batch1(YEAR, "b1", "sup")
    year.verify(Verification("SHORT", YEAR, 60_000), "v", "sup")
    (outcome,) = year.run_batch2(YEAR, "b2", "sup")
    assert (outcome["batch2"], outcome["clawed_back"], outcome["debt"]) == (-20_000, 20_000, 0)
    assert market.tonnes("SHORT", "TJEA25") == (50_000, 0, 0)
    assert market.differences() == []


def test_claw_back_without_enough_holdings_records_a_debt_for_next_years_batch1(market):
    year = market.compliance.year
    enrol(market, "SHORT", 100_000, 50_000)
    year.run_batch1(YEAR, "b1", "sup")
    # it sells 62,000 of its 70,000 before the true-up; 8,000 remain to claim back
    market.open("BUYER", AccountKind.INVESTOR, cash=10**12)
    market.order("SHORT", "TJEA25", Side.SELL, 62_000, 5_000)
    market.order("BUYER", "TJEA25", Side.BUY, 62_000, 5_000)
    assert market.lineage("BUYER", "TJEA25") == {"bought": 62_000}
    year.verify(Verification("SHORT", YEAR, 60_000), "v", "sup")
    (outcome,) = year.run_batch2(YEAR, "b2", "sup")
    assert (outcome["clawed_back"], outcome["debt"]) == (8_000, 12_000)
    assert market.tonnes("SHORT", "TJEA25") == (0, 0, 0)
    assert market.differences() == []
    enrol(market, "SHORT", 60_000, 50_000, year=2026)
    (next_year,) = year.run_batch1(2026, "b1-2026", "sup")
    assert (next_year["entitled"], next_year["debt_deducted"]) == (42_000, 12_000)
    assert market.tonnes("SHORT", "TJEA26") == (30_000, 0, 0)
    assert year.entity_year("SHORT", YEAR).debt == 0


def verified_entity(market, emissions=100_000):
    year = market.compliance.year
    enrol(market, "SURPLUS", 100_000, 100_000)
    year.run_batch1(YEAR, "b1", "sup")
    year.verify(Verification("SURPLUS", YEAR, emissions), "v", "sup")
    return year


def test_surrender_with_offsets_up_to_the_cap_makes_the_entity_compliant(market):
    year = verified_entity(market)
    market.give("SURPLUS", "CCER", 6_000, "ccer-in")
    market.give("SURPLUS", "TJCER", 6_000, "tjcer-in")
    market.give("SURPLUS", "TJEA24", 30_000, "old-in")
    year.surrender("SURPLUS", YEAR, "CCER", 6_000, "s1", "SURPLUS-member")
    error = refused("offset_cap", year.surrender, "SURPLUS", YEAR, "TJCER", 4_001, "s2", "m")
    assert "10,000" not in error.text and "10000 t" in error.text
    year.surrender("SURPLUS", YEAR, "TJCER", 4_000, "s3", "m")
    year.surrender("SURPLUS", YEAR, "TJEA25", 70_000, "s4", "m")
    assert year.status("SURPLUS", YEAR).status == "outstanding"
    year.surrender("SURPLUS", YEAR, "TJEA24", 20_000, "s5", "m")
    status = year.status("SURPLUS", YEAR)
    assert (status.status, status.surrendered_allowances, status.surrendered_offsets) == (
        "compliant",
        90_000,
        10_000,
    )
    assert market.ledger.balance("@surrendered", "TJEA25", "available") == 70_000
    assert market.differences() == []


def test_surrender_of_unusable_tonnes_is_refused_and_changes_nothing(market):
    year = verified_entity(market)
    admin = market.admin
    admin.move_holding("SURPLUS", "TJEA25", 60_000, HoldingMovementKind.PLEDGE, "p", "ops")
    admin.move_holding("SURPLUS", "TJEA25", 5_000, HoldingMovementKind.FREEZE, "f", "ops")
    market.give("SURPLUS", "TJEA26", 1_000, "future")
    before = market.tonnes("SURPLUS", "TJEA25")
    refused("holdings_encumbered", year.surrender, "SURPLUS", YEAR, "TJEA25", 10_000, "a", "m")
    refused("wrong_vintage", year.surrender, "SURPLUS", YEAR, "TJEA26", 1_000, "b", "m")
    refused("insufficient_holdings", year.surrender, "SURPLUS", YEAR, "TJEA24", 1, "c", "m")
    refused("unknown_instrument", year.surrender, "SURPLUS", YEAR, "NOPE", 1, "d", "m")
    refused("bad_input", year.surrender, "SURPLUS", YEAR, "TJEA25", 0, "e", "m")
    market.order("SURPLUS", "TJEA25", Side.SELL, 5_000, 5_000)
    refused("holdings_reserved", year.surrender, "SURPLUS", YEAR, "TJEA25", 1, "g", "m")
    assert market.tonnes("SURPLUS", "TJEA25") == before
    assert year.surrenders() == []
    # a refused reference stays refused: the same request answers the same
    refused("wrong_vintage", year.surrender, "SURPLUS", YEAR, "TJEA26", 1_000, "b", "m")


def test_reversal_within_fourteen_days_once_and_restores_lineage(market):
    year = verified_entity(market)
    year.surrender("SURPLUS", YEAR, "TJEA25", 30_000, "s1", "m")
    year.surrender("SURPLUS", YEAR, "TJEA25", 10_000, "s2", "m")
    assert market.tonnes("SURPLUS", "TJEA25") == (30_000, 0, 0)
    market.advance_days(13)
    refused("bad_input", year.reverse, "s1", " ", "sup")
    year.reverse("s1", "wrong entity-year", "sup")
    assert market.tonnes("SURPLUS", "TJEA25") == (60_000, 0, 0)
    assert market.lineage("SURPLUS", "TJEA25") == {"free_allocation": 60_000}
    refused("already_reversed", year.reverse, "s1", "again", "sup")
    market.advance_days(2)
    refused("reversal_too_late", year.reverse, "s2", "late", "sup")
    refused("unknown_surrender", year.reverse, "s9", "none", "sup")
    assert year.status("SURPLUS", YEAR).surrendered_allowances == 10_000
    assert market.differences() == []


def test_deadline_snapshot_lists_the_non_compliant_and_deducts_next_year(market):
    year = verified_entity(market)
    year.surrender("SURPLUS", YEAR, "TJEA25", 70_000, "s1", "m")
    refused("deadline_not_reached", year.deadline_snapshot, YEAR, "snap", "sup")
    market.advance_days(480)  # past 2026-06-30
    rows = year.deadline_snapshot(YEAR, "snap", "sup")
    assert rows == [{"account": "SURPLUS", "status": "non_compliant", "shortfall": 30_000}]
    assert year.non_compliant(YEAR)[0]["shortfall"] == 30_000
    assert year.status("SURPLUS", YEAR).status == "non_compliant"
    refused("deadline_passed", year.surrender, "SURPLUS", YEAR, "TJEA25", 1, "late", "m")
    assert year.entity_year("SURPLUS", YEAR).debt == 30_000
    enrol(market, "SURPLUS", 100_000, 100_000, year=2026)
    (batch1,) = year.run_batch1(2026, "b1-2026", "sup")
    assert (batch1["entitled"], batch1["debt_deducted"], batch1["allocated"]) == (
        70_000,
        30_000,
        40_000,
    )
    assert year.entity_year("SURPLUS", YEAR).debt == 0


@pytest.mark.parametrize("applied", [True, False], ids=["engine-applied", "engine-not-reached"])
def test_a_restart_in_the_middle_of_batch1_completes_without_double_allocation(market, applied):
    for account in ("E1", "E2", "E3"):
        market.open(account)
        enrol(market, account, 10_000, 10_000)
    calls = []

    def crash_after_two(command):
        """The power goes at the second movement: after the engine applied it (its
        operation not finished), or before the command reached the engine."""
        calls.append(command)
        if len(calls) == 2 and not applied:
            raise SystemExit("power cut")
        events = market.submit(command)
        if len(calls) == 2:
            raise SystemExit("power cut")
        return events

    interrupted = market.new_compliance(crash_after_two)
    with pytest.raises(SystemExit):
        interrupted.year.run_batch1(YEAR, "b1", "sup")
    restarted = market.new_compliance()
    assert restarted.resume() == ["b1/E2"]
    restarted.year.run_batch1(YEAR, "b1-retry", "sup")
    for account in ("E1", "E2", "E3"):
        assert market.tonnes(account, "TJEA25") == (7_000, 0, 0)
    refused("batch1_done", restarted.year.run_batch1, YEAR, "b1-third", "sup")


def test_an_operation_repeated_with_its_reference_answers_again_and_moves_nothing(market):
    year = verified_entity(market)
    first = year.surrender("SURPLUS", YEAR, "TJEA25", 1_000, "same", "m")
    assert year.surrender("SURPLUS", YEAR, "TJEA25", 1_000, "same", "m") == first
    assert market.tonnes("SURPLUS", "TJEA25") == (69_000, 0, 0)
    refused("duplicate_reference", year.surrender, "SHORT", YEAR, "TJEA25", 1, "same", "m")

"""Each allocation rule on a hand-worked example (carbon-lifecycle.md section 3)."""

import pytest

from engine.reference import load_reference_data
from settlement.allocation_rules import (
    batch1,
    clamp,
    incentive,
    method_allocation,
    non_fossil,
    true_up,
)
from settlement.compliance_parameters import compliance_parameters

P = compliance_parameters(load_reference_data())


def test_batch1_is_at_least_seventy_percent_rounded_up():
    assert batch1(100_000, P) == 70_000
    assert batch1(100_001, P) == 70_001  # 70,000.7 -> at least that: 70,001


def test_methods():
    assert method_allocation("historical_emissions", 100_000, 9_800, 0) == 98_000
    # 850 kg per unit x 120,000 units x 0.98 = 99,960 t
    assert method_allocation("historical_intensity", 850, 9_800, 120_000) == 99_960


def test_clamp_caps_a_surplus_at_twenty_percent_of_verified_emissions():
    assert clamp(150_000, 100_000, P) == 120_000  # surplus 50,000 -> 20,000


def test_clamp_caps_a_shortfall_at_twenty_percent_of_verified_emissions():
    assert clamp(60_000, 100_000, P) == 80_000  # shortfall 40,000 -> 20,000


def test_clamp_leaves_an_allocation_within_the_band():
    assert clamp(119_999, 100_000, P) == 119_999
    assert clamp(80_001, 100_000, P) == 80_001


@pytest.mark.parametrize(
    ("criterion", "verified", "tonnes"),
    [
        ("pollution_grade_a", 400_000, 4_000),  # 1 %, below the cap
        ("pollution_grade_a", 500_000, 5_000),  # at the cap
        ("pollution_grade_a", 900_000, 5_000),  # above: capped
        ("energy_benchmark", 100_000, 500),  # 0.5 %
        ("energy_benchmark", 200_000, 1_000),  # at the cap
        ("energy_benchmark", 300_000, 1_000),  # above: capped
        ("national_pilot", 300_000, 3_000),
        ("national_pilot", 500_000, 5_000),
        ("national_pilot", 2_000_000, 5_000),
    ],
)
def test_incentives_and_their_caps(criterion, verified, tonnes):
    assert incentive(criterion, verified, P) == tonnes


def test_non_fossil_electricity_earns_only_market_purchases_of_a_short_entity():
    # 10,000 MWh x 0.570 t/MWh = 5,700 t avoided
    assert non_fossil(10_000, "market", 10_000, P) == 5_700
    assert non_fossil(10_000, "market", 2_000, P) == 2_000  # capped at the shortfall
    assert non_fossil(10_000, "market", 0, P) == 0  # in surplus: nothing
    assert non_fossil(10_000, "direct_supply", 10_000, P) == 0
    assert non_fossil(10_000, "energy_performance_contract", 10_000, P) == 0


def test_true_up_of_a_short_entity_with_an_incentive_and_electricity():
    result = true_up(
        method="historical_emissions",
        baseline=90_000,
        control_factor_bps=10_000,
        output=0,
        verified=100_000,
        batch1_entitled=70_000,
        criteria=["energy_benchmark"],
        non_fossil_mwh=20_000,
        non_fossil_channel="market",
        parameters=P,
    )
    # final 90,000 (within the band), +500 incentive, shortfall 9,500 <= 11,400 earned
    assert result.final == 90_000
    assert result.incentives == {"energy_benchmark": 500}
    assert result.non_fossil == 9_500
    assert result.total == 100_000
    assert result.batch2 == 30_000


def test_true_up_of_an_entity_whose_batch1_was_too_much():
    result = true_up(
        method="historical_emissions",
        baseline=50_000,
        control_factor_bps=10_000,
        output=0,
        verified=60_000,
        batch1_entitled=70_000,
        criteria=[],
        non_fossil_mwh=0,
        non_fossil_channel="",
        parameters=P,
    )
    assert result.final == 50_000  # shortfall 10,000 within 12,000
    assert result.batch2 == -20_000  # an excess claimed back

"""The adversarial library (surveillance/scenarios/adversarial_day.py) on the tests' own
seeds: every evasion variant of every pattern found, nothing else raised, and a clean day
of hard negatives (ladder market makers, a deadline slicer, a cautious institution, a
fast algorithm, a sole closer) raising nothing at all."""

import pytest

from surveillance.parameters import SIMULATED_PATTERNS
from surveillance.runner import Surveillance
from surveillance.scenarios.adversarial_day import generate_adversarial_day
from surveillance.scenarios.evasions import VARIANTS
from surveillance.scenarios.quality import by_variant, measure


def test_every_pattern_has_three_evasion_variants():
    assert set(VARIANTS) == set(SIMULATED_PATTERNS)
    assert all(len(variants) >= 3 for variants in VARIANTS.values())


@pytest.mark.parametrize("seed", [2, 3])
def test_every_evasion_variant_is_found_and_nothing_else(seed, reference):
    day = generate_adversarial_day(seed, reference=reference)
    alerts = Surveillance(reference).run(day.events)
    for pattern, counts in measure(alerts, day.episodes).items():
        assert counts.recall == 1.0, (pattern, counts.missed)
        assert counts.precision == 1.0, (pattern, counts.false_alerts)
    found = by_variant(alerts, day.episodes)
    injected = {(e.pattern, e.variant) for e in day.episodes}
    assert len(injected) >= 3 * len(SIMULATED_PATTERNS) - 2  # one close a day: one of its variants
    assert all(found[key].recall == 1.0 for key in injected)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_clean_day_of_hard_negatives_raises_nothing(seed, reference):
    day = generate_adversarial_day(seed, reference=reference, clean=True)
    assert day.episodes == []
    assert Surveillance(reference).run(day.events) == []

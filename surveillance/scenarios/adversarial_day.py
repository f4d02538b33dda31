"""An adversarial trading day: a market made differently from `day.generate_day` (ladder
market makers, a deadline slicer, a cautious institution, a fast algorithm, a sole market
maker in the thin instrument's close), evasive manipulators (scenarios/evasions.py), and
clean days with no manipulation at all, for false alerts per day.

`generate_adversarial_day(seed, variants=...)` is deterministic in its seed; each
pattern's variants are injected once per day (three per pattern by default).
"""

import datetime as dt
import random

from engine.reference import ReferenceData, load_reference_data
from surveillance.scenarios.day import BUSY, DEFAULT_DATE, QUIET, Scenario
from surveillance.scenarios.evasions import VARIANTS, Evasions
from surveillance.scenarios.hard_negatives import (
    CautiousInstitution,
    DeadlineSlicer,
    FastAlgorithm,
    LadderMaker,
    SoleCloser,
)
from surveillance.scenarios.participants import Investors
from surveillance.scenarios.simulation import Simulation


def generate_adversarial_day(
    seed: int,
    *,
    reference: ReferenceData | None = None,
    trading_date: dt.date = DEFAULT_DATE,
    clean: bool = False,
    patterns: tuple[str, ...] = tuple(VARIANTS),
) -> Scenario:
    """With `clean`, only the honest (and hard-negative) flow."""
    reference = reference or load_reference_data()
    sim = Simulation(reference, trading_date, random.Random(seed))
    investors = [f"J{number:02d}" for number in range(1, 31)]
    LadderMaker(sim, f"LM1{BUSY}", BUSY, 3, 45)
    LadderMaker(sim, f"LM2{BUSY}", BUSY, 2, 25)
    Investors(sim, [f"{a}{BUSY}" for a in investors], BUSY, 110)
    Investors(sim, [f"{a}{QUIET}" for a in investors[:12]], QUIET, 18)
    LadderMaker(sim, f"LM1{QUIET}", QUIET, 2, 90)
    SoleCloser(sim, f"SC{QUIET}", QUIET)
    DeadlineSlicer(sim, "DS01", BUSY, sim.rng.randint(20_000, 60_000))
    CautiousInstitution(sim, "CI01", BUSY, sim.rng.randint(4, 10))
    FastAlgorithm(sim, "FA01", BUSY, sim.rng.uniform(2, 4))
    evasions = Evasions(
        sim,
        {BUSY: [f"{a}{BUSY}" for a in investors], QUIET: [f"{a}{QUIET}" for a in investors[:12]]},
    )
    if not clean:
        for pattern in patterns:
            variants = VARIANTS[pattern]
            if pattern == "marking_the_close":  # one close a day: the variant by the seed
                evasions.inject(pattern, variants[seed % len(variants)], BUSY)
                continue
            for variant in variants:
                instrument = BUSY if sim.rng.random() < 0.8 else QUIET
                evasions.inject(pattern, variant, instrument)
    events = sim.run()
    return Scenario(events, [e for e in evasions.episodes if e.start])

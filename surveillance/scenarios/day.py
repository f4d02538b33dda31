"""A generated trading day: honest flow plus labelled manipulation episodes.

`generate_day(seed)` is deterministic in its seed. The day starts with the accounts, cash
and holdings the registry opens with (as events), so a stored day replays on its own.
"""

import datetime as dt
import random
from dataclasses import dataclass

from engine.events import Event
from engine.reference import ReferenceData, load_reference_data
from surveillance.parameters import SIMULATED_PATTERNS
from surveillance.scenarios.episode import Episode
from surveillance.scenarios.manipulation import Manipulators
from surveillance.scenarios.participants import (
    ComplianceBuyers,
    Investors,
    MarketMaker,
    deadline_pressure,
)
from surveillance.scenarios.simulation import Simulation

BUSY, QUIET = "TJEA25", "CCER"  # a liquid allowance and a thinner offset
DEFAULT_DATE = dt.date(2026, 11, 24)


@dataclass(slots=True)
class Scenario:
    events: list[Event]
    episodes: list[Episode]  # the ones that took place (each ran at least one action)


def generate_day(
    seed: int,
    *,
    reference: ReferenceData | None = None,
    trading_date: dt.date = DEFAULT_DATE,
    episodes_per_pattern: int = 2,
    days_to_deadline: int = 30,
    activity: float = 1.0,
) -> Scenario:
    """`activity` scales the honest flow (1.0 is a normal thin carbon-market day)."""
    reference = reference or load_reference_data()
    sim = Simulation(reference, trading_date, random.Random(seed))
    investors = [f"I{number:02d}" for number in range(1, 26)]
    for instrument, per_hour, requote_s in ((BUSY, 80, 30), (QUIET, 25, 60)):
        for number in range(1, 4):
            MarketMaker(sim, f"MM{number}{instrument}", instrument, requote_s / activity)
        Investors(sim, [f"{a}{instrument}" for a in investors], instrument, per_hour * activity)
    compliance_orders = round(20 * deadline_pressure(days_to_deadline) * activity)
    ComplianceBuyers(sim, [f"C{number:02d}" for number in range(1, 16)], BUSY, compliance_orders)
    manipulators = Manipulators(
        sim, {instrument: [f"{a}{instrument}" for a in investors] for instrument in (BUSY, QUIET)}
    )
    for pattern in SIMULATED_PATTERNS:
        for number in range(episodes_per_pattern):
            if pattern == "marking_the_close":
                instrument = (BUSY, QUIET)[number % 2]
                if number > 1:
                    continue
            else:
                instrument = BUSY if sim.rng.random() < 0.75 else QUIET
            getattr(manipulators, pattern)(instrument)
    events = sim.run()
    return Scenario(events, [e for e in manipulators.episodes if e.start])

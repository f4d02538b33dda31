"""Surveillance benchmarks: replay throughput, and detector quality on labelled days.

    python -m bench.surveillance             # replay events/s, every detector on
    python -m bench.surveillance --quality   # precision and recall per pattern

Throughput replays a busy generated day from its event file (read, decode, every
detector, alert merging) five times and reports the median, by the wall clock and by the
process's CPU time (the CPU figure is the one to compare when the machine is shared).
Quality generates days with seeds from 1000 on (the tests use 1-20), runs every detector
and scores the alerts against the injected episodes (surveillance/scenarios/quality.py):
first the project's own generated days, then the adversarial library's days (another
background market, evasive manipulators: scenarios/adversarial_day.py) per pattern and
per variant, then clean adversarial days (hard negatives only) for false alerts per day.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from engine.reference import load_reference_data
from surveillance.event_file import write_events
from surveillance.parameters import PATTERNS
from surveillance.replay import replay
from surveillance.runner import Surveillance
from surveillance.scenarios.adversarial_day import generate_adversarial_day
from surveillance.scenarios.day import generate_day
from surveillance.scenarios.quality import Quality, by_variant, measure, table, variant_table

FIRST_SEED = 1000


def throughput(runs: int, activity: float) -> None:
    reference = load_reference_data()
    day = generate_day(FIRST_SEED, activity=activity)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "busy-day.tcxev"
        count = write_events(path, day.events)
        wall, cpu = [], []
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            replay(path, Surveillance(reference), progress=False)
            wall.append(count / (time.perf_counter() - started))
            cpu.append(count / (time.process_time() - started_cpu))
    print(f"events in the day: {count:,} (activity x{activity:g})")
    print(f"replay, all {len(PATTERNS)} detectors, median of {runs}:")
    print(f"  {statistics.median(wall):,.0f} events/s (wall clock)")
    print(f"  {statistics.median(cpu):,.0f} events/s (CPU time)")


def quality(days: int, first_seed: int) -> None:
    reference = load_reference_data()
    total = {pattern: Quality() for pattern in PATTERNS}
    for seed in range(first_seed, first_seed + days):
        day = generate_day(seed, reference=reference)
        scored = measure(Surveillance(reference).run(day.events), day.episodes)
        for pattern in PATTERNS:
            total[pattern].add(scored[pattern])
    print(f"{days} generated days, seeds {first_seed}-{first_seed + days - 1}")
    print(table(total))
    adversarial = {pattern: Quality() for pattern in PATTERNS}
    variants: dict[tuple[str, str], Quality] = {}
    for seed in range(first_seed, first_seed + days):
        day = generate_adversarial_day(seed, reference=reference)
        alerts = Surveillance(reference).run(day.events)
        for pattern, scored in measure(alerts, day.episodes).items():
            adversarial[pattern].add(scored)
        for key, scored in by_variant(alerts, day.episodes).items():
            variants.setdefault(key, Quality()).add(scored)
    print(f"\n{days} adversarial days, seeds {first_seed}-{first_seed + days - 1}")
    print(table(adversarial))
    print(variant_table(variants))
    false_alerts: dict[str, int] = {}
    for seed in range(first_seed, first_seed + days):
        day = generate_adversarial_day(seed, reference=reference, clean=True)
        for alert in Surveillance(reference).run(day.events):
            false_alerts[alert.pattern] = false_alerts.get(alert.pattern, 0) + 1
    print(f"\n{days} clean adversarial days: {sum(false_alerts.values()) / days:.2f} alerts a day")
    for pattern, count in sorted(false_alerts.items()):
        print(f"  {pattern}: {count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quality", action="store_true", help="precision/recall per pattern")
    parser.add_argument("--days", type=int, default=20, help="generated days for --quality")
    parser.add_argument(
        "--first-seed", type=int, default=FIRST_SEED, help="first seed for --quality (>20)"
    )
    parser.add_argument("--runs", type=int, default=5, help="replays for the median")
    parser.add_argument("--activity", type=float, default=20.0, help="busy-day multiplier")
    arguments = parser.parse_args()
    if arguments.quality:
        if arguments.first_seed <= 20:
            parser.error("seeds 1-20 are the tests'; measure on others")
        quality(arguments.days, arguments.first_seed)
    else:
        throughput(arguments.runs, arguments.activity)


if __name__ == "__main__":
    main()

"""`tcx surveil replay FILE`: run every detector over a stored day, to back-test a
parameter change before it goes live.

Reads an event file (surveillance/event_file.py), shows a progress bar, then prints the
alerts per pattern with the parameter version each ran with. `--parameters` takes a TOML
file of changed parameters (surveillance/parameters.py); `--alerts` writes every alert as
one JSON object per line for a closer look. `--against OLD.toml` replays the day under
those parameters too and lists the alerts the change adds and drops
(surveillance/alert_diff.py): back-testing a new version against the one live now.
"""

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import msgspec
from tqdm import tqdm

from engine.reference import DEFAULT_PATH, ReferenceDataError, load_reference_data
from surveillance import alert_diff
from surveillance.alert import Alert
from surveillance.event_file import EventFileError, count_events, read_events
from surveillance.parameters import PATTERNS, ParameterError, Parameters, load_parameters
from surveillance.runner import Surveillance


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tcx surveil replay",
        description="Replay a stored day of events through every surveillance detector.",
    )
    parser.add_argument("events", type=Path, help="event file (length-prefixed msgpack events)")
    parser.add_argument("--parameters", type=Path, help="TOML file of detector parameters")
    parser.add_argument(
        "--reference-data", type=Path, default=DEFAULT_PATH, help="reference data TOML"
    )
    parser.add_argument("--alerts", type=Path, help="write the alerts here as JSON lines")
    parser.add_argument(
        "--against", type=Path, help="TOML file of the parameters to compare with (the old ones)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def replay(path: Path, surveillance: Surveillance, progress: bool = True) -> list[Alert]:
    total = count_events(path)
    with tqdm(total=total, unit="event", disable=not progress, file=sys.stderr) as bar:
        for number, event in enumerate(read_events(path), 1):
            surveillance.on_event(event)
            if number % 10_000 == 0:
                bar.update(10_000)
        bar.update(total - bar.n)
    surveillance.finish()
    return sorted(surveillance.alerts.values(), key=lambda a: (a.window_start, a.id))


def summary(alerts: list[Alert], parameters: Parameters) -> str:
    counts = Counter(alert.pattern for alert in alerts)
    width = max(len(pattern) for pattern in PATTERNS)
    lines = [f"{'pattern':<{width}}  version  alerts"]
    for pattern in PATTERNS:
        version = getattr(parameters, pattern).version
        lines.append(f"{pattern:<{width}}  v{version:<6}  {counts[pattern]:>6}")
    lines.append(f"{'total':<{width}}           {len(alerts):>6}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        reference = load_reference_data(arguments.reference_data)
        parameters = load_parameters(arguments.parameters) if arguments.parameters else Parameters()
        alerts = replay(arguments.events, Surveillance(reference, parameters), not arguments.quiet)
        if arguments.against:
            old = load_parameters(arguments.against)
            old_alerts = replay(arguments.events, Surveillance(reference, old), False)
    except (ParameterError, ReferenceDataError, EventFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary(alerts, parameters))
    if arguments.against:
        print(alert_diff.describe(old_alerts, alerts, str(arguments.against), "these parameters"))
    if arguments.alerts:
        encoder = msgspec.json.Encoder()
        with open(arguments.alerts, "wb") as out:
            for alert in alerts:
                out.write(encoder.encode(alert) + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

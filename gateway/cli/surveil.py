"""`tcx surveil ...`: surveillance's offline tools.

    tcx surveil export --data-dir var --out day.tcxev   the journal's events, as a day file
    tcx surveil replay day.tcxev [--parameters p.toml]  back-test detectors on that day

The journal holds commands, not events; `export` regenerates the events by replaying it
through a fresh sequencer (the engine is deterministic), so any past day can be replayed
against new detector parameters before they go live.
"""

import argparse
import itertools
import sys
from pathlib import Path

from tqdm import tqdm

from engine.event_replay import events_after
from engine.reference import DEFAULT_PATH, load_reference_data
from engine.sequencer import Sequencer
from settlement.holds import SettlementHolds
from surveillance import replay
from surveillance.event_file import write_events


def add_surveil_commands(subparsers: argparse._SubParsersAction) -> None:
    surveil = subparsers.add_parser("surveil", help="surveillance tools: export a day, replay it")
    commands = surveil.add_subparsers(dest="surveil_command", required=True, metavar="COMMAND")

    export = commands.add_parser("export", help="write the journal's events to a day file")
    export.add_argument("--data-dir", type=Path, default=Path("var"))
    export.add_argument("--reference-data", type=Path, default=DEFAULT_PATH)
    export.add_argument("--out", type=Path, required=True)
    export.set_defaults(run=_export)

    back_test = commands.add_parser(
        "replay",
        help="replay a day file through every detector (see `tcx surveil replay -h`)",
        add_help=False,
    )
    back_test.add_argument("arguments", nargs=argparse.REMAINDER)
    back_test.set_defaults(run=lambda args: replay.main(args.arguments))


def _export(args: argparse.Namespace) -> int:
    journal = args.data_dir / "journal"
    if not (journal / "journal.log").exists():
        print(f"tcx surveil: no journal in {journal}", file=sys.stderr)
        return 2
    reference = load_reference_data(args.reference_data)
    batches = events_after(journal, lambda: Sequencer(reference, SettlementHolds(reference)), 0)
    with tqdm(unit="event", file=sys.stderr) as progress:
        events = itertools.chain.from_iterable(
            progress.update(len(batch)) or batch for batch in batches
        )
        written = write_events(args.out, events)
    print(f"{written} events written to {args.out}")
    return 0

"""How fast price publication keeps up with the engine's event stream.

    python -m bench.market_data [--events 200000] [--runs 5] [--seed 1]

Runs the engine benchmark's order flow (bench/workload.py: limit orders resting near the
mid, cancels, marketable IOC orders) through the real sequencer once, keeping every event,
then times a fresh MarketDataPublisher applying all of them, median of `--runs`, in CPU
time of this process (the machine is shared, so wall time mostly measures the neighbours):
  - publish: the messages built (quotes, depth, trades, bars), no subscriber;
  - publish + JSON: one subscriber for everything that encodes each message to JSON, as
    the websocket feed does.
"""

import argparse
import statistics
import time
from collections import Counter

from bench.workload import generate
from engine.events import Event
from engine.memory_holds import MemoryHolds
from engine.reference import ReferenceData, load_reference_data
from engine.sequencer import Sequencer
from surveillance.market_data import MarketDataPublisher, Message, encode_message


def engine_events(reference: ReferenceData, commands: int, seed: int) -> list[Event]:
    workload = generate(commands, seed=seed)
    sequencer = Sequencer(reference, MemoryHolds())
    events: list[Event] = []
    for command in (*workload.setup, *workload.warmup, *workload.timed):
        events += sequencer.apply(command)
    return events


def publish(reference: ReferenceData, events: list[Event], encode: bool) -> tuple[float, int]:
    """(CPU seconds, messages) for one publisher applying `events`."""
    publisher = MarketDataPublisher(reference)
    if encode:
        encoded = [0]

        def forward(message: Message) -> None:
            encoded[0] += len(encode_message(message))

        publisher.subscribe(forward)
    apply = publisher.apply
    messages = 0
    started = time.process_time()
    for event in events:
        messages += len(apply(event))
    return time.process_time() - started, messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="workload commands")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not 1 <= args.events <= 5_000_000 or not 1 <= args.runs <= 50:
        parser.error("--events must be 1..5,000,000 and --runs 1..50")

    reference = load_reference_data()
    events = engine_events(reference, args.events, args.seed)
    kinds = Counter(type(event).__name__ for event in events)
    print(f"{len(events):,} events: " + ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items())))
    for label, encode in (("publish", False), ("publish + JSON", True)):
        runs = [publish(reference, events, encode) for _ in range(args.runs)]
        seconds = statistics.median(run[0] for run in runs)
        messages = runs[0][1]
        print(
            f"{label:>15}: {len(events) / seconds:>9,.0f} events/s, "
            f"{seconds * 1e6 / len(events):.2f} µs/event, "
            f"{messages / len(events):.2f} messages/event (median of {args.runs})"
        )


if __name__ == "__main__":
    main()

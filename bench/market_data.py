"""How fast price publication keeps up with the engine's event stream.

    python -m bench.market_data [--events 200000] [--runs 5] [--seed 1] [--batch 100]

Runs the engine benchmark's order flow (bench/workload.py: limit orders resting near the
mid, cancels, marketable IOC orders) through the real sequencer once, keeping every event,
then times a fresh MarketDataPublisher applying all of them, median of `--runs`, in CPU
time of this process (the machine is shared, so wall time mostly measures the neighbours):
  - publish: the messages built (quotes, depth, trades, bars), no subscriber;
  - publish + JSON: one subscriber for everything that encodes each message to JSON, as
    the websocket feed does;
  - publish + topic: the events in batches of `--batch`, as surveillance reads them, each
    batch's messages put on the market-data topic of the in-process stream;
  - publish + envelopes: the same, plus what the Kafka publisher adds in this process:
    cutting each batch into runs of one instrument and encoding each run as an envelope
    (the broker's side is bench.stream's).
Each is given as a ratio to `publish` measured in the same run.
"""

import argparse
import asyncio
import statistics
import time
from collections import Counter

from bench.workload import generate
from engine.events import Event
from engine.kafka_stream import key_runs
from engine.memory_holds import MemoryHolds
from engine.memory_stream import MemoryStream
from engine.reference import ReferenceData, load_reference_data
from engine.sequencer import Sequencer
from surveillance.market_data import MarketDataPublisher, Message, encode_message
from surveillance.market_data.stream_topic import ENVELOPES, TopicPublication, market_data_topic


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


def publish_on_topic(
    reference: ReferenceData, events: list[Event], batch: int, envelopes: bool
) -> tuple[float, int]:
    """(CPU seconds, messages) for a publisher whose messages go on the topic per batch."""
    return asyncio.run(_publish_on_topic(reference, events, batch, envelopes))


async def _publish_on_topic(
    reference: ReferenceData, events: list[Event], batch: int, envelopes: bool
) -> tuple[float, int]:
    publisher = MarketDataPublisher(reference)
    publication = TopicPublication(MemoryStream(), market_data_topic())
    await publication.start()
    apply_all = publisher.apply_all
    publish = publication.publish
    encode = ENVELOPES.encode
    messages = 0
    started = time.process_time()
    for start in range(0, len(events), batch):
        made = apply_all(events[start : start + batch])
        await publish(made)
        if envelopes:
            for _, run in key_runs(made, 500):
                encode(run)
        messages += len(made)
    return time.process_time() - started, messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="workload commands")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=100, help="events per surveillance batch")
    args = parser.parse_args()
    if not 1 <= args.events <= 5_000_000 or not 1 <= args.runs <= 50 or args.batch < 1:
        parser.error("--events must be 1..5,000,000, --runs 1..50 and --batch at least 1")

    reference = load_reference_data()
    events = engine_events(reference, args.events, args.seed)
    kinds = Counter(type(event).__name__ for event in events)
    print(f"{len(events):,} events: " + ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items())))
    variants = {
        "publish": lambda: publish(reference, events, False),
        "publish + JSON": lambda: publish(reference, events, True),
        "publish + topic": lambda: publish_on_topic(reference, events, args.batch, False),
        "publish + envelopes": lambda: publish_on_topic(reference, events, args.batch, True),
    }
    runs: dict[str, list[tuple[float, int]]] = {label: [] for label in variants}
    for _ in range(args.runs):  # interleaved, so the neighbours' load falls on all alike
        for label, run in variants.items():
            runs[label].append(run())
    baseline = statistics.median(seconds for seconds, _ in runs["publish"])
    for label, measured in runs.items():
        seconds = statistics.median(run[0] for run in measured)
        messages = measured[0][1]
        print(
            f"{label:>19}: {len(events) / seconds:>9,.0f} events/s, "
            f"{seconds * 1e6 / len(events):.2f} µs/event, "
            f"{messages / len(events):.2f} messages/event, "
            f"{baseline / seconds:.2f}x publish (median of {args.runs})"
        )


if __name__ == "__main__":
    main()

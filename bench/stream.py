"""Events per second through the stream, from the first publish to the last event read.

    python -m bench.stream [--events 200000] [--batch 100] [--runs 5] [--transport both]

The in-process transport is measured alone; the Kafka transport against a Tansu broker
the benchmark starts on a free loopback port (and stops). The publisher and the
consumer share one event loop, as an engine and a consumer would in a single process;
the consumer has joined its group before the clock starts. Prints the median of the
runs.
"""

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Callable

from engine.events import Event, OrderAccepted, Trade
from engine.kafka_stream import KafkaStream
from engine.memory_stream import MemoryStream
from engine.stream import Consumer, Stream
from tests.brokers import Tansu

INSTRUMENTS = ("TJEA2025", "TJEA2026", "CCER", "TJEA2027")


def workload(first_seq: int, count: int) -> list[Event]:
    """Orders and trades as the engine emits them: an order accepted, then the trades it
    makes, on one instrument, then the next instrument's."""
    events: list[Event] = []
    for seq in range(first_seq, first_seq + count):
        instrument = INSTRUMENTS[(seq // 6) % len(INSTRUMENTS)]
        if seq % 6 == 0:
            events.append(
                OrderAccepted(seq, seq, seq, "A100", f"c{seq}", instrument, 1, 2, 0, 4_012, 50)
            )
        else:
            events.append(
                Trade(
                    seq=seq,
                    ts=seq,
                    trade_id=seq,
                    instrument=instrument,
                    price=4_012,
                    quantity=10,
                    aggressor_side=1,
                    buy_order_id=seq,
                    buy_account="A100",
                    buy_client_order_id=f"c{seq}",
                    buy_leaves=40,
                    sell_order_id=seq - 1,
                    sell_account="A200",
                    sell_client_order_id=f"s{seq}",
                    sell_leaves=0,
                )
            )
    return events


async def one_run(stream: Stream, events: int, batch: int) -> float:
    """Events per second for `events` events published `batch` at a time."""
    topic = f"bench.events.{uuid.uuid4().hex[:8]}"
    warmup = workload(1, 1_000)
    timed = workload(len(warmup) + 1, events)
    last_seq = timed[-1].seq
    publisher = stream.publisher()
    consumer = stream.events_consumer(topic, "bench")
    try:
        await publisher.publish(topic, warmup)
        await _read_through(consumer, warmup[-1].seq)

        async def publish_all() -> None:
            for start in range(0, len(timed), batch):
                await publisher.publish(topic, timed[start : start + batch])
                await asyncio.sleep(0)  # let the sender and the consumer run, as in service

        started = time.perf_counter()
        publishing = asyncio.create_task(publish_all())
        await _read_through(consumer, last_seq)
        elapsed = time.perf_counter() - started
        await publishing
        return events / elapsed
    finally:
        await consumer.close()
        await publisher.close()


async def _read_through(consumer: Consumer, last_seq: int) -> None:
    seen = 0
    quiet = 0
    while seen < last_seq:
        batch = await consumer.next_batch(timeout=1.0)
        if batch.items:
            seen = batch.items[-1].seq
            quiet = 0
            await consumer.commit(batch.position)
        else:
            quiet += 1
            if quiet > 60:
                raise RuntimeError(f"stream stalled at seq {seen} of {last_seq}")


def median_rate(make_stream: Callable[[], Stream], events: int, batch: int, runs: int) -> float:
    rates = [asyncio.run(one_run(make_stream(), events, batch)) for _ in range(runs)]
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=100, help="events per publish call")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--transport", choices=("memory", "kafka", "both"), default="both")
    args = parser.parse_args()
    print(f"{args.events} events, {args.batch} per publish, median of {args.runs} runs")
    if args.transport in ("memory", "both"):
        rate = median_rate(MemoryStream, args.events, args.batch, args.runs)
        print(f"in-process: {rate:>12,.0f} events/s")
    if args.transport in ("kafka", "both"):
        with Tansu() as broker:
            rate = median_rate(
                lambda: KafkaStream(
                    broker.bootstrap_servers, session_timeout_ms=2_000, rebalance_timeout_ms=1_000
                ),
                args.events,
                args.batch,
                args.runs,
            )
        print(f"kafka (Tansu): {rate:>9,.0f} events/s")


if __name__ == "__main__":
    main()

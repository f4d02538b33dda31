"""`tcx marketdata watch`: the market-data stream topic, printed as it comes.

    TCX_STREAM=kafka TCX_KAFKA_BOOTSTRAP=HOST:9092 tcx marketdata watch \\
        [--instruments TJEA25,CCER] [--from-start] [--count N]

A small consumer of `tcx.marketdata` (or the topic `market_data_topic` names), and an
example of writing one: one JSON line per message, as the websocket feed sends them
(prices as decimal CNY text, `type` naming the message), repeats dropped, gaps reported on
stderr. It starts at the topic's end (what happens next) or, with `--from-start`, its
beginning (the day so far), and keeps no position on the broker. Ctrl-C stops it.
"""

import argparse
import asyncio
import os
import signal
import sys
from typing import TextIO

from engine.stream import Start
from gateway.settings import SettingsError, load_settings
from surveillance.market_data import encode_message
from surveillance.market_data.stream_topic import market_data_topic
from surveillance.market_data.topic_reader import MarketDataReader

READER_NAME = "tcx-marketdata-watch"


def add_market_data_commands(subparsers: argparse._SubParsersAction) -> None:
    market_data = subparsers.add_parser("marketdata", help="read the market-data stream topic")
    commands = market_data.add_subparsers(
        dest="marketdata_command", required=True, metavar="COMMAND"
    )
    watch = commands.add_parser("watch", help="print the market-data topic as JSON lines")
    watch.add_argument("--config", help="TOML settings file (or TCX_CONFIG)")
    watch.add_argument("--instruments", default="", help="comma-separated symbols (default all)")
    watch.add_argument(
        "--from-start", action="store_true", help="from the topic's beginning, not its end"
    )
    watch.add_argument("--count", type=int, default=0, help="stop after N messages")
    watch.set_defaults(run=_watch)


def _watch(args: argparse.Namespace) -> int:
    settings = load_settings(args.config or os.environ.get("TCX_CONFIG"))
    if settings.stream != "kafka":
        raise SettingsError(
            "the in-process stream lives inside `tcx up`: watch its market data on the "
            "websocket /ws/market, or run the exchange over Kafka (TCX_STREAM=kafka)"
        )
    if args.count < 0:
        raise SettingsError("--count must be 0 (no limit) or more")
    from engine.kafka_stream import KafkaStream  # only this mode needs aiokafka

    stream = KafkaStream(
        settings.kafka_bootstrap, client_id=READER_NAME, fetch_wait_ms=settings.kafka_fetch_wait_ms
    )
    instruments = frozenset(s for s in args.instruments.split(",") if s)
    start: Start = "beginning" if args.from_start else "end"

    async def run() -> int:
        stop = asyncio.Event()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signal_number, stop.set)
        topic = market_data_topic(settings.market_data_topic)
        reader = MarketDataReader(stream, topic, READER_NAME, start)
        return await watch(reader, instruments, args.count, stop, sys.stdout)

    return asyncio.run(run())


async def watch(
    reader: MarketDataReader,
    instruments: frozenset[str],
    count: int,
    stop: asyncio.Event,
    out: TextIO,
) -> int:
    """Prints messages of `instruments` (all if empty) until `count` (0: no limit) or `stop`."""
    printed = 0
    try:
        while not stop.is_set() and (count == 0 or printed < count):
            for message in await reader.next(timeout=0.5):
                if instruments and message.instrument not in instruments:
                    continue
                out.write(encode_message(message).decode() + "\n")
                printed += 1
                if printed == count:
                    break
            out.flush()
    finally:
        await reader.close()
    if reader.gaps:
        print(f"tcx marketdata: {reader.gaps} gaps in the feed", file=sys.stderr)
    return 0

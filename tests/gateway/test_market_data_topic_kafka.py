"""The market-data topic over a real Kafka-protocol broker (Tansu): orders through the
gateway and the real sequencer, surveillance publishing, and readers in other clients,
including `tcx marketdata watch`; a restarted surveillance neither skips nor repeats the
day; a record that is not a readable envelope is quarantined with the reason."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from engine.commands import EndOfDay
from engine.orders import Side
from gateway.cli.main import main
from gateway.exchange import Exchange
from surveillance.market_data import DailyBulletin, Message, Quote, TradePrint
from surveillance.market_data.messages import Bar
from surveillance.market_data.stream_topic import MARKET_DATA_TOPIC, market_data_topic
from surveillance.market_data.topic_reader import MarketDataReader
from tests.brokers import Tansu
from tests.engine.conftest import kafka_stream_for_tests, raw_messages
from tests.gateway.test_exchange import TEN_AM, opening_commands, order
from tests.gateway.test_exchange_kafka import BOUND, over_kafka

COMMANDS = [
    *opening_commands(),
    order("SELLER", "s1", Side.SELL, 5_000, 300),
    order("BUYER", "b1", Side.BUY, 5_000, 100),
    order("BUYER", "b2", Side.BUY, 5_010, 50),
    EndOfDay(TEN_AM + 10, "2026-11-24"),
]


@pytest.fixture
def broker() -> Iterator[Tansu]:
    """A broker of its own: the exchange uses its fixed topic names."""
    with Tansu() as tansu:
        yield tansu


def is_tjea_bulletin(message: Message) -> bool:
    return isinstance(message, DailyBulletin) and message.instrument == "TJEA25"


async def read_until(reader: MarketDataReader, done) -> list[Message]:
    found: list[Message] = []
    for _ in range(BOUND // 10):
        found += await reader.next(timeout=0.2)
        if done(found):
            break
    return found


async def trade_and_read(exchange: Exchange, bootstrap: str) -> list[Message]:
    """Runs the exchange, sends the orders and the end-of-day through the gateway, and
    reads the topic with a client of its own until TJEA25's bulletin arrives."""
    stop = asyncio.Event()
    running = asyncio.create_task(exchange.run(stop))
    reader = MarketDataReader(
        kafka_stream_for_tests(bootstrap), market_data_topic(), "test-reader", start="beginning"
    )
    try:
        await exchange.submit(COMMANDS)
        return await read_until(reader, lambda found: any(map(is_tjea_bulletin, found)))
    finally:
        await reader.close()
        stop.set()
        await asyncio.wait_for(running, 30)


def test_a_reader_in_another_client_sees_quotes_trades_bars_and_the_bulletin(
    tmp_path: Path, broker: Tansu, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = kafka_stream_for_tests(broker.bootstrap_servers)
    exchange = over_kafka(tmp_path, stream, ("engine", "surveillance", "gateway"))
    feed = asyncio.run(trade_and_read(exchange, broker.bootstrap_servers))

    tjea = [m for m in feed if m.instrument == "TJEA25"]
    prints = [(m.price, m.quantity, m.aggressor) for m in tjea if isinstance(m, TradePrint)]
    assert prints == [("50.00", 100, "buy"), ("50.00", 50, "buy")]
    last_print = max(i for i, m in enumerate(tjea) if isinstance(m, TradePrint))
    quote = next(m for m in tjea[last_print:] if isinstance(m, Quote))  # after the trade
    assert (quote.last_price, quote.volume, quote.ask_price, quote.ask_quantity) == (
        "50.00",
        150,
        "50.00",
        150,
    )
    bar = next(m for m in reversed(tjea) if isinstance(m, Bar))
    assert (bar.open, bar.close, bar.volume, bar.trades) == ("50.00", "50.00", 150, 2)
    (bulletin,) = [m for m in tjea if isinstance(m, DailyBulletin)]
    assert (bulletin.close, bulletin.volume, bulletin.turnover) == ("50.00", 150, "7500.00")
    assert [m.seq for m in tjea] == list(range(1, len(tjea) + 1))  # each once, in order
    assert exchange.market_data.store.history("TJEA25") == [bulletin]

    # the command-line reader, from the beginning, prints the same feed
    monkeypatch.setenv("TCX_STREAM", "kafka")
    monkeypatch.setenv("TCX_KAFKA_BOOTSTRAP", broker.bootstrap_servers)
    assert (
        main(
            [
                "marketdata",
                "watch",
                "--from-start",
                "--instruments",
                "TJEA25",
                "--count",
                str(len(tjea)),
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert [(line["type"], line["seq"]) for line in map(json.loads, lines)] == [
        (m.__struct_config__.tag, m.seq) for m in tjea
    ]


def test_a_restarted_surveillance_continues_the_topic_without_repeating_the_day(
    tmp_path: Path, broker: Tansu
) -> None:
    stream = kafka_stream_for_tests(broker.bootstrap_servers)
    first = over_kafka(tmp_path, stream, ("engine", "surveillance", "gateway"))
    feed = asyncio.run(trade_and_read(first, broker.bootstrap_servers))
    records_before = len(asyncio.run(raw_messages(broker.bootstrap_servers, MARKET_DATA_TOPIC, 1)))

    again = over_kafka(tmp_path, stream, ("surveillance",))  # rebuilds from the events topic

    async def rerun() -> list[Message]:
        stop = asyncio.Event()
        running = asyncio.create_task(again.run(stop))
        for _ in range(BOUND):
            if again.surveillance.last_seq >= first.surveillance.last_seq:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)  # what it publishes goes out meanwhile
        stop.set()
        await asyncio.wait_for(running, 30)
        reader = MarketDataReader(
            kafka_stream_for_tests(broker.bootstrap_servers), market_data_topic(), "r2", "beginning"
        )
        try:
            return await read_until(reader, lambda found: len(found) >= len(feed))
        finally:
            await reader.close()

    assert asyncio.run(rerun()) == feed  # repeats dropped, nothing missing
    records = asyncio.run(raw_messages(broker.bootstrap_servers, MARKET_DATA_TOPIC, 1))
    assert records_before <= len(records) <= records_before + 2  # the last event's, at most
    assert again.market_data.store.history() == first.market_data.store.history()


def test_a_record_that_is_no_envelope_is_quarantined_with_the_reason(
    tmp_path: Path, broker: Tansu
) -> None:
    topic = market_data_topic()

    async def scenario() -> list[Message]:
        stream = kafka_stream_for_tests(broker.bootstrap_servers)
        await stream.ensure_topic(topic.name)
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(topic.name, b"\x00 not market data", key=b"TJEA25")
        finally:
            await producer.stop()
        exchange = over_kafka(tmp_path, stream, ("engine", "surveillance", "gateway"))
        return await trade_and_read(exchange, broker.bootstrap_servers)

    feed = asyncio.run(scenario())
    assert any(map(is_tjea_bulletin, feed))  # the reader went on past it
    (quarantined,) = asyncio.run(
        raw_messages(broker.bootstrap_servers, f"{MARKET_DATA_TOPIC}.quarantine", 1)
    )
    assert quarantined.value == b"\x00 not market data"
    reason = dict(quarantined.headers)["reason"].decode()
    assert "not an envelope" in reason and "read by test-reader" in reason

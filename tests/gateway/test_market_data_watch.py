"""`tcx marketdata watch` without a broker: its filter over the in-process stream, and its
refusal where the topic is inside another process. (Over Kafka:
test_market_data_topic_kafka.py.)"""

import asyncio
import io
import json

import pytest

from engine.memory_stream import MemoryStream
from gateway.cli.main import main
from gateway.cli.marketdata import watch
from surveillance.market_data.stream_topic import TopicPublication, market_data_topic
from surveillance.market_data.topic_reader import MarketDataReader
from tests.surveillance.test_market_data_topic import made_by_a_publisher
from tests.surveillance.test_registry_bulletins import two_days


def test_watch_prints_only_the_instruments_asked_for_as_json_lines() -> None:
    messages = made_by_a_publisher(two_days())
    ccer = [m for m in messages if m.instrument == "CCER"]

    async def scenario() -> str:
        stream = MemoryStream()
        publication = TopicPublication(stream, market_data_topic())
        await publication.start()
        await publication.publish(messages)
        out = io.StringIO()
        reader = MarketDataReader(stream, market_data_topic(), "watch", "beginning")
        await watch(reader, frozenset({"CCER"}), len(ccer), asyncio.Event(), out)
        return out.getvalue()

    lines = [json.loads(line) for line in asyncio.run(scenario()).splitlines()]
    assert ccer and [(line["instrument"], line["seq"]) for line in lines] == [
        ("CCER", m.seq) for m in ccer
    ]


def test_watch_refuses_the_in_process_stream_and_says_where_to_look(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("TCX_STREAM", "memory")
    assert main(["marketdata", "watch"]) == 2
    assert "/ws/market" in capsys.readouterr().err

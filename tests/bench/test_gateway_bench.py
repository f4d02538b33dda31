"""The gateway benchmark's own code path, on a few orders: the exchange process starts,
sessions log on, every request is answered, and the figures come out of the answers.
No timing is asserted (shared machine): `python -m bench.gateway` reports the figures."""

import asyncio

import pytest

from bench.gateway import exchange_process, field_of, figures, fix_frame, run_once
from gateway.fix.codec import parse

ORDERS = 60


@pytest.fixture(scope="module")
def server():
    with exchange_process(sessions=2) as server:
        yield server


@pytest.mark.parametrize(("rate", "run"), [(None, 0), (500.0, 1)], ids=["max", "fixed"])
def test_every_request_is_answered_and_measured(server, rate, run):
    answers = asyncio.run(run_once(server, sessions=2, orders=ORDERS, rate=rate, window=4, run=run))
    result = figures(answers)
    assert result.answered == ORDERS
    assert result.per_second > 0
    assert 0 < result.p50_ms <= result.p99_ms <= result.p999_ms
    assert result.server_us > 0 and result.client_us > 0


def test_a_second_run_starts_afresh_on_the_same_exchange(server):
    """Sessions log on again with ResetSeqNumFlag and new ClOrdIDs."""
    answers = asyncio.run(run_once(server, sessions=2, orders=10, rate=None, window=2, run=2))
    assert len(answers.latencies_ns) == 10


def test_the_gateway_codec_reads_the_bench_frames():
    """parse refuses a frame whose BodyLength or CheckSum does not add up."""
    frame = fix_frame(b"D", 7, b"BENCH000", b"20261124-02:00:00.000", b"11=x1\x01")
    message = parse(frame.encode(), {})
    assert (message.msg_type, message.seq_num, message.get(11)) == ("D", 7, "x1")
    assert field_of(frame, "\x0111=") == "x1" and field_of(frame, "\x0144=") is None

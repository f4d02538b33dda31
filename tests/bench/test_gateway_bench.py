"""The gateway benchmark's own code path, on a few orders: the exchange process starts,
sessions log on, every request is answered, and the figures come out of the answers.
No timing is asserted (shared machine): `python -m bench.gateway` reports the figures."""

import asyncio

import pytest

from bench.gateway import Framer, exchange_process, field_of, figures, run_once
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


@pytest.mark.parametrize("seq", [7, 10, 12_345])
@pytest.mark.parametrize("given_sum", [True, False], ids=["pre-summed", "summed"])
def test_the_gateway_codec_reads_the_bench_frames(seq, given_sum):
    """parse refuses a frame whose BodyLength or CheckSum does not add up: the CheckSum
    added up from the parts' sums is the one over the whole frame."""
    body = b"11=x1\x0144=50.10\x01"
    frame = Framer(b"BENCH000").frame(b"D", seq, body, sum(body) if given_sum else None)
    message = parse(frame, {})
    assert (message.msg_type, message.seq_num, message.get(11)) == ("D", seq, "x1")
    assert (message.get(49), message.get(56)) == ("BENCH000", "TCX")
    assert field_of(frame, b"\x0111=") == b"x1" and field_of(frame, b"\x0158=") is None

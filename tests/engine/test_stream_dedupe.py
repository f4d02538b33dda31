"""Deduplication by seq, and how the Kafka publisher cuts a batch into keyed messages."""

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from engine.events import Event
from engine.kafka_stream import key_runs
from engine.stream import ADMIN_KEY, Deduplicator, routing_key
from tests.engine.conftest import make_events, seqs


def make_events_at(batch: list[int] | range) -> list[Event]:
    return [make_events(seq, 1)[0] for seq in batch]


# A delivery: what the broker hands out when batches of a seq-ordered stream are resent.
deliveries = st.lists(st.tuples(st.integers(1, 60), st.integers(0, 20)), max_size=25)


def deliver(resends: list[tuple[int, int]]) -> list[list[int]]:
    """Batches [first, first+length) in any order of resends, on top of the full stream."""
    batches = [list(range(1, 31)), list(range(31, 61))]
    for first, length in resends:
        batches.insert(first % (len(batches) + 1), list(range(first, first + length)))
    return batches


@given(resends=deliveries, after_seq=st.integers(0, 70))
def test_each_seq_is_passed_once_in_order_and_only_above_after_seq(
    resends: list[tuple[int, int]], after_seq: int
) -> None:
    dedupe = Deduplicator(after_seq)
    passed: list[int] = []
    in_order = sorted({seq for batch in deliver(resends) for seq in batch})
    for batch in deliver(resends):
        passed += seqs(dedupe.fresh(make_events_at(batch)))
    assert passed == sorted(set(passed))
    assert all(seq > after_seq for seq in passed)
    assert set(passed) <= set(in_order)


@given(resends=st.lists(st.tuples(st.integers(1, 60), st.integers(0, 20)), max_size=25))
def test_redeliveries_of_earlier_seqs_never_hide_new_ones(resends: list[tuple[int, int]]) -> None:
    """When resends only repeat what came before (a publisher retrying its front), every
    seq of the stream passes exactly once."""
    dedupe = Deduplicator()
    passed: list[int] = []
    for top in range(1, 61):
        passed += seqs(dedupe.fresh(make_events_at([top])))
        for first, length in resends:
            if first <= top:
                passed += seqs(dedupe.fresh(make_events_at(range(first, min(top, first + length)))))
    assert passed == list(range(1, 61))


@given(count=st.integers(0, 80), limit=st.integers(1, 10))
def test_key_runs_keep_order_share_a_key_and_respect_the_limit(count: int, limit: int) -> None:
    events = make_events(1, count)
    runs = list(key_runs(events, limit))
    assert [event for _, run in runs for event in run] == events
    for key, run in runs:
        assert 1 <= len(run) <= limit
        assert {routing_key(event) for event in run} == {key}
    for (key, run), (next_key, _) in pairwise(runs):
        assert key != next_key or len(run) == limit  # runs are as long as allowed


def test_events_without_instrument_go_under_the_admin_key() -> None:
    keys = {routing_key(event) for event in make_events(1, 14)}
    assert ADMIN_KEY in keys
    assert keys - {ADMIN_KEY} == {"TJEA2025", "TJEA2026", "CCER"}

"""The auction benchmark clears what it generates: oversubscribed, every lot sold."""

from bench.auction import bids, clearing_seconds


def test_the_benchmark_clears_oversubscribed_bid_sets() -> None:
    made, caps = bids(1_000, seed=3)
    assert len(made) == 1_000 and caps
    assert len(clearing_seconds(1_000, runs=2, seed=3)) == 2

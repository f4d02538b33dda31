"""Benchmark: clearing a government auction (engine/auction_clearing.py).

    python -m bench.auction [--runs 5] [--seed 1] [--sizes 10000,100000]

Clearing is one sort of the bids, then one pass; a scan of the bids per bid would make
ten times the bids cost a hundred times the time. Reported per size, median over the
runs: the clearing time and the time per bid, and the ratio of the largest to the
smallest size against the ratio of their sizes (near it, n log n; far above, quadratic).
The bids are random: prices on a 2-CNY range around the floor (so many ties), 1 to 20
lots, 5 % of the bidders capped, control groups of ten bidders, pro rata and time
priority alternating between runs.
"""

import argparse
import random
import statistics
import time

from engine.auction_clearing import Bid, TieRule, Undersubscription, clear

LOT = 1_000


def bids(count: int, seed: int) -> tuple[list[Bid], dict[str, int]]:
    rng = random.Random(seed)
    bidders = max(10, count // 5)
    made = [
        Bid(
            number,
            f"B{(bidder := rng.randrange(bidders))}",
            f"G{bidder // 10}",
            48_00 + rng.randrange(200),
            rng.randint(1, 20) * LOT,
        )
        for number in range(1, count + 1)
    ]
    caps = {f"B{b}": rng.randint(1, 30) * LOT for b in range(0, bidders, 20)}
    return made, caps


def clearing_seconds(count: int, runs: int, seed: int) -> list[float]:
    timings = []
    for run in range(runs):
        made, caps = bids(count, seed + run)
        volume = count * 5 * LOT  # half the ~10.5 lots bid on average: oversubscribed
        tie_rule = TieRule.PRO_RATA if run % 2 else TieRule.TIME
        started = time.perf_counter()
        result = clear(made, volume, LOT, tie_rule, Undersubscription.SELL_BID, caps, volume // 2)
        timings.append(time.perf_counter() - started)
        assert result.sold == volume
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    medians = {}
    for size in sizes:
        median = statistics.median(clearing_seconds(size, args.runs, args.seed))
        medians[size] = median
        print(f"{size:>9,} bids: {median * 1e3:9.1f} ms  ({median / size * 1e6:.2f} µs per bid)")
    small, large = min(sizes), max(sizes)
    print(
        f"ratio {large:,} / {small:,} bids: {medians[large] / medians[small]:.1f}x "
        f"for {large / small:.0f}x the bids"
    )


if __name__ == "__main__":
    main()

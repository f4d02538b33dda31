"""Settlement throughput: trades/s booked into the registry ledger (SQLite, PostgreSQL),
and the pre-trade holds' calls/s on the sequencer's path.

Books `--trades` trades in batches of `--batch` events per transaction (the last seq is
stored in the same transaction), then checks exactly-once is intact: redelivering every
batch books nothing, and the registry verifies (conserved, balances = postings).

    python -m bench.settlement                       # both backends, 100,000 trades
    python -m bench.settlement --backend sqlite --trades 200000 --batch 2000
    python -m bench.settlement --backend none        # the in-memory holds only
"""

import argparse
import random
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from engine.events import AccountOpened, CashMoved, Event, HoldingMoved, Trade
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind, Side
from engine.reference import load_reference_data
from settlement.holds import SettlementHolds
from settlement.ledger import Ledger

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
INSTRUMENT = "TJEA25"


def workload(trades: int, accounts: int, seed: int) -> tuple[list[Event], list[Event]]:
    """(set-up events, trade events): every account funded and allocated enough that no
    trade fails, so the figure is the booking path, not the failure path."""
    rng = random.Random(seed)
    names = [f"ACC{i:05d}" for i in range(accounts)]
    setup: list[Event] = []
    seq = 0
    for name in names:
        seq += 1
        setup.append(AccountOpened(seq, 0, name, "M1", AccountKind.INVESTOR, "", 0, "bench"))
        seq += 1
        setup.append(CashMoved(seq, 0, name, 10**14, CashMovementKind.DEPOSIT, f"d{seq}", "bench"))
        seq += 1
        setup.append(
            HoldingMoved(
                seq, 0, name, INSTRUMENT, 10**9, HoldingMovementKind.ALLOCATE, f"a{seq}", "bench"
            )
        )
    fills: list[Event] = []
    for trade_id in range(1, trades + 1):
        seq += 1
        buyer, seller = rng.sample(names, 2)
        fills.append(
            Trade(
                seq,
                seq,
                trade_id,
                INSTRUMENT,
                rng.randint(4500, 5500),
                rng.randint(1, 500),
                Side.BUY,
                2 * trade_id,
                buyer,
                "b",
                0,
                2 * trade_id + 1,
                seller,
                "s",
                0,
            )
        )
    return setup, fills


def holds_rate(pairs: int) -> float:
    """Holds calls per second on the sequencer's path: per order pair a buy and a sell
    reserved, one fill, two releases (alternating sides so no position limit is hit)."""
    holds = SettlementHolds(load_reference_data())
    for name in ("A", "B"):
        holds.open_account(name, AccountKind.INVESTOR, 0)
        holds.move_cash(name, 10**15, CashMovementKind.DEPOSIT)
        holds.move_holding(name, INSTRUMENT, 100_000, HoldingMovementKind.ALLOCATE)
    started = time.perf_counter()
    for pair in range(pairs):
        buyer, seller = ("A", "B") if pair % 2 else ("B", "A")
        buy, sell = 2 * pair, 2 * pair + 1
        holds.reserve(buy, buyer, INSTRUMENT, Side.BUY, 10, 5_000)
        holds.reserve(sell, seller, INSTRUMENT, Side.SELL, 10, 5_000)
        holds.fill(buy, sell, 10, 4_990)
        holds.release(buy)
        holds.release(sell)
        if pair % 1_000 == 0:
            holds.roll_day()
    elapsed = time.perf_counter() - started
    assert holds.account("A").cash + holds.account("B").cash == 2 * 10**15
    return 5 * pairs / elapsed


def run(url: str, setup: list[Event], fills: list[Event], batch: int) -> float:
    ledger = Ledger.open(url, load_reference_data())
    try:
        ledger.book(setup)
        batches = [fills[i : i + batch] for i in range(0, len(fills), batch)]
        started = time.perf_counter()
        failures = 0
        for events in batches:
            failures += len(ledger.book(events))
        elapsed = time.perf_counter() - started
        assert failures == 0, f"{failures} trades failed to settle"
        assert ledger.last_seq() == fills[-1].seq
        assert all(ledger.book(events) == [] for events in batches)
        assert ledger.last_seq() == fills[-1].seq
        problems = ledger.verify()
        assert not problems, problems[:5]
        ((booked,),) = ledger.database.query("SELECT COUNT(*) FROM trades")
        assert booked == len(fills), f"{booked} trades booked for {len(fills)} delivered"
    finally:
        ledger.close()
    return len(fills) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", choices=["sqlite", "postgresql", "both", "none"], default="both"
    )
    parser.add_argument("--holds-pairs", type=int, default=200_000)
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rate = holds_rate(args.holds_pairs)
    print(f"holds: {rate:,.0f} calls/s (reserve, reserve, fill, release, release per pair)")
    if args.backend == "none":
        return
    setup, fills = workload(args.trades, args.accounts, args.seed)
    print(
        f"{args.trades:,} trades among {args.accounts:,} accounts, {args.batch:,} per transaction"
    )
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            rate = run(str(Path(folder) / "registry.db"), setup, fills, args.batch)
        print(f"sqlite (WAL, synchronous=FULL): {rate:,.0f} trades/s; exactly-once intact")
    if args.backend in ("postgresql", "both"):
        name = f"tcx_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES_SERVER, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            try:
                rate = run(POSTGRES_SERVER.rsplit("/", 1)[0] + "/" + name, setup, fills, args.batch)
            finally:
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        print(f"postgresql: {rate:,.0f} trades/s; exactly-once intact")


if __name__ == "__main__":
    main()

"""End-to-end benchmark: `python -m bench.e2e [--mode embedded | distributed]
[--sessions 10] [--rate 500 | --max] [--duration 30] [--out bench/out] [--seed 1]`.

Where the exchange runs (`--mode`):
  embedded (default): as `tcx up` runs: the exchange (engine with its fsynced journal, FIX
      gateway) in a process of its own, and its back office (settlement on its SQLite
      registry, surveillance) in another, joined by the local stream;
  distributed: `tcx engine`, `tcx settlement`, `tcx surveillance` and `tcx gateway` as four
      OS processes (bench/distributed.py) over the Tansu broker and a fresh database on the
      local PostgreSQL, both made for the run and gone after it; `--broker HOST:PORT` and
      `--database URL` use a broker with empty topics and an empty database instead (the
      bench still starts the four services, with its own logins and data directories).
This process plays N member sessions over loopback websockets (bench/load_client.py's mix
of new orders, crossing IOCs, amends and cancels), at a steady rate or as fast as answers
come.
Two latencies per request:
  order-to-acknowledgement: from handing the frame to the socket to the first answer
      naming its ClOrdID (ExecutionReport New / Replaced / Canceled / Rejected, or
      OrderCancelReject);
  order-to-settlement: from sending the order whose arrival made a trade to that trade
      being visible in the registry, which a thread here polls every `--poll-ms`
      (so the figure includes up to one polling interval).
At the end, with the exchange stopped, the checks: every acknowledged request is in the
journal, every trade reported is booked exactly once (and every booked trade was
reported), the ledger verifies, and cash and tonnes are conserved. The report (Markdown)
and two charts (latency distribution, throughput over time) go to `--out`.
"""

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg

from bench.distributed import (
    Service,
    broker_and_database,
    running_services,
    service_environment,
    until_every_service_at,
)
from bench.gateway import (
    ALLOCATION,
    ANSWER_TIMEOUT_S,
    DEPOSIT,
    SETUP_TIMEOUT_S,
    ServerProcess,
    _all_answered,
    _free_port,
    bench_directory,
    funding,
    serve,
)
from bench.load_client import Tally, Trader, traders
from engine.commands import AmendOrder, CancelOrder, NewOrder
from engine.journal import JournalReader
from engine.kafka_stream import KafkaStream
from engine.recovery import JOURNAL_FILE
from engine.reference import load_reference_data
from engine.stream import COMMANDS_TOPIC
from gateway.clock import SessionClock
from gateway.members import save_directory
from settlement.booking import CNY, FEES
from settlement.ledger import Ledger

EMBEDDED = "embedded exchange in its own process, its back office in another"
SETTLE_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Load:
    sessions: int
    rate: float | None  # requests per second in total; None = as fast as answered
    duration_s: float
    seed: int
    window: int = 8  # requests in flight per session at --max


# ---- the exchange, in its own process --------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    server: ServerProcess  # the gateway's websocket, and the process serving it
    registry_url: str
    journal: Path  # the engine's, read by the checks once it has stopped
    description: str  # for the report


@contextmanager
def embedded_exchange(data_dir: Path, sessions: int) -> Iterator[Deployment]:
    """bench.gateway's server process on `data_dir` (kept, for the checks afterwards);
    stopped with SIGTERM, so it closes its journal and settles what it holds."""
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    port = _free_port()
    process = context.Process(target=serve, args=(data_dir, port, sessions, ready, None))
    process.start()
    try:
        if not ready.wait(SETUP_TIMEOUT_S):
            raise RuntimeError("the exchange did not start (see its output above)")
        server = ServerProcess(f"ws://127.0.0.1:{port}/fix", process.pid, data_dir)
        registry = f"sqlite:///{data_dir / 'registry.sqlite3'}"
        yield Deployment(server, registry, data_dir / "journal" / JOURNAL_FILE, EMBEDDED)
    finally:
        if process.is_alive():
            os.kill(process.pid, signal.SIGTERM)
        process.join(STOP_TIMEOUT_S)
        if process.is_alive():
            process.kill()
            process.join()
        if process.exitcode not in (0, -signal.SIGKILL):
            print(f"exchange process exited with {process.exitcode}", file=sys.stderr)


@contextmanager
def distributed_exchange(
    data_dir: Path, sessions: int, bootstrap_servers: str, registry_url: str, broker_name: str
) -> Iterator[Deployment]:
    """The four services as processes with the bench's logins, their accounts funded
    through the commands topic; stopped with SIGTERM when the block ends."""
    members = data_dir / "members.toml"
    save_directory(bench_directory(sessions), members)
    # the gateway stamps orders inside a trading session whatever the hour
    environment = service_environment(bootstrap_servers, registry_url, members, TCX_CLOCK="session")
    with running_services(data_dir, environment) as running:
        asyncio.run(_fund(bootstrap_servers, sessions, running))
        gateway = running["gateway"]
        assert gateway.process is not None
        yield Deployment(
            ServerProcess(f"ws://127.0.0.1:{gateway.fix_port}/fix", gateway.process.pid),
            registry_url,
            data_dir / "engine" / "journal" / JOURNAL_FILE,
            "distributed: tcx engine, settlement, surveillance and gateway as four processes "
            f"over {broker_name} and PostgreSQL",
        )


async def _fund(bootstrap_servers: str, sessions: int, running: dict[str, Service]) -> None:
    """Opens and funds the accounts, as an operator's back office would, and waits until
    every service has seen it (one event per command)."""
    publisher = KafkaStream(bootstrap_servers).publisher()
    try:
        now = SessionClock(load_reference_data().calendar).now()
        await publisher.publish(COMMANDS_TOPIC, funding(sessions, now))
        await publisher.flush()
    finally:
        await publisher.close()
    await until_every_service_at(running, 3 * sessions, SETUP_TIMEOUT_S, "accounts funded")


class SettlementWatch(threading.Thread):
    """Polls the registry for newly booked trades and notes when each was first seen."""

    def __init__(self, registry_url: str, poll_s: float):
        super().__init__(name="settlement-watch", daemon=True)
        self.registry_url = registry_url
        self.poll_s = poll_s
        self.booked_ns: dict[int, int] = {}  # trade id -> first seen in the registry
        self.stopping = threading.Event()

    def run(self) -> None:
        ledger = Ledger.open(self.registry_url, load_reference_data())
        try:
            last = 0
            while not self.stopping.wait(self.poll_s):
                trades = ledger.trades_after(last)
                now = time.perf_counter_ns()
                for trade in trades:
                    self.booked_ns.setdefault(trade.trade_id, now)
                if trades:
                    last = trades[-1].seq
        finally:
            ledger.close()

    async def until_booked(self, trade_ids: set[int]) -> None:
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while not trade_ids <= self.booked_ns.keys():
            if time.monotonic() > deadline:
                missing = len(trade_ids - self.booked_ns.keys())
                raise RuntimeError(f"{missing} reported trades not booked in {SETTLE_TIMEOUT_S} s")
            await asyncio.sleep(0.05)


# ---- the load --------------------------------------------------------------------------


@dataclass
class Timing:
    first_sent_ns: int = 0
    last_sent_ns: int = 0
    schedule_lag_ns: int = 0  # how far a steady-rate run fell behind its schedule


async def drive(url: str, load: Load, tally: Tally) -> Timing:
    """Logs the sessions on, sends for `duration_s`, waits for every answer, logs out."""
    members = list(traders(load.sessions, load.seed, tally))
    await asyncio.gather(*(member.log_on(url) for member in members))
    readers = [asyncio.create_task(member.read()) for member in members]
    timing = Timing(first_sent_ns=time.perf_counter_ns())
    try:
        end = timing.first_sent_ns + int(load.duration_s * 1e9)
        if load.rate is None:
            await asyncio.gather(*(_windowed(member, load.window, end) for member in members))
        else:
            await _scheduled(members, load.rate, end, timing)
        timing.last_sent_ns = time.perf_counter_ns()
        await asyncio.wait_for(_all_answered(members), ANSWER_TIMEOUT_S)
        with contextlib.suppress(TimeoutError):  # the booked-once check then names the gap
            await asyncio.wait_for(_both_sides_told(tally), ANSWER_TIMEOUT_S)
        await asyncio.gather(*(member.log_out() for member in members))
    finally:
        for reader in readers:
            reader.cancel()
        for member in members:
            await member.connection.close()
    return timing


async def _both_sides_told(tally: Tally) -> None:
    """Until every trade has reached both its sessions: the resting side hears of a fill
    on its own session, possibly after the aggressor's answer, and must not have logged
    out by then (bench sessions trade only with each other, so each trade has two)."""
    while any(count < 2 for count in tally.trade_reports.values()):
        await asyncio.sleep(0.01)


async def _windowed(member: Trader, window: int, end: int) -> None:
    while time.perf_counter_ns() < end:
        if len(member.outstanding) < window:
            await member.send_request()
        else:
            member.answered.clear()
            await asyncio.wait_for(member.answered.wait(), ANSWER_TIMEOUT_S)


async def _scheduled(members: list[Trader], rate: float, end: int, timing: Timing) -> None:
    """Open loop: request i is due at start + i / rate, round-robin over the sessions."""
    interval_ns = 1e9 / rate
    index = 0
    while (due := timing.first_sent_ns + int(index * interval_ns)) < end:
        now = time.perf_counter_ns()
        if due > now:
            await asyncio.sleep((due - now) / 1e9)
        else:
            timing.schedule_lag_ns = max(timing.schedule_lag_ns, now - due)
        await members[index % len(members)].send_request()
        index += 1


# ---- the end checks --------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


def check_journal(journal: Path, tally: Tally) -> Check:
    """Every request the exchange acknowledged is a command in its journal."""
    journaled = {
        command.client_order_id
        for batch in JournalReader(journal)
        for command in batch
        if isinstance(command, NewOrder | AmendOrder | CancelOrder)
    }
    missing = tally.accepted.keys() - journaled
    return Check(
        "acknowledged requests journaled",
        not missing,
        f"{len(tally.accepted):,} acknowledged, {len(journaled):,} journaled, "
        f"{len(missing)} missing" + (f" (e.g. {sorted(missing)[:3]})" if missing else ""),
    )


def check_registry(registry_url: str, tally: Tally, sessions: int) -> list[Check]:
    """Trades booked once each and exactly those reported; the ledger sound; cash and
    tonnes conserved against what the bench deposited and allocated."""
    ledger = Ledger.open(registry_url, load_reference_data())
    try:
        trades = ledger.trades_after(0)
        problems = ledger.verify()
        balances = ledger.all_balances()
    finally:
        ledger.close()
    booked = [trade.trade_id for trade in trades]
    reported = tally.trade_reports
    twice = sum(1 for count in reported.values() if count == 2)
    wrong_quantity = sum(1 for t in trades if tally.trade_quantity.get(t.trade_id) != t.quantity)
    once = len(booked) == len(set(booked)) and set(booked) == reported.keys()
    member_total: dict[str, int] = {}
    for (owner, asset, _state), amount in balances.items():
        if not owner.startswith("@"):
            member_total[asset] = member_total.get(asset, 0) + amount
    fees = sum(2 * trade.fee for trade in trades)
    fees_booked = sum(v for (o, a, _), v in balances.items() if o == FEES and a == CNY)
    cash_ok = member_total.get(CNY, 0) == sessions * DEPOSIT - fees and fees_booked == fees
    tonnes = {asset: total for asset, total in member_total.items() if asset != CNY}
    tonnes_ok = all(total == sessions * ALLOCATION for total in tonnes.values())
    return [
        Check(
            "every trade booked once",
            once and twice == len(reported) and not wrong_quantity,
            f"{len(booked):,} booked ({len(set(booked)):,} distinct), {len(reported):,} reported, "
            f"{twice:,} reported to both sides, {wrong_quantity} with another quantity",
        ),
        Check("ledger verifies", not problems, "; ".join(problems[:3]) or "no problems"),
        Check(
            "cash conserved",
            cash_ok,
            f"members {member_total.get(CNY, 0):,} fen = deposits {sessions * DEPOSIT:,} "
            f"- fees {fees:,}; @fees holds {fees_booked:,}",
        ),
        Check(
            "tonnes conserved",
            tonnes_ok,
            ", ".join(f"{asset} members {total:,} t" for asset, total in tonnes.items())
            + f" (allocated {sessions * ALLOCATION:,} t)",
        ),
    ]


# ---- figures and the report ------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    requests: int
    accepted: int
    rejected: int
    trades: int
    seconds: float
    per_second: float
    ack_ms: tuple[float, float, float]  # p50, p99, p99.9
    settle_ms: tuple[float, float, float]
    schedule_lag_ms: float


def percentiles(values_ns: list[int]) -> tuple[float, float, float]:
    if not values_ns:
        return (float("nan"),) * 3
    p50, p99, p999 = np.percentile(np.asarray(values_ns) / 1e6, [50, 99, 99.9])
    return float(p50), float(p99), float(p999)


def settlement_latencies(tally: Tally, booked_ns: dict[int, int]) -> list[int]:
    return [booked_ns[t] - sent for t, sent in tally.trade_sent_ns.items() if t in booked_ns]


def figures(tally: Tally, timing: Timing, booked_ns: dict[int, int]) -> Figures:
    last_answer = max(at for at, _, _ in tally.acks)
    seconds = (last_answer - timing.first_sent_ns) / 1e9
    return Figures(
        len(tally.sent_ns),
        len(tally.accepted),
        tally.rejected,
        len(tally.trade_reports),
        seconds,
        len(tally.acks) / seconds,
        percentiles([latency for _, latency, _ in tally.acks]),
        percentiles(settlement_latencies(tally, booked_ns)),
        timing.schedule_lag_ns / 1e6,
    )


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} × {model}, Linux {platform.release()}, Python "
        f"{platform.python_version()}; load average at start {load}"
    )


CHARTS = (("latency distribution", "latency.png"), ("throughput over time", "throughput.png"))


def report(
    title: str,
    load: Load,
    f: Figures,
    checks: list[Check],
    command: str,
    host: str,
    images: tuple[tuple[str, str], ...] = (),
    deployment: str = EMBEDDED,
) -> str:
    """Markdown: how the run was made, its figures, its end checks, then the charts."""
    rate = "as fast as answered" if load.rate is None else f"{load.rate:,.0f} requests/s"
    lines = [
        f"# {title}",
        "",
        f"- command: `{command}`",
        f"- deployment: {deployment}; {load.sessions} member "
        "sessions over loopback websockets, "
        f"{rate}, {load.duration_s:g} s of sending, seed {load.seed}",
        f"- machine: {host}",
        "",
        "| figure | value |",
        "|---|---|",
        f"| requests sent (new, IOC, amend, cancel) | {f.requests:,} |",
        f"| acknowledged / rejected | {f.accepted:,} / {f.rejected:,} |",
        f"| trades | {f.trades:,} |",
        f"| throughput (answers/s over {f.seconds:.1f} s) | {f.per_second:,.0f} |",
        f"| order-to-acknowledgement p50 / p99 / p99.9 | "
        f"{f.ack_ms[0]:.2f} / {f.ack_ms[1]:.2f} / {f.ack_ms[2]:.2f} ms |",
        f"| order-to-settlement p50 / p99 / p99.9 | "
        f"{f.settle_ms[0]:.2f} / {f.settle_ms[1]:.2f} / {f.settle_ms[2]:.2f} ms |",
        f"| schedule lag (steady rate) | {f.schedule_lag_ms:.1f} ms |",
        "",
        "| end check | result | detail |",
        "|---|---|---|",
        *(f"| {c.name} | {'pass' if c.passed else 'FAIL'} | {c.detail} |" for c in checks),
        "",
        *(f"![{name}]({file})" for name, file in CHARTS + images),
        "",
    ]
    return "\n".join(lines)


def charts(tally: Tally, timing: Timing, booked_ns: dict[int, int], out: Path) -> None:
    """latency.png (both latencies' distributions) and throughput.png (per second)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    ack_ms = np.array([latency for _, latency, _ in tally.acks]) / 1e6
    settle_ms = np.array(settlement_latencies(tally, booked_ns)) / 1e6
    figure, axes = pyplot.subplots(figsize=(8, 4.5))
    every = np.concatenate([ack_ms, settle_ms])
    bins = np.geomspace(max(every.min(), 0.01), every.max() * 1.01, 80)
    axes.hist(ack_ms, bins=bins, alpha=0.6, label=f"order-to-acknowledgement ({len(ack_ms):,})")
    axes.hist(settle_ms, bins=bins, alpha=0.6, label=f"order-to-settlement ({len(settle_ms):,})")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("latency, ms (log)")
    axes.set_ylabel("requests / trades (log)")
    axes.set_title("Latency distribution")
    axes.legend()
    figure.tight_layout()
    figure.savefig(out / "latency.png", dpi=100)
    pyplot.close(figure)

    def per_second(stamps_ns: list[int]) -> np.ndarray:
        seconds = (np.asarray(stamps_ns, dtype=np.int64) - timing.first_sent_ns) // 1_000_000_000
        return np.bincount(seconds[seconds >= 0])

    answers = per_second([at for at, _, _ in tally.acks])
    booked = per_second(list(booked_ns.values()))
    figure, axes = pyplot.subplots(figsize=(8, 4.5))
    axes.plot(np.arange(len(answers)), answers, label="answers/s")
    axes.plot(np.arange(len(booked)), booked, label="trades booked/s")
    axes.set_xlabel("seconds since the first request")
    axes.set_ylabel("per second")
    axes.set_title("Throughput over time")
    axes.legend()
    figure.tight_layout()
    figure.savefig(out / "throughput.png", dpi=100)
    pyplot.close(figure)


# ---- a run -----------------------------------------------------------------------------


@dataclass
class Outcome:
    figures: Figures
    checks: list[Check]
    tally: Tally
    timing: Timing
    booked_ns: dict[int, int]


def run(
    deployment: Deployment,
    load: Load,
    poll_s: float,
    observer: Callable[[Deployment, Tally], Awaitable[None]] | None = None,
) -> tuple[Tally, Timing, dict[int, int]]:
    """Drives the load against a running deployment until every trade is booked;
    `observer(deployment, tally)`, a coroutine, runs alongside (the soak's progress and
    memory)."""
    tally = Tally()
    watch = SettlementWatch(deployment.registry_url, poll_s)
    watch.start()

    async def everything() -> Timing:
        driving = drive(deployment.server.url, load, tally)
        if observer is None:
            timing = await driving
        else:
            timing, _ = await asyncio.gather(driving, observer(deployment, tally))
        await watch.until_booked(set(tally.trade_reports))
        return timing

    try:
        timing = asyncio.run(everything())
    finally:
        watch.stopping.set()
        watch.join()
    return tally, timing, watch.booked_ns


def checks_after_stop(deployment: Deployment, tally: Tally, sessions: int) -> list[Check]:
    return [
        check_journal(deployment.journal, tally),
        *check_registry(deployment.registry_url, tally, sessions),
    ]


def benchmark(load: Load, poll_s: float, data_dir: Path) -> Outcome:
    with embedded_exchange(data_dir, load.sessions) as deployment:
        tally, timing, booked_ns = run(deployment, load, poll_s)
    checks = checks_after_stop(deployment, tally, load.sessions)
    return Outcome(figures(tally, timing, booked_ns), checks, tally, timing, booked_ns)


def distributed_benchmark(
    load: Load, poll_s: float, data_dir: Path, broker: str | None, database: str | None
) -> tuple[Outcome, str]:
    """The same run and checks against the distributed deployment (the checks once the
    services have stopped, before the broker and database go); and its description."""
    with broker_and_database(broker, database) as (bootstrap_servers, registry_url):
        where = "Tansu (in memory)" if broker is None else f"the broker at {broker}"
        with distributed_exchange(
            data_dir, load.sessions, bootstrap_servers, registry_url, where
        ) as deployment:
            tally, timing, booked_ns = run(deployment, load, poll_s)
        checks = checks_after_stop(deployment, tally, load.sessions)
    outcome = Outcome(figures(tally, timing, booked_ns), checks, tally, timing, booked_ns)
    return outcome, deployment.description


def empty_database_problem(url: str) -> str | None:
    """Why `url` cannot hold the run's registry (the end checks count every balance in
    it), or None."""
    try:
        with psycopg.connect(url, connect_timeout=3) as connection:
            tables = connection.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()
    except psycopg.Error as error:
        return f"cannot connect: {str(error).strip()}"
    return f"not empty ({tables[0]} tables in schema public)" if tables and tables[0] else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--mode",
        choices=("embedded", "distributed"),
        default="embedded",
        help="embedded = tcx up's exchange in a process of its own; distributed = the four "
        "tcx services as processes over Kafka (Tansu) and PostgreSQL",
    )
    parser.add_argument("--broker", help="distributed: HOST:PORT of a broker with empty topics")
    parser.add_argument("--database", help="distributed: postgresql:// URL of an empty database")
    parser.add_argument("--sessions", type=int, default=10, help="member sessions (default 10)")
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument("--rate", type=float, default=500.0, help="steady requests/s in total")
    pace.add_argument("--max", action="store_true", help="as fast as answers come")
    parser.add_argument("--window", type=int, default=8, help="in flight per session at --max")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of sending")
    parser.add_argument("--out", type=Path, default=Path("bench/out"), help="report directory")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--poll-ms", type=float, default=5.0, help="registry polling interval")
    args = parser.parse_args(argv)
    if min(args.sessions, args.window) < 1 or min(args.rate, args.duration, args.poll_ms) <= 0:
        parser.error("--sessions, --window, --rate, --duration and --poll-ms must be positive")
    if args.mode == "embedded" and (args.broker or args.database):
        parser.error("--broker and --database go with --mode distributed")
    if args.database and (problem := empty_database_problem(args.database)):
        parser.error(f"--database {args.database}: {problem}")
    load = Load(
        args.sessions, None if args.max else args.rate, args.duration, args.seed, args.window
    )
    args.out.mkdir(parents=True, exist_ok=True)
    host = machine()  # before the run: the load average it started under
    poll_s = args.poll_ms / 1000
    with tempfile.TemporaryDirectory(prefix="tcx-bench-e2e-") as data_dir:
        if args.mode == "embedded":
            outcome, deployment = benchmark(load, poll_s, Path(data_dir)), EMBEDDED
        else:
            outcome, deployment = distributed_benchmark(
                load, poll_s, Path(data_dir), args.broker, args.database
            )
    command = "python -m bench.e2e " + " ".join(argv if argv is not None else sys.argv[1:])
    title = f"tcx end-to-end benchmark ({args.mode})"
    f, checks = outcome.figures, outcome.checks
    text = report(title, load, f, checks, command.strip(), host, deployment=deployment)
    (args.out / "e2e.md").write_text(text)
    charts(outcome.tally, outcome.timing, outcome.booked_ns, args.out)
    print(text)
    print(f"report and charts in {args.out}/")
    return 0 if all(check.passed for check in outcome.checks) else 1


if __name__ == "__main__":
    sys.exit(main())

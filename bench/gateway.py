"""Member gateway benchmark: `python -m bench.gateway [--sessions 10] [--orders 20000]
[--rate 5000] [--runs 5] [--window 32] [--profile FILE] [--compare REF]`.

The embedded exchange runs as `tcx up` runs it: the exchange (engine with its fsynced
journal, FIX gateway) in a process of its own and its back office (settlement,
surveillance, REST) in another. This process plays N member sessions over loopback
websockets with a minimal FIX encoder of its own, and times each request from the moment
its frame is handed to the socket to the first answer naming its ClOrdID (ExecutionReport
New / Rejected / Canceled, OrderCancelReject).

Each session trades its own compliance account: about 65% day limit orders that rest
within 50 ticks of the mid, 10% IOC orders that cross the spread, 25% cancels of the
session's own earlier orders (some already filled: their OrderCancelReject is an answer
too). Two measures, each run `--runs` times with the medians reported:
  max rate: every session keeps `--window` requests in flight; acknowledged requests per
            second over the run, and the latency under that load;
  fixed rate: `--rate` requests per second in total, sent on schedule (open loop)
            whatever the answers; the latency a member sees at that load.
Between runs every session mass-cancels its orders and logs out, so each run starts on
the same, empty book. Besides rates and latencies, the table gives the CPU time each
request cost the exchange process (all its threads: the acknowledgement path), the back
office process and this client process: if the client came near a core's worth, it would
be the limit. `--profile FILE` writes the server's
cProfile statistics. `--compare REF` measures this checkout against git revision REF in
the same run (bench/compare.py), every figure also as a ratio against REF.

The client is cheap enough not to be the limit: picows websockets (bench/fix_connection.py),
every request drawn and encoded before the run, only its header stamped when it is sent.
"""

import argparse
import asyncio
import cProfile
import datetime as dt
import multiprocessing
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import uvloop

from bench import memory_trace
from bench.fix_connection import FixConnection

if TYPE_CHECKING:  # the client side of the bench imports neither
    from engine.commands import Command
    from gateway.members import Directory

SYMBOL = "TJEA25"
MID = 5000  # fen: TJEA25's reference price, 50.00
GATEWAY = "TCX"
PASSWORD = "bench-secret"
DEPOSIT = 10**13  # fen per bench account
ALLOCATION = 10**6  # tonnes per bench account
ORDER_MIX = (("rest", 0.65), ("cross", 0.10), ("cancel", 0.25))
SETUP_TIMEOUT_S = 180.0
ANSWER_TIMEOUT_S = 60.0  # a run whose answers stop coming fails instead of hanging


# ---- the exchange, in its own process --------------------------------------------------


def session_id(number: int) -> str:
    return f"BENCH{number:03d}"


def account_of(number: int) -> str:
    return f"ACC{number:03d}"


def serve(data_dir: Path, port: int, sessions: int, ready, profile: Path | None) -> None:
    """The server process: an embedded exchange with its FIX websocket on `port` (HTTP on
    any free port: the bench does not use it) whose members are the bench's sessions,
    each with a funded account; `ready` is set once they can trade. Stops on SIGTERM.
    Traces its memory when bench.memory_trace's environment variable says where to."""
    memory_trace.start_if_asked()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    try:
        uvloop.run(_serve(data_dir, port, sessions, ready))  # as `tcx up` runs
    finally:
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)


def bench_directory(sessions: int) -> "Directory":
    """The bench's logins: member M<n> with one order-entry session BENCH<n> (password
    PASSWORD, no throttle) acting for account ACC<n>."""
    from gateway.members import Directory, Member, Role, Session, SessionType, hash_password

    members, logins = {}, {}
    password_hash = hash_password(PASSWORD)
    for number in range(sessions):
        member, account = f"M{number:03d}", account_of(number)
        members[member] = Member(
            member, f"Bench member {number}", Role.MEMBER, frozenset({account})
        )
        logins[session_id(number)] = Session(
            session_id(number),
            member,
            SessionType.ORDER_ENTRY,
            password_hash,
            messages_per_second=1_000_000,
        )
    return Directory(members, logins)


def funding(sessions: int, now: int) -> "list[Command]":
    """The commands that open each session's account with DEPOSIT fen and ALLOCATION t."""
    from engine.commands import MoveCash, MoveHolding, OpenAccount
    from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind

    setup = []
    for number in range(sessions):
        member, account = f"M{number:03d}", account_of(number)
        setup += [
            OpenAccount(now, account, member, AccountKind.COMPLIANCE, "", 10**7, "bench"),
            MoveCash(now, account, DEPOSIT, CashMovementKind.DEPOSIT, f"cash-{account}", "bench"),
            MoveHolding(
                now,
                account,
                SYMBOL,
                ALLOCATION,
                HoldingMovementKind.ALLOCATE,
                f"t-{account}",
                "bench",
            ),
        ]
    return setup


async def _serve(data_dir: Path, port: int, sessions: int, ready) -> None:
    """As `tcx up` runs: this process is the exchange (engine and FIX gateway), and it
    starts the back office (settlement, surveillance, REST) as a process of its own."""
    from gateway.back_office import (
        EXCHANGE_SIDE,
        BackOfficeProcess,
        back_office_arguments,
        run_back_office,
    )
    from gateway.exchange import Exchange
    from gateway.members import save_directory
    from gateway.settings import load_settings

    save_directory(bench_directory(sessions), data_dir / "members.toml")  # both processes'
    # orders are stamped inside a trading session whatever the hour the bench runs at
    os.environ.update(TCX_CLOCK="session", TCX_LOG_LEVEL="warning")  # the back office's too
    settings = load_settings(data_dir=data_dir, http_port=_free_port(), fix_port=port)
    exchange = Exchange(settings, components=EXCHANGE_SIDE, serve_http=False)
    office = BackOfficeProcess(
        back_office_arguments(data_dir, None, None, settings.http_host, settings.http_port),
        data_dir,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    memory_trace.snapshot_on_signal(asyncio.get_running_loop())
    running = asyncio.gather(exchange.run(stop), run_back_office(exchange, office, stop))
    setup = funding(sessions, exchange.clock.now())
    await exchange.submit(setup[:-1])
    await exchange.gateway.request(setup[-1], timeout=SETUP_TIMEOUT_S)
    while exchange.fix_port is None:
        await asyncio.sleep(0.01)
    ready.set()
    await running


@dataclass(frozen=True)
class ServerProcess:
    url: str  # the /fix websocket
    pid: int  # the exchange's: the acknowledgement path
    data_dir: Path | None = None  # where a back office in its own process leaves its pid

    def cpu_seconds(self) -> float:
        """User and system CPU time the server has used (Linux /proc)."""
        return _cpu_seconds(self.pid)

    def office_cpu_seconds(self) -> float:
        """The back office's, where it is a process of its own (0 where it is not)."""
        pid_file = None if self.data_dir is None else self.data_dir / "back-office.pid"
        if pid_file is None or not pid_file.exists():
            return 0.0
        try:
            return _cpu_seconds(int(pid_file.read_text()))
        except (OSError, ValueError):  # between a back office's death and its restart
            return 0.0

    def wait_until_idle(self, window_s: float = 0.25, busy_share: float = 0.1) -> None:
        """Until the server's consumers (settlement, surveillance) have caught up with the
        last run: under 10% of a core over a quarter of a second, or a minute at most."""
        for _ in range(240):
            before = self.cpu_seconds() + self.office_cpu_seconds()
            time.sleep(window_s)
            if self.cpu_seconds() + self.office_cpu_seconds() - before < busy_share * window_s:
                return


def _cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def exchange_process(sessions: int, profile: Path | None = None) -> Iterator[ServerProcess]:
    """Runs the server process on a free loopback port until the block ends."""
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    with tempfile.TemporaryDirectory(prefix="tcx-bench-gateway-") as data_dir:
        port = _free_port()
        process = context.Process(
            target=serve, args=(Path(data_dir), port, sessions, ready, profile), daemon=True
        )
        process.start()
        try:
            if not ready.wait(SETUP_TIMEOUT_S):
                raise RuntimeError("the exchange did not start (see its output above)")
            print(f"exchange process {process.pid} on port {port}", file=sys.stderr)
            yield ServerProcess(f"ws://127.0.0.1:{port}/fix", process.pid, Path(data_dir))
        finally:
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)
            process.join(60)
            if process.is_alive():
                process.kill()
                process.join()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- the member side: a minimal FIX client ---------------------------------------------


class SendingTime:
    """FIX UTCTimestamp of now, formatted once per second (the gateway allows 120 s skew)."""

    def __init__(self) -> None:
        self._second = -1
        self._text = b""

    def now(self) -> bytes:
        second = int(time.time())
        if second != self._second:
            self._second = second
            stamp = dt.datetime.fromtimestamp(second, dt.UTC).strftime("%Y%m%d-%H:%M:%S")
            self._text = stamp.encode() + b".000"
        return self._text


_HEAD_SUM = sum(b"8=FIX.4.4\x019=\x01")
_FIELDS_SUM = sum(b"35=\x0134=\x01")


class Framer:
    """A session's frames: a pre-encoded body (SOH-terminated fields, and its byte sum)
    stamped with MsgType, MsgSeqNum and the header that changes once a second, the
    CheckSum added up from the parts' sums instead of over the whole frame."""

    def __init__(self, sender: bytes) -> None:
        self.clock = SendingTime()
        self._sender = sender
        self._second = b""
        self._tail, self._tail_sum = b"", 0

    def frame(self, msg_type: bytes, seq: int, body: bytes, body_sum: int | None = None) -> bytes:
        now = self.clock.now()
        if now is not self._second:
            self._second = now
            self._tail = b"49=%s\x0152=%s\x0156=%s\x01" % (self._sender, now, GATEWAY.encode())
            self._tail_sum = sum(self._tail)
        number = b"%d" % seq
        fields = b"35=%s\x0134=%s\x01%s%s" % (msg_type, number, self._tail, body)
        length = b"%d" % len(fields)
        checksum = (
            _HEAD_SUM
            + sum(length)
            + _FIELDS_SUM
            + sum(msg_type)
            + sum(number)
            + self._tail_sum
            + (sum(body) if body_sum is None else body_sum)
        ) % 256
        return b"8=FIX.4.4\x019=%s\x01%s10=%03d\x01" % (length, fields, checksum)


def field_of(frame: bytes, tag: bytes) -> bytes | None:
    """The value of `tag` (given as b"\\x0111=") in a frame; None when absent."""
    start = frame.find(tag)
    if start < 0:
        return None
    start += len(tag)
    return frame[start : frame.find(b"\x01", start)]


_MSG_TYPE, _CL_ORD_ID, _EXEC_TYPE = b"\x0135=", b"\x0111=", b"\x01150="


def _price(fen: int) -> bytes:
    return b"%d.%02d" % divmod(fen, 100)


@dataclass
class Answers:
    """What one run measured, over every session."""

    latencies_ns: list[int] = field(default_factory=list)
    first_sent: int = 0
    last_answer: int = 0
    schedule_lag_ns: int = 0  # how far the client fell behind a fixed-rate schedule
    server_cpu_s: float = 0.0  # from the first request to the last answer
    office_cpu_s: float = 0.0  # the back office's, where it is a process of its own
    client_cpu_s: float = 0.0  # this process's, over the same span: is the client the limit?

    @property
    def per_second(self) -> float:
        seconds = (self.last_answer - self.first_sent) / 1e9
        return len(self.latencies_ns) / seconds if seconds > 0 else 0.0


@dataclass(frozen=True)
class Request:
    """One request drawn before the run: the order it sends (body and byte sum), or, when
    its draw says cancel and an order of the session rests by then, a cancel instead."""

    client_order_id: bytes
    cancels: bool
    side: int
    crosses: bool
    body: bytes
    body_sum: int


class Member:
    """One order-entry session: sends the order mix and matches answers to requests."""

    def __init__(self, number: int, run: int, rng: random.Random, answers: Answers):
        self.comp_id = session_id(number).encode()
        self.account = account_of(number).encode()
        self.prefix = f"r{run}s{number}-"
        self.rng = rng
        self.answers = answers
        self.seq = 1
        self.sent = 0
        self.outstanding: dict[bytes, tuple[int, bool]] = {}  # ClOrdID -> sent ns, rests
        self.cancellable: list[bytes] = []
        self.answered = asyncio.Event()
        self.connection: FixConnection | None = None
        self.framer = Framer(self.comp_id)
        self.clock = self.framer.clock
        self.requests: list[Request] = []
        self._logon_reply: asyncio.Future[bytes] | None = None
        self._mass_cancelled = asyncio.Event()

    async def log_on(self, url: str) -> None:
        self._logon_reply = asyncio.get_running_loop().create_future()
        self.connection = await FixConnection.open(url, self.on_frame)
        credentials = b"98=0\x01108=30\x01141=Y\x01553=%s\x01554=%s\x01" % (
            self.comp_id,
            PASSWORD.encode(),
        )
        self._send(b"A", credentials)
        reply = await asyncio.wait_for(self._logon_reply, ANSWER_TIMEOUT_S)
        self._logon_reply = None
        if field_of(reply, _MSG_TYPE) != b"A":
            raise RuntimeError(f"{self.comp_id.decode()}: logon refused: {reply!r}")

    def prepare(self, count: int) -> None:
        """Draws and encodes `count` requests ahead of the run, so that sending one costs
        only its header (and a cancel the name of the order it cancels)."""
        for number in range(self.sent + 1, self.sent + count + 1):
            client_order_id = f"{self.prefix}{number}".encode()
            draw = self.rng.random()
            side = self.rng.choice((1, 2))
            cancels = draw < ORDER_MIX[2][1]
            crosses = draw > 1 - ORDER_MIX[1][1]
            if crosses:
                price = MID + 20 if side == 1 else MID - 20
            else:
                offset = self.rng.randint(1, 50)
                price = MID - offset if side == 1 else MID + offset
            body = (
                b"1=%s\x0111=%s\x0138=%d\x0140=2\x0144=%s\x0154=%d\x0155=%s\x0159=%s\x0160=%s\x01"
                % (
                    self.account,
                    client_order_id,
                    self.rng.randint(1, 100),
                    _price(price),
                    side,
                    SYMBOL.encode(),
                    b"3" if crosses else b"0",
                    self.clock.now(),
                )
            )
            self.requests.append(Request(client_order_id, cancels, side, crosses, body, sum(body)))
        self.requests.reverse()  # popped from the end, in the order drawn

    async def send_request(self) -> None:
        """The next request of the mix: a resting order, a crossing IOC or a cancel."""
        request = self.requests.pop()
        self.sent += 1
        if request.cancels and self.cancellable:
            victim = self.cancellable.pop(self.rng.randrange(len(self.cancellable)))
            body = b"1=%s\x0111=%s\x0141=%s\x0154=%d\x0155=%s\x0160=%s\x01" % (
                self.account,
                request.client_order_id,
                victim,
                request.side,
                SYMBOL.encode(),
                self.clock.now(),
            )
            self._request(b"F", request.client_order_id, body, None, rests=False)
            return
        self._request(
            b"D", request.client_order_id, request.body, request.body_sum, not request.crosses
        )

    def _request(
        self, msg_type: bytes, client_order_id: bytes, body: bytes, body_sum: int | None, rests
    ) -> None:
        sent = time.perf_counter_ns()
        self.outstanding[client_order_id] = (sent, rests)
        if not self.answers.first_sent:
            self.answers.first_sent = sent
        self._send(msg_type, body, body_sum)

    def _send(self, msg_type: bytes, body: bytes, body_sum: int | None = None) -> None:
        self.connection.send(self.framer.frame(msg_type, self.seq, body, body_sum))
        self.seq += 1

    def on_frame(self, frame: bytes) -> None:
        """Each frame from the gateway, as it arrives."""
        if self._logon_reply is not None:
            if not self._logon_reply.done():
                self._logon_reply.set_result(frame)
            return
        msg_type = field_of(frame, _MSG_TYPE)
        if msg_type == b"1":  # TestRequest: prove we are alive
            self._send(b"0", b"112=%s\x01" % field_of(frame, b"\x01112="))
            return
        if msg_type == b"r":
            self._mass_cancelled.set()
            return
        self.on_answer(frame, msg_type)

    def on_answer(self, frame: bytes, msg_type: bytes) -> None:
        client_order_id = field_of(frame, _CL_ORD_ID)
        request = self.outstanding.pop(client_order_id, None)
        if request is None:
            return  # a fill or cancel of an order already answered
        now = time.perf_counter_ns()
        sent, rests = request
        self.answers.latencies_ns.append(now - sent)
        self.answers.last_answer = now
        if rests and field_of(frame, _EXEC_TYPE) == b"0":
            self.cancellable.append(client_order_id)
        self.answered.set()

    async def read(self) -> None:
        """Until the gateway closes the connection (frames go to `on_frame` meanwhile)."""
        await self.connection.wait_closed()

    async def clear_book_and_log_out(self) -> None:
        """Cancels what rests (so the next run starts on an empty book) and logs out."""
        self._mass_cancelled.clear()
        body = b"11=%sq\x01530=7\x0160=%s\x01" % (self.prefix.encode(), self.clock.now())
        self._send(b"q", body)
        await asyncio.wait_for(self._mass_cancelled.wait(), ANSWER_TIMEOUT_S)
        self._send(b"5", b"")


# ---- runs ------------------------------------------------------------------------------


async def run_once(
    server: ServerProcess, sessions: int, orders: int, rate: float | None, window: int, run: int
) -> Answers:
    """One run: log on, send `orders` requests in total (in flight up to `window` per
    session, or on a fixed schedule at `rate` per second), wait for every answer."""
    answers = Answers()
    members = [Member(n, run, random.Random(run * 1000 + n), answers) for n in range(sessions)]
    for number, member in enumerate(members):
        member.prepare(orders // sessions + (number < orders % sessions))
    await asyncio.gather(*(member.log_on(server.url) for member in members))
    readers = [asyncio.create_task(member.read()) for member in members]
    cpu_before, client_before = server.cpu_seconds(), time.process_time()
    office_before = server.office_cpu_seconds()
    try:
        if rate is None:
            share = [orders // sessions + (n < orders % sessions) for n in range(sessions)]
            await asyncio.gather(
                *(_windowed(m, k, window) for m, k in zip(members, share, strict=True))
            )
        else:
            await _scheduled(members, orders, rate, answers)
        await asyncio.wait_for(_all_answered(members), ANSWER_TIMEOUT_S)
        answers.server_cpu_s = server.cpu_seconds() - cpu_before
        answers.office_cpu_s = server.office_cpu_seconds() - office_before
        answers.client_cpu_s = time.process_time() - client_before
        for member in members:  # one at a time: each mass cancel is thousands of events
            await member.clear_book_and_log_out()
        await asyncio.wait_for(asyncio.gather(*readers), ANSWER_TIMEOUT_S)
    finally:
        for reader in readers:
            reader.cancel()
        for member in members:
            await member.connection.close()
    return answers


async def _windowed(member: Member, orders: int, window: int) -> None:
    while member.sent < orders:
        if len(member.outstanding) < window:
            await member.send_request()
        else:
            member.answered.clear()
            await asyncio.wait_for(member.answered.wait(), ANSWER_TIMEOUT_S)


async def _scheduled(members: Sequence[Member], orders: int, rate: float, answers: Answers):
    """Open loop: request i is due at start + i / rate, round-robin over the sessions."""
    start = time.perf_counter_ns()
    interval_ns = 1e9 / rate
    for index in range(orders):
        due = start + int(index * interval_ns)
        now = time.perf_counter_ns()
        if due > now:
            await asyncio.sleep((due - now) / 1e9)
        else:
            answers.schedule_lag_ns = max(answers.schedule_lag_ns, now - due)
        await members[index % len(members)].send_request()


async def _all_answered(members: Sequence[Member]) -> None:
    for member in members:
        while member.outstanding:
            member.answered.clear()
            await member.answered.wait()


# ---- figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    answered: int
    per_second: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    lag_ms: float
    server_us: float  # server CPU per request: steadier than rates on a shared machine
    office_us: float  # the back office's CPU per request, while the run lasted
    client_us: float  # the bench's own CPU per request


def figures(answers: Answers) -> Figures:
    latencies = sorted(answers.latencies_ns)

    def at(fraction: float) -> float:
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] / 1e6

    return Figures(
        len(latencies),
        answers.per_second,
        at(0.50),
        at(0.99),
        at(0.999),
        answers.schedule_lag_ns / 1e6,
        answers.server_cpu_s * 1e6 / max(1, len(latencies)),
        answers.office_cpu_s * 1e6 / max(1, len(latencies)),
        answers.client_cpu_s * 1e6 / max(1, len(latencies)),
    )


def median_figures(runs: Sequence[Figures]) -> Figures:
    """Each figure's median over the runs (not one run's figures)."""
    return Figures(
        *(statistics.median(getattr(run, name) for run in runs) for name in Figures.__annotations__)
    )


def table(rows: Sequence[tuple[str, int, Figures]]) -> str:
    lines = [
        f"{'load':<18} {'sessions':>8} {'answered':>9} {'orders/s':>9} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'p99.9 ms':>8} {'lag ms':>7} {'server µs/req':>13}"
        f" {'office µs/req':>13} {'client µs/req':>13}"
    ]
    for load, sessions, f in rows:
        lines.append(
            f"{load:<18} {sessions:>8} {f.answered:>9.0f} {f.per_second:>9,.0f} "
            f"{f.p50_ms:>7.2f} {f.p99_ms:>7.2f} {f.p999_ms:>8.2f} {f.lag_ms:>7.1f}"
            f" {f.server_us:>13.0f} {f.office_us:>13.0f} {f.client_us:>13.0f}"
        )
    return "\n".join(lines)


def measure(
    server: ServerProcess,
    sessions: int,
    orders: int,
    rate: float | None,
    window: int,
    runs: range,
) -> Figures:
    """Medians over `runs`, numbered across the whole bench: a run's number makes its
    ClOrdIDs, which must be new for the day."""
    results = []
    for run in runs:
        server.wait_until_idle()
        answers = uvloop.run(run_once(server, sessions, orders, rate, window, run))
        results.append(figures(answers))
        print(f"  run {run + 1}: {table([('', sessions, results[-1])]).splitlines()[1]}")
    return median_figures(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10, help="member sessions (default 10)")
    parser.add_argument("--orders", type=int, default=20_000, help="requests per run")
    parser.add_argument("--rate", type=float, default=5_000, help="fixed rate, requests/s")
    parser.add_argument("--runs", type=int, default=5, help="runs per measure (median)")
    parser.add_argument("--window", type=int, default=32, help="in flight per session, max rate")
    parser.add_argument("--profile", type=Path, help="write the server's cProfile stats here")
    parser.add_argument(
        "--compare",
        metavar="REF",
        help="also build git revision REF in a temporary worktree and measure both builds "
        "alternately; every figure is given as a ratio against REF",
    )
    args = parser.parse_args(argv)
    if min(args.sessions, args.orders, args.runs, args.window) < 1 or args.rate <= 0:
        parser.error("--sessions, --orders, --runs, --window and --rate must be positive")
    if args.compare:
        from bench.compare import compare, report  # it runs servers of this module's making

        measures = compare(
            args.compare, args.sessions, args.orders, args.rate, args.runs, args.window
        )
        print("\n" + report(args.compare, measures, args.runs, args.orders))
        return 0
    with exchange_process(args.sessions, args.profile) as server:
        print(f"max rate, {args.window} in flight per session:")
        runs = range(args.runs)
        peak = measure(server, args.sessions, args.orders, None, args.window, runs)
        print(f"fixed rate, {args.rate:,.0f} requests/s:")
        runs = range(args.runs, 2 * args.runs)
        steady = measure(server, args.sessions, args.orders, args.rate, args.window, runs)
    print(f"\nmedians of {args.runs} runs, {args.orders:,} requests each:")
    print(
        table(
            [
                ("max rate", args.sessions, peak),
                (f"{args.rate:,.0f}/s", args.sessions, steady),
            ]
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

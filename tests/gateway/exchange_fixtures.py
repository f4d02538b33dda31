"""An embedded exchange on a free port, for tests that talk to it as its users do."""

import asyncio
import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from engine.commands import Command, NewOrder
from engine.orders import OrderType, TimeInForce
from gateway.exchange import Exchange
from gateway.members import Directory, Member, Role, Session, SessionType, hash_password
from gateway.settings import load_settings

SUPERVISOR = ("SUP-1", "supervisor-secret")
TRADER = ("M1-OE", "member-secret")


class FixedClock:
    """10:00 (or `time`) Beijing time on a trading day, moving on 1 µs per reading."""

    def __init__(self, day: dt.date = dt.date(2026, 11, 24), time: dt.time = dt.time(10)):
        start = dt.datetime.combine(day, time, ZoneInfo("Asia/Shanghai"))
        self.ts = int(start.timestamp()) * 1_000_000_000

    def now(self) -> int:
        self.ts += 1_000
        return self.ts


def directory() -> Directory:
    members = {
        "EXCH": Member("EXCH", "Exchange surveillance", Role.SUPERVISOR, frozenset()),
        "M1": Member("M1", "Bohai Brokerage", Role.MEMBER, frozenset({"BUYER", "SELLER"})),
    }
    sessions = {
        SUPERVISOR[0]: Session(
            SUPERVISOR[0], "EXCH", SessionType.DROP_COPY, hash_password(SUPERVISOR[1])
        ),
        TRADER[0]: Session(TRADER[0], "M1", SessionType.ORDER_ENTRY, hash_password(TRADER[1])),
    }
    return Directory(members, sessions)


def start_tcx_up(
    data_dir: Path, port: int, *extra: str, fix_port: int | None = None
) -> subprocess.Popen:
    """`tcx up` as its own process, as an operator starts it; its output is text on stdout."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway.cli.main",
            "up",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--fix-port",
            str(fix_port or free_port()),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningExchange:
    exchange: Exchange
    loop: asyncio.AbstractEventLoop

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.exchange.settings.http_port}"

    @property
    def fix_url(self) -> str:
        return f"ws://127.0.0.1:{self.exchange.fix_port}/fix"

    @property
    def settings(self):
        return self.exchange.settings

    def submit(self, commands: list[Command]) -> None:
        """Hands commands to the engine from the test's thread, as the gateway would."""
        asyncio.run_coroutine_threadsafe(self.exchange.submit(commands), self.loop).result(10)


@contextmanager
def running_exchange(
    data_dir: Path,
    clock: FixedClock | None = None,
    logins: Directory | None = None,
    **overrides,
) -> Iterator[RunningExchange]:
    """Runs the exchange on its own thread and event loop until the block ends; its logins
    are `logins`, or `directory()`'s unless a `members_file` is given."""
    settings = load_settings(data_dir=data_dir, http_port=free_port(), fix_port=0, **overrides)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    built: list[Exchange] = []

    def run() -> None:
        """The exchange is built on its loop's thread: SQLite connections stay on theirs."""
        chosen = logins or (None if "members_file" in overrides else directory())
        built.append(Exchange(settings, clock=clock or FixedClock(), directory=chosen))
        loop.run_until_complete(built[0].run(stop))

    thread = threading.Thread(target=run)
    thread.start()
    for _ in range(500):
        if built:
            break
        threading.Event().wait(0.01)
    exchange = built[0]
    try:
        for _ in range(500):
            http_up = exchange.http is not None and exchange.http.started
            if http_up and (exchange.acceptor is None or exchange.fix_port is not None):
                break
            threading.Event().wait(0.01)
        yield RunningExchange(exchange, loop)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(20)
        loop.close()


def limit_order(
    account: str, client_id: str, instrument: str, side: int, price: int, quantity: int
):
    return NewOrder(
        FixedClock().now(),
        account,
        client_id,
        instrument,
        side,
        OrderType.LIMIT,
        TimeInForce.DAY,
        price,
        quantity,
    )


def wait_until_healthy(base_url: str, within_s: float = 30.0) -> None:
    """Until `tcx up`'s HTTP side answers /health with 200 (its process may still be
    starting, or the back office being started again)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"{base_url}/health never answered within {within_s:.0f} s")

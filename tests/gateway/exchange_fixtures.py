"""An embedded exchange on a free port, for tests that talk to it as its users do."""

import asyncio
import datetime as dt
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from gateway.exchange import Exchange
from gateway.members import Directory, Member, Role, Session, SessionType, hash_password
from gateway.settings import load_settings

SUPERVISOR = ("SUP-1", "supervisor-secret")
TRADER = ("M1-OE", "member-secret")


class FixedClock:
    """10:00 Beijing time on a trading day, moving on 1 µs per reading."""

    def __init__(self, day: dt.date = dt.date(2026, 11, 24)):
        start = dt.datetime.combine(day, dt.time(10), ZoneInfo("Asia/Shanghai"))
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_exchange(data_dir: Path, **overrides) -> Iterator[Exchange]:
    """Runs the exchange on its own thread and event loop until the block ends."""
    settings = load_settings(data_dir=data_dir, http_port=free_port(), **overrides)
    exchange = Exchange(settings, clock=FixedClock(), directory=directory())
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete, args=(exchange.run(stop),))
    thread.start()
    try:
        for _ in range(500):
            if exchange.http is not None and exchange.http.started:
                break
            threading.Event().wait(0.01)
        yield exchange
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(20)
        loop.close()

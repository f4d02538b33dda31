"""Live alert latency: from the command that completes a manipulation episode to the alert
arriving on the supervisors' alert stream (the dashboard's websocket).

    python -m bench.alert_latency [--episodes 20]

Runs the embedded exchange (in-process stream, SQLite, the full service path: gateway,
journal with fsync, engine, surveillance, alert store, websocket) on a free loopback port,
plays spoofing episodes through it, and times each one at the websocket client. Target:
at most 1 s.
"""

import argparse
import asyncio
import json
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from engine.commands import CancelOrder, MoveCash, MoveHolding, NewOrder, OpenAccount
from engine.orders import (
    AccountKind,
    CashMovementKind,
    HoldingMovementKind,
    OrderType,
    Side,
    TimeInForce,
)
from gateway.clock import SessionClock
from gateway.demo.market import DEMO_SUPERVISOR, demo_directory
from gateway.exchange import Exchange
from gateway.settings import load_settings

SYMBOL = "TJEA25"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def limit(ts, account, client_id, side, price, quantity, tif=TimeInForce.DAY) -> NewOrder:
    return NewOrder(ts, account, client_id, SYMBOL, side, OrderType.LIMIT, tif, price, quantity)


def accounts(ts: int) -> list:
    commands = []
    for account in ("MM1", "MM2", "MX1"):
        commands.append(OpenAccount(ts, account, "SIM", AccountKind.INVESTOR, "", 0, "bench"))
        commands.append(
            MoveCash(ts, account, 10**11, CashMovementKind.DEPOSIT, f"c-{account}", "bench")
        )
        commands.append(
            MoveHolding(
                ts, account, SYMBOL, 500_000, HoldingMovementKind.ALLOCATE, f"h-{account}", "bench"
            )
        )
    return commands


def quoting(ts: int) -> list:
    """Market makers quoting 500 t a side: the detector learns the usual top-of-book size
    (it trusts the median after 20 sightings)."""
    return [
        limit(ts, "MM1" if n % 2 else "MM2", f"q{n}", Side.BUY if n % 2 else Side.SELL,
              4_980 - n if n % 2 else 5_020 + n, 500)
        for n in range(40)
    ]  # fmt: skip


def episode(number: int, ts: int) -> tuple[list, list]:
    """Quotes to set the usual top-of-book size, then a lure bid 40x that size under them,
    a sale into the quotes above it; the lure's cancel (returned apart) completes it."""
    tag = f"e{number}"
    setup = [
        limit(ts, "MM1", f"{tag}-b", Side.BUY, 4_990, 500),
        limit(ts, "MM2", f"{tag}-a", Side.SELL, 5_010, 500),
        limit(ts, "MX1", f"{tag}-lure", Side.BUY, 4_950, 20_000),
        limit(ts, "MX1", f"{tag}-sale", Side.SELL, 4_990, 100, TimeInForce.IOC),
    ]
    cancel = [CancelOrder(ts + 1_000_000, "MX1", f"{tag}-x", SYMBOL, f"{tag}-lure")]
    return setup, cancel


async def measure(base: str, exchange: Exchange, loop, episodes: int) -> list[float]:
    async with httpx.AsyncClient(base_url=base, auth=DEMO_SUPERVISOR) as http:
        token = (await http.post("/api/dashboard/session")).json()["token"]

    def submit(commands):
        asyncio.run_coroutine_threadsafe(exchange.submit(commands), loop).result(10)

    latencies = []
    async with connect(base.replace("http", "ws") + f"/ws/alerts?token={token}") as alerts:
        submit(accounts(exchange.clock.now()))
        submit(quoting(exchange.clock.now()))
        for number in range(episodes):
            setup, cancel = episode(number, exchange.clock.now())
            submit(setup)
            await asyncio.sleep(0.2)  # the setup settles; only the cancel is timed
            started = time.perf_counter()
            submit(cancel)
            while True:
                change = json.loads(await asyncio.wait_for(alerts.recv(), 10))
                if change.get("alert", {}).get("pattern") == "spoofing":
                    latencies.append(time.perf_counter() - started)
                    break
    return latencies


def run(episodes: int) -> list[float]:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings(data_dir=Path(data_dir), http_port=free_port())
        loop = asyncio.new_event_loop()
        stop = asyncio.Event()
        built: list[Exchange] = []

        def serve() -> None:
            reference_calendar = Exchange(settings, components=()).reference.calendar
            built.append(
                Exchange(
                    settings, clock=SessionClock(reference_calendar), directory=demo_directory()
                )
            )
            loop.run_until_complete(built[0].run(stop))

        thread = threading.Thread(target=serve)
        thread.start()
        while not built or built[0].http is None or not built[0].http.started:
            time.sleep(0.05)
        try:
            base = f"http://127.0.0.1:{settings.http_port}"
            return asyncio.run(measure(base, built[0], loop, episodes))
        finally:
            loop.call_soon_threadsafe(stop.set)
            thread.join(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=20)
    args = parser.parse_args()
    latencies = sorted(run(args.episodes))
    ms = [value * 1000 for value in latencies]
    print(f"spoofing episodes: {len(ms)}")
    print(f"alert latency ms: p50 {statistics.median(ms):.1f}  max {ms[-1]:.1f}  (target <= 1000)")


if __name__ == "__main__":
    main()

"""The embedded exchange: commands in through the stream, journaled, matched, booked in the
registry; a restart loses nothing and books nothing twice."""

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.commands import MoveCash, MoveHolding, NewOrder, OpenAccount
from engine.events import CashMoved
from engine.orders import (
    AccountKind,
    CashMovementKind,
    HoldingMovementKind,
    OrderType,
    Side,
    TimeInForce,
)
from gateway.clock import WallClock
from gateway.exchange import AlreadyRunning, Exchange
from gateway.settings import load_settings
from settlement.ledger import Ledger
from tests.gateway.exchange_fixtures import FixedClock, directory

TEN_AM = FixedClock().ts


def opening_commands() -> list:
    return [
        OpenAccount(TEN_AM, "BUYER", "M1", AccountKind.INVESTOR, "", 0, "ops"),
        OpenAccount(TEN_AM, "SELLER", "M1", AccountKind.COMPLIANCE, "", 50_000, "ops"),
        MoveCash(TEN_AM, "BUYER", 10_000_000, CashMovementKind.DEPOSIT, "dep-1", "ops"),
        MoveHolding(TEN_AM, "SELLER", "TJEA25", 1_000, HoldingMovementKind.ALLOCATE, "al-1", "ops"),
    ]


def order(account: str, client_id: str, side: Side, price: int, quantity: int) -> NewOrder:
    return NewOrder(
        TEN_AM + 1,
        account,
        client_id,
        "TJEA25",
        side,
        OrderType.LIMIT,
        TimeInForce.DAY,
        price,
        quantity,
    )


def exchange_on(data_dir: Path, components=("engine", "settlement", "gateway")) -> Exchange:
    settings = load_settings(data_dir=data_dir, http_port=0, fix_port=0)
    return Exchange(settings, components=components, directory=directory())


async def run_until(exchange: Exchange, commands: list, done) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(exchange.run(stop))
    await asyncio.sleep(0)
    await exchange.submit(commands)
    for _ in range(1000):
        if await done():
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, 20)


def booked_through(exchange: Exchange, seq: int):
    async def done() -> bool:
        ledger = exchange.settlement.ledger
        return (
            ledger is not None
            and await exchange.settlement.on_ledger_thread(ledger.last_seq) >= seq
        )

    return done


def ledger_state(exchange: Exchange) -> tuple[int, dict]:
    ledger = Ledger.open(exchange.settings.registry, exchange.reference)
    try:
        return ledger.last_seq(), ledger.all_balances()
    finally:
        ledger.close()


def test_orders_trade_and_the_trade_is_booked_once_across_restarts(tmp_path: Path):
    exchange = exchange_on(tmp_path)
    commands = [
        *opening_commands(),
        order("SELLER", "s1", Side.SELL, 5_000, 300),
        order("BUYER", "b1", Side.BUY, 5_010, 200),
    ]
    # 4 administrative events, the accepted sell, the accepted buy and its trade
    asyncio.run(run_until(exchange, commands, booked_through(exchange, 7)))
    last_seq, balances = ledger_state(exchange)
    assert last_seq == 7
    assert balances[("BUYER", "TJEA25", "available")] == 200
    assert balances[("SELLER", "TJEA25", "available")] == 800
    assert balances[("BUYER", "CNY", "cash")] == 10_000_000 - 200 * 5_000  # at the resting price

    restarted = exchange_on(tmp_path)
    assert restarted.sequencer.next_seq == 8  # recovered from the journal
    asyncio.run(run_until(restarted, [], booked_through(restarted, 7)))
    assert restarted.gateway.last_seq == 7  # the gateway saw the day again
    assert ledger_state(restarted) == (last_seq, balances)  # and nothing was booked twice
    assert restarted.reconciliation == []  # the recovered holds agree with the registry


def test_a_registry_changed_behind_the_exchange_is_reported_at_start(tmp_path: Path):
    exchange = exchange_on(tmp_path)
    asyncio.run(run_until(exchange, opening_commands(), booked_through(exchange, 4)))
    ledger = Ledger.open(exchange.settings.registry, exchange.reference)
    try:  # a deposit booked in the registry that the engine never sequenced
        ledger.book([CashMoved(5, TEN_AM, "BUYER", 777, CashMovementKind.DEPOSIT, "x", "dba")])
    finally:
        ledger.close()
    restarted = exchange_on(tmp_path)
    asyncio.run(run_until(restarted, [], booked_through(restarted, 4)))
    assert restarted.reconciliation
    assert any("BUYER" in difference for difference in restarted.reconciliation)


def test_events_the_registry_missed_are_regenerated_from_the_journal(tmp_path: Path):
    engine_only = exchange_on(tmp_path, components=("engine", "gateway"))
    commands = [*opening_commands(), order("SELLER", "s1", Side.SELL, 5_000, 300)]

    async def engine_published() -> bool:
        return engine_only.engine.last_seq >= 5

    asyncio.run(run_until(engine_only, commands, engine_published))
    assert ledger_state(engine_only)[0] == 0  # the registry saw none of it

    both = exchange_on(tmp_path)
    asyncio.run(run_until(both, [], booked_through(both, 5)))
    last_seq, balances = ledger_state(both)
    assert last_seq == 5
    assert balances[("SELLER", "TJEA25", "available")] == 1_000


def test_a_second_engine_on_the_same_data_is_refused(tmp_path: Path):
    first = exchange_on(tmp_path, components=("engine",))
    try:
        exchange_on(tmp_path, components=("engine",))
    except AlreadyRunning as refused:
        assert "in use by another tcx engine" in str(refused)
    else:
        raise AssertionError("two engines opened one journal")
    finally:
        first._lock.close()


def test_the_session_clock_setting_stamps_inside_a_trading_session_whatever_the_hour(tmp_path):
    wall = Exchange(load_settings(data_dir=tmp_path / "wall"), components=("settlement",))
    session = load_settings(data_dir=tmp_path / "session", clock="session")
    exchange = Exchange(session, components=("settlement",))

    ts = exchange.clock.now()
    calendar = exchange.reference.calendar
    day = dt.datetime.fromtimestamp(ts / 1e9, ZoneInfo(calendar.timezone)).date()
    assert any(start <= ts < end for start, end in calendar.session_windows(day))
    assert isinstance(wall.clock, WallClock)

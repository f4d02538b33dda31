"""The embedded exchange: commands in through the stream, journaled, matched, booked in the
registry; a restart loses nothing and books nothing twice."""

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.commands import MoveCash, MoveHolding, NewOrder, OpenAccount
from engine.orders import (
    AccountKind,
    CashMovementKind,
    HoldingMovementKind,
    OrderType,
    Side,
    TimeInForce,
)
from gateway.exchange import Exchange
from gateway.settings import load_settings
from settlement.ledger import Ledger

TEN_AM = int(dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp() * 1e9)


def opening_commands() -> list:
    return [
        OpenAccount(TEN_AM, "BUYER", "M1", AccountKind.INVESTOR, "", 0, "ops"),
        OpenAccount(TEN_AM, "SELLER", "M2", AccountKind.COMPLIANCE, "", 50_000, "ops"),
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


async def run_until_booked(exchange: Exchange, commands: list, last_seq: int) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(exchange.run(stop))
    await exchange.submit(commands)
    for _ in range(500):
        ledger = exchange.settlement.ledger
        if (
            ledger is not None
            and await exchange.settlement.on_ledger_thread(ledger.last_seq) >= last_seq
        ):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, 10)


def ledger_state(settings) -> tuple[int, dict]:
    ledger = Ledger.open(settings.registry, None)
    try:
        return ledger.last_seq(), ledger.all_balances()
    finally:
        ledger.close()


def test_orders_trade_and_the_trade_is_booked_once_across_restarts(tmp_path: Path):
    settings = load_settings(data_dir=tmp_path)
    exchange = Exchange(settings)
    commands = [
        *opening_commands(),
        order("SELLER", "s1", Side.SELL, 5_000, 300),
        order("BUYER", "b1", Side.BUY, 5_010, 200),
    ]
    # 4 admin events, accepted sell, accepted buy + trade
    asyncio.run(run_until_booked(exchange, commands, last_seq=7))
    last_seq, balances = ledger_state(settings)
    assert last_seq == 7
    tonnes_bought = {k: v for k, v in balances.items() if k[0] == "BUYER" and k[1] == "TJEA25"}
    assert sum(tonnes_bought.values()) == 200

    # restart on the same data: the journal is recovered, nothing is booked again
    restarted = Exchange(settings)
    assert restarted.sequencer.next_seq == 8
    asyncio.run(run_until_booked(restarted, [], last_seq=7))
    assert ledger_state(settings) == (last_seq, balances)


def test_events_the_registry_missed_are_regenerated_from_the_journal(tmp_path: Path):
    settings = load_settings(data_dir=tmp_path)
    engine_only = Exchange(settings, components=("engine",))
    commands = [*opening_commands(), order("SELLER", "s1", Side.SELL, 5_000, 300)]

    async def journal_without_settlement():
        stop = asyncio.Event()
        running = asyncio.create_task(engine_only.run(stop))
        await engine_only.submit(commands)
        for _ in range(500):
            if engine_only.engine.last_seq >= 5:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await running

    asyncio.run(journal_without_settlement())
    assert ledger_state(settings)[0] == 0  # the registry saw none of it

    both = Exchange(settings)
    asyncio.run(run_until_booked(both, [], last_seq=5))
    last_seq, balances = ledger_state(settings)
    assert last_seq == 5
    assert balances[("SELLER", "TJEA25", "available")] == 1_000

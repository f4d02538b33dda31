"""The member client against the running exchange: orders, fills, amends, cancels,
refusals, status, the security list, and a restart that recovers what it missed."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.commands import NewOrder
from engine.orders import OrderType, Side, TimeInForce
from gateway.client.member_client import (
    LogonRefused,
    MemberClient,
    MemberClientError,
    Refused,
    trading_day,
)
from gateway.client.messages import CancelReject, ExecutionReport, MassCancelReport
from gateway.client.store import ClientStore, SessionDay
from tests.gateway.exchange_fixtures import TRADER, FixedClock, running_exchange
from tests.gateway.test_member_trading import open_and_fund

WAIT_S = 10.0


class Exchange:
    def __init__(self, running, state: Path):
        self.running = running
        self.url = running.fix_url
        self.state = state

    def client(self, **options) -> MemberClient:
        return MemberClient(self.url, *TRADER, store=ClientStore(self.state), **options)


def serve_exchange(tmp_path_factory) -> Iterator[Exchange]:
    """One exchange for a module, its accounts funded; the client's state file beside it."""
    directory = tmp_path_factory.mktemp("member-client")
    with running_exchange(directory / "exchange") as running:
        open_and_fund(running.base_url)
        yield Exchange(running, directory / "client.sqlite3")


@pytest.fixture(scope="module")
def exchange(tmp_path_factory) -> Iterator[Exchange]:
    """Every test starts with a mass cancel: a book of its own."""
    yield from serve_exchange(tmp_path_factory)


def trade(exchange: Exchange, scenario) -> None:
    async def logged_on() -> None:
        async with exchange.client() as client:
            await client.answer(await client.mass_cancel())  # a clean book
            await scenario(client)

    asyncio.run(logged_on())


async def next_report(feed, client_order_id: str, exec_type: str) -> ExecutionReport:
    while True:
        report = await asyncio.wait_for(anext(feed), WAIT_S)
        if (report.client_order_id, report.exec_type) == (client_order_id, exec_type):
            return report


def test_an_order_is_acknowledged_and_two_orders_fill(exchange):
    async def scenario(client: MemberClient) -> None:
        feed = client.execution_reports()
        sell = await client.place("SELLER", "TJEA25", Side.SELL, 300, "50.00")
        ack = await client.answer(sell)
        assert (ack.exec_type_name, ack.ord_status_name, ack.leaves_qty) == ("New", "New", 300)
        assert (ack.account, ack.symbol, ack.side, ack.price) == (
            "SELLER", "TJEA25", Side.SELL, "50.00",
        )  # fmt: skip
        buy = await client.place("BUYER", "TJEA25", Side.BUY, 200, "50.10")
        assert (await client.answer(buy)).exec_type_name == "New"
        bought = await next_report(feed, buy, "F")
        sold = await next_report(feed, sell, "F")
        assert (bought.last_px, bought.last_qty, bought.ord_status_name) == ("50.00", 200, "Filled")
        assert (sold.cum_qty, sold.leaves_qty, sold.avg_px) == (200, 100, "50.00")
        assert sold.ord_status_name == "PartiallyFilled"

    trade(exchange, scenario)


def test_rejections_carry_the_reason_and_its_text(exchange):
    async def scenario(client: MemberClient) -> None:
        outside = await client.answer(await client.place("BUYER", "TJEA25", Side.BUY, 10, "99.00"))
        assert outside.rejected and outside.ord_rej_reason == 99 and "band" in outside.text
        foreign = await client.answer(await client.place("ELSE", "TJEA25", Side.BUY, 1, "50.00"))
        assert foreign.rejected and foreign.ord_rej_reason == 15
        assert "not an account of your member" in foreign.text

    trade(exchange, scenario)


def test_a_limit_order_needs_a_price_and_a_market_order_none(exchange):
    async def scenario(client: MemberClient) -> None:
        with pytest.raises(ValueError, match="needs a price"):
            await client.place("BUYER", "TJEA25", Side.BUY, 10, order_type=OrderType.LIMIT)
        with pytest.raises(ValueError, match="more than two decimals"):
            await client.place("BUYER", "TJEA25", Side.BUY, 10, "50.001")
        with pytest.raises(ValueError, match="whole number of tonnes"):
            await client.place("BUYER", "TJEA25", Side.BUY, 10.5, "50.00")

    trade(exchange, scenario)


def test_lowering_the_quantity_keeps_priority_raising_it_loses_it(exchange):
    async def scenario(client: MemberClient) -> None:
        feed = client.execution_reports()
        first = await client.place("SELLER", "TJEA25", Side.SELL, 100, "51.00")
        second = await client.place("SELLER", "TJEA25", Side.SELL, 100, "51.00")
        lowered = await client.amend(first, 90, "51.00")
        replaced = await client.answer(lowered)
        assert (replaced.exec_type_name, replaced.order_qty, replaced.orig_client_order_id) == (
            "Replaced", 90, first,
        )  # fmt: skip
        buy = await client.place("BUYER", "TJEA25", Side.BUY, 10, "51.00")
        assert (await next_report(feed, lowered, "F")).leaves_qty == 80  # still first in line

        raised = await client.amend(lowered, 200, "51.00")
        assert (await client.answer(raised)).exec_type_name == "Replaced"
        await client.place("BUYER", "TJEA25", Side.BUY, 10, "51.00", client_order_id=buy + "b")
        assert (await next_report(feed, second, "F")).leaves_qty == 90  # now behind the other

    trade(exchange, scenario)


def test_cancel_then_a_second_cancel_is_refused(exchange):
    async def scenario(client: MemberClient) -> None:
        order = await client.place("SELLER", "TJEA25", Side.SELL, 50, "54.00")
        cancelled = await client.answer(await client.cancel(order))
        assert isinstance(cancelled, ExecutionReport)
        assert (cancelled.exec_type_name, cancelled.orig_client_order_id) == ("Canceled", order)
        again = await client.answer(await client.cancel(order))
        assert isinstance(again, CancelReject)
        assert again.cxl_rej_reason == 1 and "no live order" in again.text

    trade(exchange, scenario)


def test_status_and_mass_cancel(exchange):
    async def scenario(client: MemberClient) -> None:
        order = await client.place("SELLER", "TJEA25", Side.SELL, 40, "53.00")
        await client.answer(order)
        status = await client.status(order)
        assert (status.exec_type_name, status.ord_status_name, status.leaves_qty) == (
            "Status", "New", 40,
        )  # fmt: skip
        report = await client.answer(await client.mass_cancel("TJEA25"))
        assert isinstance(report, MassCancelReport)
        assert report.accepted and report.total_affected_orders == 1
        assert (await client.status(order)).ord_status_name == "Canceled"
        with pytest.raises(MemberClientError, match="unknown to this client"):
            await client.status("never-placed")

    trade(exchange, scenario)


def test_mass_cancel_of_one_account_spares_the_others(exchange):
    async def scenario(client: MemberClient) -> None:
        sell = await client.place("SELLER", "TJEA25", Side.SELL, 10, "53.00")
        buy = await client.place("BUYER", "TJEA25", Side.BUY, 10, "49.00")
        await client.answer(sell)
        await client.answer(buy)
        report = await client.answer(await client.mass_cancel(account="SELLER"))
        assert isinstance(report, MassCancelReport)
        assert report.accepted and report.total_affected_orders == 1
        assert (await client.status(sell)).ord_status_name == "Canceled"
        assert (await client.status(buy)).ord_status_name == "New"
        await client.answer(await client.mass_cancel(account="BUYER"))

    trade(exchange, scenario)


def test_the_security_list_has_each_instruments_rules(exchange):
    async def scenario(client: MemberClient) -> None:
        securities = {security.symbol: security for security in await client.security_list()}
        tjea25 = securities["TJEA25"]
        assert tjea25.lot == 1 and "band=45.00-55.00" in tjea25.rules

    trade(exchange, scenario)


def test_market_data_a_snapshot_then_updates(exchange):
    async def scenario(client: MemberClient) -> None:
        await client.answer(await client.place("SELLER", "TJEA25", Side.SELL, 70, "52.00"))
        feed = await client.market_data(["TJEA25"])
        snapshot = await asyncio.wait_for(anext(feed), WAIT_S)
        assert snapshot.snapshot and snapshot.symbol == "TJEA25"
        offers = [(e.price, e.size) for e in snapshot.entries if e.type == "offer"]
        assert offers == [("52.00", 70)]
        await client.answer(await client.place("BUYER", "TJEA25", Side.BUY, 20, "52.00"))
        seen: list[tuple[str, str, str, int]] = []
        while ("change", "offer", "52.00", 50) not in seen:
            update = await asyncio.wait_for(anext(feed), WAIT_S)
            assert not update.snapshot and update.symbol == "TJEA25"
            seen += [(e.action, e.type, e.price, e.size) for e in update.entries]
        assert ("new", "trade", "52.00", 20) in seen

    trade(exchange, scenario)


def test_market_data_for_an_unknown_symbol_is_refused_with_the_reason(exchange):
    async def scenario(client: MemberClient) -> None:
        feed = await client.market_data(["NOPE"])
        with pytest.raises(Refused, match="unknown Symbol"):
            await asyncio.wait_for(anext(feed), WAIT_S)

    trade(exchange, scenario)


def test_a_restarted_client_recovers_the_fill_it_missed(exchange):
    async def place_and_leave() -> str:
        async with exchange.client() as client:
            await client.answer(await client.mass_cancel())
            order = await client.place("SELLER", "TJEA25", Side.SELL, 100, "50.00")
            await client.answer(order)
            return order

    order = asyncio.run(place_and_leave())
    fill_while_away(exchange, "away-1", 60)  # fills while no client is connected

    async def come_back() -> ExecutionReport:
        client = exchange.client()
        feed = client.execution_reports()
        async with client:
            return await next_report(feed, order, "F")

    recovered = asyncio.run(come_back())
    assert recovered.possible_duplicate
    assert (recovered.last_qty, recovered.leaves_qty) == (60, 40)


def test_an_idle_session_stays_logged_on_through_several_heartbeat_intervals(exchange):
    """HeartBtInt 1 s: the exchange drops a member silent for 2.4 intervals, so after 3.5 s
    idle the session is alive only if the client heartbeats (and answers TestRequests)."""

    async def idle() -> ExecutionReport:
        async with exchange.client(heartbeat_s=1) as client:
            await asyncio.sleep(3.5)
            return await client.answer(await client.place("BUYER", "TJEA25", Side.BUY, 1, "45.00"))

    assert asyncio.run(idle()).exec_type_name == "New"


def test_a_wrong_password_is_a_refused_logon(exchange):
    async def wrong() -> None:
        async with MemberClient(
            exchange.url, TRADER[0], "wrong", store=ClientStore(exchange.state)
        ):
            pass

    with pytest.raises(LogonRefused, match="bad credentials"):
        asyncio.run(wrong())


def test_an_exchange_that_started_over_needs_a_sequence_reset(exchange):
    """A client that expects more than the exchange numbers from (a new demo market) is
    told how to start over, and can."""
    store = ClientStore(exchange.state)
    day = SessionDay(exchange.url, TRADER[0], "TCX", trading_day(time.time_ns()))
    store.raise_numbers(day, 1, 5_000)

    async def log_on(**options) -> None:
        async with exchange.client(**options):
            pass

    with pytest.raises(LogonRefused, match="--reset-sequence"):
        asyncio.run(log_on())
    asyncio.run(log_on(reset_sequence=True))
    assert store.next_numbers(day) == (3, 3)  # Logon and Logout each way
    asyncio.run(log_on())


def _buy(client_order_id: str, quantity: int) -> NewOrder:
    return NewOrder(
        FixedClock().now() + 10**9, "BUYER", client_order_id, "TJEA25", Side.BUY,
        OrderType.LIMIT, TimeInForce.IOC, 5_000, quantity,
    )  # fmt: skip


def fill_while_away(exchange: Exchange, client_order_id: str, quantity: int) -> None:
    """A buy from elsewhere, and a wait until its events have reached the gateway: the
    member's reports are then stored for its next logon, not sent to a logon that came
    first (a fast reconnect can beat the engine's journal)."""
    gateway = exchange.running.exchange.gateway
    before = gateway.last_seq
    exchange.running.submit([_buy(client_order_id, quantity)])
    for _ in range(500):
        if gateway.last_seq > before:
            return
        time.sleep(0.01)
    raise AssertionError("the buy never reached the gateway")

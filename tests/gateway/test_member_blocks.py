"""Block trades from the member's side: `tcx member block ...` as a person types it, and
the client library's methods, against the running exchange in the block session."""

import asyncio
import json
from collections.abc import Iterator

import pytest

from engine.orders import Side
from gateway.cli.main import main
from gateway.client.member_client import MemberClient
from gateway.client.store import ClientStore
from tests.gateway.exchange_fixtures import RunningExchange, running_exchange
from tests.gateway.test_block_trades_fix import BUYER, SELLER, afternoon, logins, open_and_fund


@pytest.fixture(scope="module")
def exchange(tmp_path_factory) -> Iterator[RunningExchange]:
    with running_exchange(
        tmp_path_factory.mktemp("blocks"), clock=afternoon(), logins=logins()
    ) as running:
        open_and_fund(running.base_url)
        yield running


def tcx_member(exchange: RunningExchange, login: tuple[str, str], *command: str) -> int:
    url = exchange.fix_url
    state = str(exchange.settings.data_dir / "member-state.sqlite3")
    credentials = ["--session", login[0], "--password", login[1]]
    return main(["member", "--url", url, "--state", state, *credentials, *command])


def open_blocks(exchange: RunningExchange, login: tuple[str, str], capsys) -> list[dict]:
    capsys.readouterr()
    assert tcx_member(exchange, login, "block", "list", "--json") == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return [record for record in records if record["kind"] == "open_block"]


def test_propose_list_accept_and_cross_from_the_command_line(exchange, capsys):
    propose = ["block", "propose", "S1", "TJEA25", "200000", "50.00", "--sell"]
    assert tcx_member(exchange, SELLER, *propose, "--counterparty", "B1", "--id", "cli-r1") == 0
    assert "Block reported" in capsys.readouterr().out
    (alleged,) = open_blocks(exchange, BUYER, capsys)
    assert alleged["what"] == "alleged"
    assert (alleged["quantity"], alleged["price"]) == (200_000, "50.00")
    assert tcx_member(exchange, BUYER, "block", "accept", alleged["block_id"]) == 0
    out = capsys.readouterr().out
    assert "Block accepted" in out and "Block traded" in out
    assert open_blocks(exchange, BUYER, capsys) == []

    cross = ["block", "cross", "B1", "TJEA25", "100000", "50.00", "--sell", "--with", "B2"]
    assert tcx_member(exchange, BUYER, *cross) == 0
    assert "Block traded" in capsys.readouterr().out

    small = ["block", "propose", "S1", "TJEA25", "99999", "50.00", "--sell"]
    assert tcx_member(exchange, SELLER, *small, "--counterparty", "B1") == 1
    assert "block minimum (100,000 t by default) (TradeReportRejectReason 99)" in (
        capsys.readouterr().err
    )


def test_withdraw_and_decline_through_the_library(exchange):
    url = exchange.fix_url
    store_path = exchange.settings.data_dir / "member-state.sqlite3"  # the CLI's, as it goes on

    async def scenario() -> None:
        store = ClientStore(store_path)
        seller = MemberClient(url, SELLER[0], SELLER[1], store=store)
        buyer = MemberClient(url, BUYER[0], BUYER[1], store=store)
        async with seller, buyer:
            first = await seller.answer(
                await seller.blocks.propose("S1", "TJEA25", Side.SELL, 150_000, "48.00", "B1")
            )
            assert first.kind == "reported" and first.block_id
            withdrawn = await seller.answer(await seller.blocks.withdraw(first.block_id))
            assert withdrawn.kind == "withdrawn"
            late = await buyer.answer(await buyer.blocks.accept(first.block_id))
            assert late.refused and "no longer open" in late.text

            second = await seller.answer(
                await seller.blocks.propose("S1", "TJEA25", Side.SELL, 150_000, "48.00", "B1")
            )
            listed = await buyer.answer(await buyer.blocks.open())
            assert [(r.kind, r.block_id) for r in listed] == [("alleged", second.block_id)]
            declined = await buyer.answer(await buyer.blocks.decline(second.block_id))
            assert declined.kind == "declined" and not declined.refused
            assert await seller.answer(await seller.blocks.open()) == []
        store.close()

    asyncio.run(scenario())

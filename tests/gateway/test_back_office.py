"""`tcx up` as two processes: the exchange acknowledges while its back office is killed
(SIGKILL), starts it again, and the back office catches up from its committed position:
every trade booked in the registry once, none lost. `--one-process` keeps one process."""

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from engine.reference import load_reference_data
from gateway.members import save_directory
from settlement.ledger import Ledger
from tests.gateway.exchange_fixtures import (
    TRADER,
    directory,
    free_port,
    start_tcx_up,
    wait_until_healthy,
)
from tests.gateway.fix_harness import SimpleFixMember, text
from tests.gateway.test_member_trading import GATEWAY, open_and_fund, order, reports_until

pytestmark = pytest.mark.slow
BEFORE, WHILE_DOWN = 15, 15


def _back_office_pid(data_dir: Path, other_than: int | None = None) -> int:
    """The running back office's pid, once there is one (other than `other_than`)."""
    pid_file = data_dir / "back-office.pid"
    for _ in range(300):
        if pid_file.exists() and (text_ := pid_file.read_text().strip()):
            pid = int(text_)
            if pid != other_than:
                return pid
        time.sleep(0.1)
    raise AssertionError("no (new) back office started")


def _booked_trades(data_dir: Path, wanted: int) -> tuple[list, list[str]]:
    """The registry's trades once there are `wanted` (or after 30 s), and its problems."""
    ledger = Ledger.open(f"sqlite:///{data_dir / 'registry.sqlite3'}", load_reference_data())
    try:
        for _ in range(300):
            trades = ledger.trades_after(0)
            if len(trades) >= wanted:
                break
            time.sleep(0.1)
        time.sleep(0.5)  # anything booked twice would show by now
        return ledger.trades_after(0), ledger.verify()
    finally:
        ledger.close()


def test_the_exchange_acknowledges_through_a_killed_back_office_and_nothing_is_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_directory(directory(), tmp_path / "members.toml")
    monkeypatch.setenv("TCX_CLOCK", "session")  # orders inside a trading session, any hour
    port, fix_port = free_port(), free_port()
    process = start_tcx_up(tmp_path, port, fix_port=fix_port)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url)
        open_and_fund(base_url)  # through the back office's REST and the commands topic
        first = _back_office_pid(tmp_path)

        async def trade() -> None:
            async with connect(f"ws://127.0.0.1:{fix_port}/fix") as connection:
                member = SimpleFixMember(connection, comp_id=TRADER[0], gateway=GATEWAY)
                await member.send("A", (98, "0"), (108, "30"), (553, TRADER[0]), (554, TRADER[1]))
                assert text(await member.receive(), 35) == "A"
                await member.send("D", *order("s1", "SELLER", "2", 1000, "50.00"))
                await reports_until(member, 1)
                for number in range(BEFORE + WHILE_DOWN):
                    if number == BEFORE:
                        os.kill(first, signal.SIGKILL)
                    await member.send("D", *order(f"b{number}", "BUYER", "1", 1, "50.00"))
                    reports = await reports_until(member, 3)  # New, and a fill per side
                    assert {text(r, 150) for r in reports} == {"0", "F"}

        asyncio.run(trade())
        assert _back_office_pid(tmp_path, other_than=first) != first  # started again
        trades, problems = _booked_trades(tmp_path, BEFORE + WHILE_DOWN)
        assert problems == []
        assert len(trades) == BEFORE + WHILE_DOWN
        assert len({t.trade_id for t in trades}) == len(trades)  # none booked twice
        with httpx.Client(base_url=base_url, auth=("SUP-1", "supervisor-secret")) as api:
            balances = api.get("/api/admin/accounts/BUYER", timeout=10).json()["balances"]
        held = {(b["asset"], b["state"]): b["amount"] for b in balances}
        assert held[("TJEA25", "available")] == BEFORE + WHILE_DOWN
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "back office exited with -9: starting it again" in output


def test_one_process_runs_everything_in_tcx_up_itself(tmp_path: Path) -> None:
    save_directory(directory(), tmp_path / "members.toml")
    port = free_port()
    process = start_tcx_up(tmp_path, port, "--one-process")
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}")
        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()
        assert health["components"] == ["engine", "settlement", "surveillance", "gateway"]
        assert not (tmp_path / "back-office.pid").exists()
        assert not (tmp_path / "stream.sock").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "back office started" not in output

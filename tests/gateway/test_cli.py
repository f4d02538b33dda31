"""The `tcx` command line as an operator uses it."""

import signal
import time

import httpx
import pytest

from engine.commands import MoveCash, MoveHolding, OpenAccount
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind, Side
from gateway.cli.main import main
from gateway.fix import accelerator
from gateway.members import load_directory
from tests.gateway.exchange_fixtures import (
    SUPERVISOR,
    FixedClock,
    free_port,
    limit_order,
    running_exchange,
    start_tcx_up,
    wait_until_healthy,
)


def test_members_file_from_the_command_line(tmp_path, capsys):
    file = str(tmp_path / "members.toml")
    assert (
        main(
            [
                "members",
                "--file",
                file,
                "add-member",
                "M7",
                "--name",
                "Binhai Carbon",
                "--account",
                "A71",
                "--account",
                "A72",
            ]
        )
        == 0
    )
    assert main(["members", "--file", file, "add-session", "M7-OE", "--member", "M7"]) == 0
    password = capsys.readouterr().out.rsplit(": ", 1)[1].strip()
    directory = load_directory(file)
    assert directory.authenticate("M7-OE", password).member == "M7"
    assert directory.members["M7"].accounts == {"A71", "A72"}
    assert main(["members", "--file", file, "password", "NOPE"]) == 1
    assert main(["members", "--file", file, "list"]) == 0
    assert "M7-OE" in capsys.readouterr().out


def test_admin_commands_against_a_running_exchange(tmp_path, capsys):
    with running_exchange(tmp_path) as exchange:
        common = [
            "admin",
            "--url",
            f"http://127.0.0.1:{exchange.settings.http_port}",
            "--user",
            SUPERVISOR[0],
            "--password",
            SUPERVISOR[1],
        ]
        assert (
            main(
                [
                    *common,
                    "open-account",
                    "SELLER",
                    "--member",
                    "M1",
                    "--kind",
                    "compliance",
                    "--allocation",
                    "1000",
                ]
            )
            == 0
        )
        assert '"type": "account"' in capsys.readouterr().out
        assert (
            main(
                [*common, "holding", "allocate", "SELLER", "TJEA25", "1000", "--reference", "AL-9"]
            )
            == 0
        )
        assert (
            main(
                [*common, "holding", "allocate", "SELLER", "TJEA25", "1000", "--reference", "AL-9"]
            )
            == 1
        )
        assert "duplicate_reference" in capsys.readouterr().err
        assert (
            main([*common, "holding", "pledge", "SELLER", "TJEA25", "5000", "--reference", "PL-1"])
            == 1
        )
        assert "insufficient_holdings" in capsys.readouterr().err
        assert main([*common, "halt", "--reason", "drill"]) == 0
        assert '"halted": true' in capsys.readouterr().out
    assert (
        main(["admin", "--url", "http://127.0.0.1:9", "--user", "x", "--password", "y", "audit"])
        == 2
    )


def test_a_bad_setting_stops_the_start_with_its_name(tmp_path, capsys):
    config = tmp_path / "tcx.toml"
    config.write_text("journal_batch_size = -3\n")
    assert main(["up", "--config", str(config), "--data-dir", str(tmp_path)]) == 2
    assert "journal_batch_size" in capsys.readouterr().err


def test_services_alone_need_kafka(tmp_path, capsys):
    assert main(["engine", "--data-dir", str(tmp_path)]) == 2
    assert 'stream = "kafka"' in capsys.readouterr().err


@pytest.mark.slow
def test_the_demo_market_trades_and_stops_cleanly(tmp_path):
    """The README's run command, as a new user runs it: trades settle within seconds."""
    port = free_port()
    process = start_tcx_up(tmp_path, port, "--demo", "--speed", "4")
    try:
        traded = False
        for _ in range(120):
            time.sleep(0.5)
            try:
                audit = httpx.get(
                    f"http://127.0.0.1:{port}/api/admin/accounts/MM1",
                    auth=("demo-supervisor", "demo"),
                    timeout=5,
                )
            except httpx.HTTPError:
                continue
            if audit.status_code == 200:
                balances = {(b["asset"], b["state"]): b["amount"] for b in audit.json()["balances"]}
                if balances.get(("TJEA25", "available"), 50_000) != 50_000:
                    traded = True
                    break
        assert traded, "the market maker's holdings never changed: no trade settled"
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "demo-supervisor / demo" in output
    assert "stopped cleanly" in output


def test_a_day_is_exported_from_the_journal_and_replayed(tmp_path, capsys):
    with running_exchange(tmp_path) as running:
        running.submit(wash_trade_commands())
        for _ in range(200):
            if running.exchange.engine.last_seq >= 7:  # 4 registry events, 2 accepted, 1 trade
                break
            time.sleep(0.02)
    day = tmp_path / "day.tcxev"
    assert main(["surveil", "export", "--data-dir", str(tmp_path), "--out", str(day)]) == 0
    assert "events written" in capsys.readouterr().out
    alerts = tmp_path / "alerts.jsonl"
    assert main(["surveil", "replay", str(day), "--quiet", "--alerts", str(alerts)]) == 0
    assert "self_trade" in alerts.read_text()
    assert main(["surveil", "export", "--data-dir", str(tmp_path / "none"), "--out", "x"]) == 2


def wash_trade_commands() -> list:
    """Two accounts of one owner trading with each other."""
    ts = FixedClock().now()
    return [
        OpenAccount(ts, "BUYER", "M1", AccountKind.INVESTOR, "G", 0, "ops"),
        OpenAccount(ts, "SELLER", "M1", AccountKind.INVESTOR, "G", 0, "ops"),
        MoveCash(ts, "BUYER", 10_000_000, CashMovementKind.DEPOSIT, "d", "ops"),
        MoveHolding(ts, "SELLER", "TJEA25", 500, HoldingMovementKind.ALLOCATE, "a", "ops"),
        limit_order("SELLER", "s", "TJEA25", Side.SELL, 5_000, 100),
        limit_order("BUYER", "b", "TJEA25", Side.BUY, 5_000, 100),
    ]


def test_a_service_alone_without_a_member_file_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TCX_STREAM", "kafka")
    assert main(["gateway", "--data-dir", str(tmp_path)]) == 2
    assert "no member file" in capsys.readouterr().err
    assert not (tmp_path / "members.toml").exists()


def test_version_says_which_fix_codec_runs(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert accelerator.in_use() in capsys.readouterr().out


@pytest.mark.slow
def test_the_demo_stops_cleanly_while_it_is_still_seeding_its_registry(tmp_path):
    """Ctrl-C in the demo's first second: the seeding (compliance year) is abandoned, not
    left waiting on an engine that is shutting down."""
    port = free_port()
    process = start_tcx_up(tmp_path, port, "--demo")
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "stopped cleanly" in output

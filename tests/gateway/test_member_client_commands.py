"""`tcx member ...` against the running exchange, as a person types it."""

import json
from collections.abc import Iterator

import pytest

from gateway.cli.main import main
from tests.gateway.exchange_fixtures import TRADER, free_port
from tests.gateway.test_member_client import Exchange, fill_while_away, serve_exchange


@pytest.fixture(scope="module")
def exchange(tmp_path_factory) -> Iterator[Exchange]:
    yield from serve_exchange(tmp_path_factory)


def tcx_member(exchange: Exchange, *command: str) -> int:
    url, state = exchange.url, str(exchange.state)
    return main(["member", "--url", url, "--state", state, *command])


def test_buy_prints_the_ack_and_the_fill(exchange, capsys, monkeypatch):
    monkeypatch.setenv("TCX_MEMBER_SESSION", TRADER[0])
    monkeypatch.setenv("TCX_MEMBER_PASSWORD", TRADER[1])
    assert tcx_member(exchange, "cancel-all") == 0
    assert tcx_member(exchange, "sell", "SELLER", "TJEA25", "30", "50.00", "--id", "cli-s1") == 0
    assert "New       cli-s1  SELL 30 TJEA25 @ 50.00  SELLER" in capsys.readouterr().out
    assert tcx_member(exchange, "buy", "BUYER", "TJEA25", "10", "50.50", "--ioc") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("New ")
    assert any("traded 10 @ 50.00  [Filled: 10 done, 0 open, avg 50.00]" in x for x in lines)


def test_cancel_amend_and_status_by_client_order_id(exchange, capsys, monkeypatch):
    monkeypatch.setenv("TCX_MEMBER_SESSION", TRADER[0])
    monkeypatch.setenv("TCX_MEMBER_PASSWORD", TRADER[1])
    assert tcx_member(exchange, "sell", "SELLER", "TJEA25", "20", "54.00", "--id", "cli-s2") == 0
    assert tcx_member(exchange, "amend", "cli-s2", "--quantity", "15", "--price", "54.10") == 0
    assert "Replaced" in capsys.readouterr().out
    assert tcx_member(exchange, "status", "cli-s2") == 0
    assert "Status" in (out := capsys.readouterr().out) and "SELL 15 TJEA25 @ 54.10" in out
    assert tcx_member(exchange, "cancel", "cli-s2") == 0
    assert "Canceled" in capsys.readouterr().out
    assert tcx_member(exchange, "cancel", "cli-s2") == 1
    assert "refused: no live order" in capsys.readouterr().err


def test_a_rejected_order_exits_1_with_its_reason(exchange, capsys):
    credentials = ["--session", TRADER[0], "--password", TRADER[1]]
    url, state = exchange.url, str(exchange.state)
    command = ["member", "--url", url, "--state", state, *credentials]
    assert main([*command, "buy", "BUYER", "TJEA25", "10", "99.00"]) == 1
    err = capsys.readouterr().err
    assert "rejected: price is outside today's price band (OrdRejReason 99)" in err


def test_instruments(exchange, capsys):
    command = ["--session", TRADER[0], "--password", TRADER[1], "instruments"]
    assert tcx_member(exchange, *command) == 0
    out = capsys.readouterr().out
    assert "TJEA25" in out and "band=45.00-55.00" in out


def test_watch_shows_a_fill_that_happened_while_away(exchange, capsys, monkeypatch):
    monkeypatch.setenv("TCX_MEMBER_SESSION", TRADER[0])
    monkeypatch.setenv("TCX_MEMBER_PASSWORD", TRADER[1])
    assert tcx_member(exchange, "cancel-all") == 0
    assert tcx_member(exchange, "sell", "SELLER", "TJEA25", "40", "50.00", "--id", "cli-s3") == 0
    capsys.readouterr()
    fill_while_away(exchange, "cli-away", 25)
    assert tcx_member(exchange, "watch", "--json", "--limit", "3") == 0
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["client_order_id"], r["exec_type"]) for r in reports] == [
        ("cli-away", "New"),
        ("cli-away", "Trade"),
        ("cli-s3", "Trade"),
    ]  # fmt: skip: the buy's reports, then the resting sell's fill
    assert reports[2]["last_qty"] == 25 and reports[2]["ord_status"] == "PartiallyFilled"
    assert all(r["kind"] == "execution_report" and r["possible_duplicate"] for r in reports)


def test_errors_are_clear_and_exit_2(exchange, capsys, monkeypatch):
    monkeypatch.delenv("TCX_MEMBER_SESSION", raising=False)
    monkeypatch.delenv("TCX_MEMBER_PASSWORD", raising=False)
    assert tcx_member(exchange, "instruments") == 2
    assert "--session and --password" in capsys.readouterr().err

    wrong = ["--session", TRADER[0], "--password", "wrong", "instruments"]
    assert tcx_member(exchange, *wrong) == 2
    assert "logon refused" in capsys.readouterr().err

    nowhere = f"ws://127.0.0.1:{free_port()}/fix"
    command = ["member", "--url", nowhere, "--state", str(exchange.state)]
    assert main([*command, "--session", "S", "--password", "P", "instruments"]) == 2
    assert "cannot connect to" in capsys.readouterr().err

    market = ["--session", TRADER[0], "--password", TRADER[1], "buy", "BUYER", "TJEA25"]
    assert tcx_member(exchange, *market, "10", "50.00", "--market") == 2
    assert "a --market order takes no PRICE" in capsys.readouterr().err


def test_watch_the_market(exchange, capsys):
    credentials = ["--session", TRADER[0], "--password", TRADER[1]]
    assert tcx_member(exchange, *credentials, "cancel-all") == 0
    assert tcx_member(exchange, *credentials, "sell", "SELLER", "TJEA25", "5", "53.50") == 0
    capsys.readouterr()
    assert tcx_member(exchange, *credentials, "watch", "--market", "TJEA25", "--limit", "1") == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("TJEA25   book: offer 5 @ 53.50, trade ")  # and the last trade

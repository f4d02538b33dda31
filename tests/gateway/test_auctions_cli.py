"""`tcx admin auction ...` and `tcx member auction ...` against a running exchange."""

import json

import pytest

from gateway.cli.main import main
from tests.gateway.auction_exchange import ENTITY, SUPERVISOR, auction_exchange, beijing, ns, wait


def test_create_bid_amend_withdraw_and_result_from_the_command_line(tmp_path, capsys) -> None:
    with auction_exchange(tmp_path) as (running, admin):
        supervisor = ["admin", "--url", running.base_url, "--user", SUPERVISOR[0],
                      "--password", SUPERVISOR[1], "auction"]  # fmt: skip
        member = ["member", "--http-url", running.base_url, "--session", ENTITY[0],
                  "--password", ENTITY[1], "auction"]  # fmt: skip
        times = [
            arg
            for flag, at in (("--announce-at", beijing(10)), ("--open-at", beijing(10)),
                             ("--close-at", beijing(10, 30)), ("--results-at", beijing(10, 45)))
            for arg in (flag, at.isoformat())
        ]  # fmt: skip
        create = [*supervisor, "create", "CLI-1", "--instrument", "TJEA25", "--seller", "GOV",
                  "--volume", "20000", "--floor-price", "45.00", *times,
                  "--entity", "E1:2000000:25000", "--group-cap-percent", "100"]  # fmt: skip
        with pytest.raises(SystemExit):  # --comment is required: it goes into the audit
            main(create)
        capsys.readouterr()
        assert main([*create, "--comment", "from the command line"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["type"] == "auction"
        wait(lambda: admin.get("/api/admin/auctions/CLI-1").json()["state"] == "open", "open")

        assert main([*member, "bid", "CLI-1", "b1", "10000", "46.00", "--account", "E1"]) == 0
        assert main([*member, "bid", "CLI-1", "b2", "1000", "44.00", "--account", "E1"]) == 1
        assert "below_floor" in capsys.readouterr().err
        assert main([*member, "amend", "CLI-1", "b1", "b1b", "12000", "47.00",
                     "--account", "E1"]) == 0  # fmt: skip
        assert main([*member, "bid", "CLI-1", "b3", "1000", "45.00", "--account", "E1"]) == 0
        assert main([*member, "withdraw", "CLI-1", "b3", "--account", "E1"]) == 0
        capsys.readouterr()
        assert main([*member, "list"]) == 0
        [listed] = json.loads(capsys.readouterr().out)
        assert [(b["client_bid_id"], b["live"]) for b in listed["bids"]] == [
            ("b1b", True),
            ("b3", False),
        ]
        running.exchange.clock.ts = ns(10, 30)
        wait(lambda: admin.get("/api/admin/auctions/CLI-1").json()["results"], "clearing")
        assert main([*member, "result", "CLI-1"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["results"]["price"] == 47_00
        assert [b["allotted"] for b in result["bids"] if b["client_bid_id"] == "b1b"] == [12_000]
        assert main([*supervisor, "cancel", "CLI-1", "--comment", "too late"]) == 1
        assert "auction_settled" in capsys.readouterr().err

"""Enforcement restrictions as supervisors and members meet them: REST and `tcx admin`,
the member's FIX rejection (OrdRejReason + Text), the register and the audit, and the
restriction still enforced after the exchange restarts on the same data."""

import asyncio
import time

import httpx
from websockets.asyncio.client import connect

from gateway.cli.main import main
from gateway.rest.restrictions import parse_until
from tests.gateway.exchange_fixtures import SUPERVISOR, TRADER, running_exchange
from tests.gateway.fix_harness import SimpleFixMember, text
from tests.gateway.test_member_trading import GATEWAY, open_and_fund, order, reports_until


def register(api: httpx.Client, predicate, **params) -> list[dict]:
    """Settlement books asynchronously: poll the register until it shows the change."""
    for _ in range(200):
        found = api.get("/api/admin/restrictions", params=params).json()
        if predicate(found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"the register never showed the change: {found}")


async def fix_orders(fix_url: str, *orders) -> list:
    """Logs on over FIX, sends each order and returns its execution report."""
    async with connect(fix_url) as connection:
        member = SimpleFixMember(connection, comp_id=TRADER[0], gateway=GATEWAY)
        await member.send(
            "A", (98, "0"), (108, "30"), (141, "Y"), (553, TRADER[0]), (554, TRADER[1])
        )
        assert text(await member.receive(), 35) == "A"
        reports = []
        for fields in orders:
            await member.send("D", *fields)
            reports += await reports_until(member, 1)
        await member.send("5")
        return reports


def test_restrict_enforce_over_fix_lift_and_survive_a_restart(tmp_path, capsys):
    data = tmp_path / "exchange"
    with running_exchange(data) as running:
        open_and_fund(running.base_url)
        api = httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20)
        body = {"mode": "sell_only", "reason": "alert A-7: layering", "reference": "R-1"}
        made = api.post("/api/admin/accounts/BUYER/restrictions", json=body)
        assert made.status_code == 201, made.text
        (event,) = made.json()
        assert (event["type"], event["actor"], event["mode"]) == ("restricted", SUPERVISOR[0], 1)

        # the member's next buy is refused with a reason it can act on; a sell is not
        buy, sell = asyncio.run(
            fix_orders(
                running.fix_url,
                order("b1", "BUYER", "1", 10, "50.00"),
                order("s1", "SELLER", "2", 10, "52.00"),
            )
        )
        assert (text(buy, 39), text(buy, 103)) == ("8", "0")
        assert "restricted to selling" in text(buy, 58) and "until lifted" in text(buy, 58)
        assert text(sell, 39) == "0"

        # bad input: each refused with a reason, nothing changed
        suspend = {"mode": "suspended", "reason": "x"}
        for path, bad, reason in (
            ("BUYER/restrictions", suspend | {"reason": ""}, "no_restriction_reason"),
            ("BUYER/restrictions", suspend | {"until": "soon"}, "bad_restriction"),
            ("BUYER/restrictions", suspend | {"until": "2020-01-01"}, "bad_restriction"),
            ("NOBODY/restrictions", suspend, "unknown_account"),
            ("BUYER/restrictions", suspend | {"reference": "R-1"}, "duplicate_reference"),
            ("BUYER/restrictions/R-1/lift", {"reason": ""}, "no_restriction_reason"),
            ("BUYER/restrictions/R-404/lift", {"reason": "x"}, "not_restricted"),
        ):
            refused = api.post(f"/api/admin/accounts/{path}", json=bad)
            assert refused.status_code == 422, (path, bad, refused.text)
            assert refused.json()["detail"]["reason"] == reason, (path, bad)
        assert (
            api.post("/api/admin/accounts/BUYER/restrictions", json={"mode": "x"}).status_code
            == 422
        )

        # a second restriction from the command line, with its live orders cancelled
        common = ["admin", "--url", running.base_url, "--user", SUPERVISOR[0],
                  "--password", SUPERVISOR[1]]  # fmt: skip
        restrict = ["restrict", "SELLER", "suspended", "--reason", "referral", "--until",
                    "2026-11-30", "--reference", "R-2", "--cancel-resting"]  # fmt: skip
        assert main([*common, *restrict]) == 0
        shown = capsys.readouterr().out
        assert '"restricted"' in shown and '"mass_cancelled"' in shown
        assert '"cancelled": 1' in shown  # the resting sell s1
        found = register(api, lambda rows: len(rows) == 2)
        assert [(r["reference"], r["status"]) for r in found] == [
            ("R-2", "in_force"),
            ("R-1", "in_force"),
        ]
        assert found[0]["until"] == parse_until("2026-11-30", "Asia/Shanghai")
        audit = api.get("/api/admin/audit", params={"account": "BUYER"}).json()
        assert any(e["kind"] == "restrict:sell_only" and e["actor"] == SUPERVISOR[0] for e in audit)
        assert any(e["kind"] == "rejected:XL" and e["reference"] == "R-404" for e in audit)
        assert main([*common, "restrictions", "--account", "SELLER"]) == 0
        assert '"R-2"' in capsys.readouterr().out
        api.close()

    with running_exchange(data) as running:  # a restart: the journal brings it back
        buy, sell = asyncio.run(
            fix_orders(
                running.fix_url,
                order("b2", "BUYER", "1", 10, "50.00"),
                order("s2", "SELLER", "2", 10, "52.00"),
            )
        )
        assert text(buy, 103) == "0" and "restricted to selling" in text(buy, 58)
        assert "suspended" in text(sell, 58) and "until 2026-11-30 16:00 UTC" in text(sell, 58)
        api = httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20)
        lifted = api.post(
            "/api/admin/accounts/BUYER/restrictions/R-1/lift", json={"reason": "reviewed"}
        )
        assert lifted.status_code == 200 and lifted.json()[0]["type"] == "restriction_lifted"
        twice = api.post(
            "/api/admin/accounts/BUYER/restrictions/R-1/lift", json={"reason": "reviewed"}
        )
        assert twice.json()["detail"]["reason"] == "not_restricted"
        (buy,) = asyncio.run(fix_orders(running.fix_url, order("b3", "BUYER", "1", 10, "50.00")))
        assert text(buy, 39) == "0"
        found = register(api, lambda rows: rows[-1]["status"] == "lifted", account="BUYER")
        assert (found[0]["lifted_by"], found[0]["lift_reason"]) == (SUPERVISOR[0], "reviewed")
        api.close()


def test_the_register_needs_a_supervisor(tmp_path):
    with running_exchange(tmp_path) as running:
        anonymous = httpx.get(f"{running.base_url}/api/admin/restrictions", timeout=10)
        assert anonymous.status_code == 401
        member = httpx.post(
            f"{running.base_url}/api/admin/accounts/BUYER/restrictions",
            json={"mode": "suspended", "reason": "x"},
            auth=TRADER,
            timeout=10,
        )
        assert member.status_code in (401, 403)

"""The compliance year over the supervisors' REST API of a running exchange: batches,
verification import, surrender and its reversal, a pledge, the year table, as an
operator uses them; refusals are 422 with the reason, and nothing changes."""

import json
import time

import httpx
import pytest

from gateway.cli.main import main
from tests.gateway.exchange_fixtures import SUPERVISOR, TRADER, running_exchange


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with (
        running_exchange(tmp_path_factory.mktemp("exchange")) as running,
        httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20) as client,
    ):
        yield client


def ok(response: httpx.Response):
    assert response.status_code in (200, 201), response.text
    return response.json()


def refused(response: httpx.Response, reason: str) -> str:
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["reason"] == reason
    return response.json()["detail"]["text"]


def wait_for_registry(api: httpx.Client, account: str, asset: str, state: str, amount: int):
    for _ in range(200):
        shown = api.get(f"/api/admin/accounts/{account}").json()
        found = sum(
            b["amount"]
            for b in shown.get("balances", [])
            if (b["asset"], b["state"]) == (asset, state)
        )
        if found == amount:
            return
        time.sleep(0.05)
    raise AssertionError(f"{account} {asset} {state} never reached {amount}: {shown}")


def test_a_compliance_year_over_rest(api: httpx.Client):
    accounts = (("CE-1", "compliance"), ("CE-2", "compliance"), ("SELLER", "compliance"))
    for account, kind in (*accounts, ("BANKACCT", "investor")):
        member = "M1" if account == "SELLER" else "M2"
        ok(
            api.post(
                "/api/admin/accounts", json={"account": account, "member": member, "kind": kind}
            )
        )
    for account, previous in (("CE-1", 100_000), ("CE-2", 40_000), ("SELLER", 10_000)):
        ok(
            api.post(
                "/api/admin/compliance/enrolments",
                json={
                    "account": account,
                    "year": 2025,
                    "previous_emissions": previous,
                    "baseline": previous,
                    "reference": f"en-{account}",
                },
            )
        )
    runs = ok(api.post("/api/admin/compliance/batch1", json={"year": 2025, "reference": "b1"}))
    assert [r["allocated"] for r in runs] == [70_000, 28_000, 7_000]
    refused(
        api.post("/api/admin/compliance/batch1", json={"year": 2025, "reference": "b1b"}),
        "batch1_done",
    )
    wait_for_registry(api, "CE-1", "TJEA25", "available", 70_000)

    bad = "account,year,verified_emissions\nCE-1,2025,90000\nCE-2,2025,-4\nSELLER,2025,9000\n"
    text = refused(
        api.post(
            "/api/admin/compliance/verifications/import",
            params={"reference": "imp"},
            content=bad,
            headers={"content-type": "text/csv"},
        ),
        "negative",
    )
    assert text.startswith("line 3:")
    table = ok(api.get("/api/admin/compliance/years/2025"))
    assert {e["status"] for e in table["entities"]} == {"awaiting_emissions"}
    ok(
        api.post(
            "/api/admin/compliance/verifications/import",
            params={"reference": "imp"},
            content=bad.replace("-4", "50000"),
            headers={"content-type": "text/csv"},
        )
    )
    ok(api.post("/api/admin/compliance/batch2", json={"year": 2025, "reference": "b2"}))
    # CE-1: the method gives 100,000, within 20 % of 90,000: batch 2 = +30,000
    wait_for_registry(api, "CE-1", "TJEA25", "available", 100_000)

    ok(
        api.post(
            "/api/admin/compliance/surrenders",
            json={
                "account": "CE-1",
                "year": 2025,
                "instrument": "TJEA25",
                "quantity": 90_000,
                "reference": "s1",
            },
        )
    )
    refused(
        api.post(
            "/api/admin/compliance/surrenders",
            json={
                "account": "CE-2",
                "year": 2025,
                "instrument": "CCER",
                "quantity": 5_001,
                "reference": "s2",
            },
        ),
        "offset_cap",
    )
    table = ok(api.get("/api/admin/compliance/years/2025", params={"status": "compliant"}))
    assert [e["account"] for e in table["entities"]] == ["CE-1"]
    assert "days_left" in table
    wait_for_registry(api, "CE-1", "TJEA25", "available", 10_000)
    ok(api.post("/api/admin/compliance/surrenders/s1/reversal", json={"reason": "wrong year"}))
    wait_for_registry(api, "CE-1", "TJEA25", "available", 100_000)

    ok(
        api.post(
            "/api/admin/pledges/pledgees",
            json={
                "pledgee": "BOC",
                "name": "Bank of China",
                "account": "BANKACCT",
                "reference": "pg",
            },
        )
    )
    ok(
        api.post(
            "/api/admin/pledges",
            json={
                "account": "CE-2",
                "pledgee": "BOC",
                "instrument": "TJEA25",
                "quantity": 10_000,
                "contract": "LOAN-1",
                "amount": 40_000_000,
                "maturity": "2030-06-30",
                "reference": "pl",
            },
        )
    )
    refused(api.post("/api/admin/pledges/pl/release", json={"pledgee": "ICBC"}), "not_pledgee")
    ok(api.post("/api/admin/pledges/pl/confirm", json={"pledgee": "BOC"}))
    wait_for_registry(api, "CE-2", "TJEA25", "pledged", 10_000)
    register = ok(api.get("/api/admin/pledges"))
    assert [p["state"] for p in register["pledges"]] == ["pledged"]
    page = ok(api.get("/api/admin/compliance/entities/CE-1"))
    assert [s["reversed_by"] for s in page["surrenders"]] == [SUPERVISOR[0]]
    assert {lot["source"] for lot in page["lots"]} == {"free_allocation"}


def test_an_entitys_own_member_surrenders_and_proposes_over_rest_and_the_cli(api, capsys):
    base = str(api.base_url)
    member = httpx.Client(base_url=base, auth=TRADER, timeout=20)
    surrender = {"account": "SELLER", "year": 2025, "instrument": "TJEA25", "quantity": 100}
    ok(member.post("/api/member/compliance/surrenders", json=surrender | {"reference": "ms1"}))
    mine_not = member.post(
        "/api/member/compliance/surrenders", json=surrender | {"account": "CE-1", "reference": "x"}
    )
    assert mine_not.status_code == 403
    # a member's login on a supervisor's endpoint gets what a wrong password gets (issue 13)
    assert (
        member.post(
            "/api/admin/compliance/batch2", json={"year": 2025, "reference": "z"}
        ).status_code
        == 401
    )
    assert (
        main(
            [
                "member",
                "--http-url",
                base,
                "--session",
                TRADER[0],
                "--password",
                TRADER[1],
                "surrender",
                "SELLER",
                "2025",
                "TJEA25",
                "50",
                "--reference",
                "ms2",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "member",
                "--http-url",
                base,
                "--session",
                TRADER[0],
                "--password",
                TRADER[1],
                "pledge",
                "SELLER",
                "TJEA25",
                "1000",
                "--pledgee",
                "BOC",
                "--contract",
                "L-9",
                "--amount",
                "100",
                "--maturity",
                "2031-01-01",
                "--reference",
                "mp1",
            ]
        )
        == 0
    )
    capsys.readouterr()
    admin = ["admin", "--url", base, "--user", SUPERVISOR[0], "--password", SUPERVISOR[1]]
    assert main([*admin, "compliance", "entity", "SELLER"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [s["quantity"] for s in shown["surrenders"]] == [100, 50]
    assert [p["state"] for p in shown["pledges"]] == ["proposed"]
    assert (
        member.post("/api/member/pledges/mp1/confirm").json()["detail"]["reason"] == "not_pledgee"
    )
    assert main([*admin, "pledge", "confirm", "mp1", "--pledgee", "BOC"]) == 0
    assert (
        main(
            [
                *admin,
                "compliance",
                "surrender",
                "SELLER",
                "2025",
                "TJEA26",
                "1",
                "--reference",
                "bad",
            ]
        )
        == 1
    )
    assert "unknown_instrument" in capsys.readouterr().err

    # a pledgee's own login confirms and releases: here member M1 registered as pledgee
    ok(
        api.post(
            "/api/admin/pledges/pledgees",
            json={
                "pledgee": "M1",
                "name": "M1 as lender",
                "account": "BANKACCT",
                "reference": "pg-m1",
            },
        )
    )
    ok(
        member.post(
            "/api/member/pledges",
            json={
                "account": "SELLER",
                "pledgee": "M1",
                "instrument": "TJEA25",
                "quantity": 500,
                "contract": "L-10",
                "amount": 100,
                "maturity": "2031-01-01",
                "reference": "mp2",
            },
        )
    )
    ok(member.post("/api/member/pledges/mp2/confirm"))
    assert (
        main(
            [
                "member",
                "--http-url",
                base,
                "--session",
                TRADER[0],
                "--password",
                TRADER[1],
                "pledge-release",
                "mp2",
            ]
        )
        == 0
    )
    states = {p["reference"]: p["state"] for p in ok(api.get("/api/admin/pledges"))["pledges"]}
    assert states["mp2"] == "released"

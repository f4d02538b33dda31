"""Public disclosure against a running exchange: the end of day publishes the due reports
(never a page load), JSON and CSV without a login, bad requests refused, a supervisor's
correction kept beside the superseded version, and an access test that walks every public
endpoint looking for what must not be public."""

import asyncio
import csv
import io
import re
import time

import httpx
import pytest
from fastapi.routing import APIRoute

from engine.orders import Side
from gateway.cli.main import main
from gateway.disclosure.report import ReportTable
from tests.gateway.exchange_fixtures import SUPERVISOR, limit_order, running_exchange

HOLDINGS = {"E1": 123_457, "E2": 98_765, "E3": 55_001, "E4": 44_003, "E5": 33_007, "I1": 654_321}
ORDER_IDS = ("secret-bid-1", "secret-ask-1")


def wait_for(read, predicate, what: str):
    for _ in range(300):
        found = read()
        if predicate(found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"{what} never happened: {found}")


def set_up_market(running) -> httpx.Client:
    api = httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20)
    for account, held in HOLDINGS.items():
        kind = "investor" if account.startswith("I") else "compliance"
        body = {"account": account, "member": "M1", "kind": kind}
        assert api.post("/api/admin/accounts", json=body).status_code == 201
        tonnes = {"account": account, "instrument": "TJEA25", "kind": "allocate",
                  "quantity": held, "reference": f"A-{account}"}  # fmt: skip
        assert api.post("/api/admin/holdings", json=tonnes).status_code == 201
    cash = {"account": "I1", "kind": "deposit", "amount": "100000", "reference": "D-I1"}
    assert api.post("/api/admin/cash", json=cash).status_code == 201
    running.submit(
        [
            limit_order("I1", ORDER_IDS[0], "TJEA25", Side.BUY, 4_900, 10),
            limit_order("E1", ORDER_IDS[1], "TJEA25", Side.SELL, 5_300, 10),
        ]
    )
    return api


def close_day(api: httpx.Client, day: str) -> None:
    closed = api.post("/api/admin/end-of-day", json={"trading_date": day})
    assert closed.status_code == 200, closed.text


def published(public: httpx.Client, report: str, period: str) -> dict:
    return wait_for(
        lambda: public.get(f"/api/public/reports/{report}/{period}"),
        lambda r: r.status_code == 200,
        f"{report} {period} published",
    ).json()


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    with running_exchange(tmp_path_factory.mktemp("disclosure")) as running:
        public = httpx.Client(base_url=running.base_url, timeout=20)  # no login
        api = set_up_market(running)
        # nothing is published before the close, however often the pages are read
        assert public.get("/api/public/reports/daily-bulletin/2026-11-24").status_code == 404
        assert public.get("/public/daily-bulletin").status_code == 200
        index = public.get("/api/public/reports").json()
        assert {entry["last_period"] for entry in index} == {None}
        close_day(api, "2026-11-24")  # a Tuesday: daily reports only
        close_day(api, "2026-11-27")  # a Friday: the weekly report too
        published(public, "large-holders", "2026-11-27")  # the last of the two days
        yield running, public, api
        api.close()
        public.close()


def test_the_close_publishes_the_due_reports(market) -> None:
    _, public, _ = market
    index = {entry["name"]: entry for entry in public.get("/api/public/reports").json()}
    assert index["daily-bulletin"]["last_period"] == "2026-11-27"
    assert index["weekly-holdings"]["last_period"] == "2026-11-27"
    history = public.get("/api/public/reports/weekly-holdings").json()
    assert [p["period"] for p in history] == ["2026-11-27"]  # not on Tuesday
    daily = public.get("/api/public/reports/daily-bulletin").json()
    assert [p["period"] for p in daily] == ["2026-11-27", "2026-11-24"]
    bulletin = published(public, "daily-bulletin", "2026-11-24")
    columns = bulletin["table"]["columns"]
    assert "block_volume_t" in columns and bulletin["published_by"] == "schedule"
    holdings = published(public, "weekly-holdings", "2026-11-27")["table"]
    rows = {(row[0], row[1]): row[2:] for row in holdings["rows"]}
    assert rows[("TJEA25", "covered_entities")][:2] == [5, sum(HOLDINGS.values()) - 654_321]
    assert rows[("TJEA25", "investors")][0] == "suppressed"
    large = published(public, "large-holders", "2026-11-27")["table"]["rows"]
    assert large == [["TJEA25", "I1", "M1", "investors", 500_000]]


def test_csv_for_a_period_and_for_a_range(market) -> None:
    _, public, _ = market
    one = public.get("/api/public/reports/daily-bulletin/2026-11-24", params={"format": "csv"})
    assert one.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(one.text)))
    assert table[0][:4] == ["period", "version", "published_utc", "instrument"]
    assert {row[3] for row in table[1:]} == {"TJEA24", "TJEA25", "TJCER", "CCER"}
    ranged = public.get(
        "/api/public/reports/daily-bulletin",
        params={"from": "2026-11-25", "to": "2026-11-30", "format": "csv"},
    )
    assert {row[0] for row in list(csv.reader(io.StringIO(ranged.text)))[1:]} == {"2026-11-27"}


@pytest.mark.parametrize(
    ("path", "params", "status", "reason"),
    [
        ("/api/public/reports/no-such-report", {}, 404, "unknown_report"),
        ("/api/public/reports/daily-bulletin/2026-11-25", {}, 404, "no_publication"),
        ("/api/public/reports/daily-bulletin/2026-13-45", {}, 422, "bad_date"),
        ("/api/public/reports/daily-bulletin/yesterday", {}, 422, "bad_date"),
        ("/api/public/reports/daily-bulletin", {"from": "2026-11"}, 422, "bad_date"),
        ("/api/public/reports/daily-bulletin", {"from": "2026-11-30", "to": "2026-11-01",
                                                "format": "csv"}, 422, "bad_range"),
        ("/api/public/reports/daily-bulletin/2026-11-24", {"version": 7}, 404, "no_publication"),
    ],
)  # fmt: skip
def test_bad_requests_are_refused_with_a_reason(market, path, params, status, reason) -> None:
    _, public, _ = market
    answer = public.get(path, params=params)
    assert answer.status_code == status, answer.text
    assert answer.json()["detail"]["reason"] == reason


def test_a_correction_keeps_the_superseded_version_visible(market) -> None:
    _, public, api = market
    path = "/api/admin/disclosure/large-holders/2026-11-24/republish"
    assert public.post(path, json={"reason": "x"}).status_code == 401  # not for the public
    refused = api.post(path, json={"reason": " "})
    assert refused.json()["detail"]["reason"] == "no_reason"
    missing = api.post(
        "/api/admin/disclosure/large-holders/2026-11-25/republish", json={"reason": "x"}
    )
    assert missing.json()["detail"]["reason"] == "no_publication"
    corrected = api.post(path, json={"reason": "member name corrected"})
    assert corrected.status_code == 201, corrected.text
    assert (corrected.json()["version"], corrected.json()["published_by"]) == (2, SUPERVISOR[0])
    shown = public.get("/api/public/reports/large-holders/2026-11-24").json()
    assert shown["version"] == 2
    assert [(v["version"], v["superseded_utc"] is None) for v in shown["versions"]] == [
        (2, True),
        (1, False),
    ]
    first = public.get("/api/public/reports/large-holders/2026-11-24", params={"version": 1})
    assert first.json()["superseded_ts"] > 0
    page = public.get("/public/large-holders/2026-11-24").text
    assert "superseded" in page and "member name corrected" in page


def test_nothing_is_served_before_its_publication_time(market) -> None:
    """A publication stamped later than now (a report prepared ahead) stays unknown."""
    running, public, _ = market
    later = running.exchange.clock.now() + 3_600 * 10**9
    table = ReportTable(["instrument"], [["TJEA25"]])
    desk = running.exchange.disclosure
    write = desk(
        lambda source: source.publications.publish("daily-bulletin", "2026-12-01", 1, later, table)
    )
    assert asyncio.run_coroutine_threadsafe(write, running.loop).result(10)
    assert public.get("/api/public/reports/daily-bulletin/2026-12-01").status_code == 404
    listed = public.get("/api/public/reports/daily-bulletin", params={"from": "2026-12-01"})
    assert listed.json() == []
    index = {e["name"]: e["last_period"] for e in public.get("/api/public/reports").json()}
    assert index["daily-bulletin"] == "2026-11-27"
    assert public.get("/public/daily-bulletin/2026-12-01").status_code == 404


def test_a_correction_from_the_command_line(market, capsys) -> None:
    running, public, _ = market
    common = ["admin", "--url", running.base_url, "--user", SUPERVISOR[0],
              "--password", SUPERVISOR[1]]  # fmt: skip
    republish = ["republish", "daily-bulletin", "2026-11-24", "--reason", "close corrected"]
    assert main([*common, *republish]) == 0
    assert '"version": 2' in capsys.readouterr().out
    blank = ["republish", "daily-bulletin", "2026-11-24", "--reason", " "]
    assert main([*common, *blank]) == 1
    assert "no_reason" in capsys.readouterr().err
    shown = public.get("/api/public/reports/daily-bulletin/2026-11-24").json()
    assert (shown["version"], shown["reason"]) == (2, "close corrected")


def _routes(routes) -> list[APIRoute]:
    """The API routes, those of included routers too (FastAPI keeps those apart)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += _routes(route.original_router.routes)
    return found


def public_paths(running) -> list[str]:
    """Every GET route that answers without a login, its parameters filled in."""
    values = {
        "name": ["daily-bulletin", "weekly-holdings", "large-holders"],
        "period": ["2026-11-24", "2026-11-27"],
        "instrument": ["TJEA25"],
        "symbol": ["TJEA25"],
        "path": [""],
    }
    paths = []
    for route in _routes(running.exchange.app.routes):
        if "GET" not in route.methods:
            continue
        if route.path in ("/metrics", "/health") or route.path.startswith("/dashboard"):
            continue  # operations, and the dashboard's own (login) page files
        names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
        expanded = [route.path]
        for name in names:
            expanded = [
                re.sub(r"{" + name + r"(?::\w+)?}", value, path)
                for path in expanded
                for value in values.get(name, ["TJEA25"])
            ]
        paths += expanded
    return paths


def test_no_public_endpoint_shows_exact_holdings_or_unpublished_orders(market) -> None:
    running, public, _ = market
    served = {}
    for path in public_paths(running):
        for params in ({}, {"format": "csv"}):
            answer = public.get(path, params=params)
            if answer.status_code == 200:
                served[(path, str(params))] = answer.text
    assert any("/api/public/reports" in path for path, _ in served), served.keys()
    assert any(path.startswith("/public") for path, _ in served)
    assert not any(path.startswith("/api/admin") for path, _ in served)
    for (path, params), body in served.items():
        for account, held in HOLDINGS.items():
            for figure in (str(held), f"{held:,}"):
                assert not re.search(rf"(?<![\d,]){figure}(?![\d,])", body), (path, params, account)
        for client_order_id in ORDER_IDS:
            assert client_order_id not in body, (path, params)
        if "large-holders" not in path:
            for account in HOLDINGS:
                assert not re.search(rf"\b{account}\b", body), (path, params, account)

"""What probing the REST API from outside found: every refusal reaches the caller as a 4xx
with its reason, quickly, and nothing the caller sends turns into a 5xx or a log of an
unhandled exception."""

import asyncio
import logging
import time

import httpx
import pytest
import websockets

from tests.gateway.exchange_fixtures import SUPERVISOR, TRADER, running_exchange


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with (
        running_exchange(tmp_path_factory.mktemp("exchange")) as running,
        httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20) as client,
    ):
        client.running = running
        yield client


@pytest.mark.parametrize(
    ("trading_date", "why"),
    [
        ("9999-99-99", "not a trading day"),
        ("2026-02-30", "not a trading day"),
        ("2026-11-28", "not a trading day"),  # a Saturday
    ],
)
def test_end_of_day_for_a_date_that_cannot_close_is_refused(api, trading_date, why):
    response = api.post("/api/admin/end-of-day", json={"trading_date": trading_date})
    assert response.status_code == 422
    assert response.json()["detail"]["reason"] == "not_a_trading_day"
    assert why in response.json()["detail"]["text"]


def test_unicode_digits_are_not_a_date(api):
    response = api.post("/api/admin/end-of-day", json={"trading_date": "٢٠٢٦-١١-٢٤"})
    assert response.status_code == 422


def test_end_of_day_twice_is_refused_at_once_with_its_reason(api):
    assert api.post("/api/admin/end-of-day", json={"trading_date": "2026-11-24"}).status_code == 200
    started = time.monotonic()
    again = api.post("/api/admin/end-of-day", json={"trading_date": "2026-11-24"})
    assert (again.status_code, again.json()["detail"]["reason"]) == (422, "day_already_closed")
    assert time.monotonic() - started < 5  # answered by the engine, not by the 10 s timeout


@pytest.mark.parametrize("amount", ["50.0000000000000000000000000001", "+5", "1e2", "٣"])
def test_a_cash_amount_is_never_rounded(api, amount):
    body = {"account": "NOBODY", "kind": "deposit", "amount": amount, "reference": "R-1"}
    response = api.post("/api/admin/cash", json=body)
    assert (response.status_code, response.json()["detail"]["reason"]) == (422, "bad_amount")


@pytest.mark.parametrize("name", ["offset", "since", "until"])
@pytest.mark.parametrize("value", ["99999999999999999999", "-1"])
def test_numeric_query_parameters_are_bounded(api, name, value):
    assert api.get("/api/alerts", params={name: value}).status_code == 422


def test_a_members_password_gets_the_answer_a_wrong_one_gets(api):
    with httpx.Client(base_url=api.base_url, timeout=20) as anonymous:
        right = anonymous.get("/api/alerts", auth=TRADER)
        wrong = anonymous.get("/api/alerts", auth=(TRADER[0], "not-the-password"))
    assert right.status_code == wrong.status_code == 401
    assert right.json() == wrong.json()


def test_a_market_data_client_that_closes_normally_is_no_error(api, caplog):
    url = api.running.base_url.replace("http", "ws") + "/ws/market"

    async def visit() -> None:
        for _ in range(3):
            async with websockets.connect(url) as connection:
                await asyncio.wait_for(connection.recv(), 10)  # the snapshot

    with caplog.at_level(logging.INFO):
        asyncio.run(visit())
        time.sleep(0.5)  # the server side finishes its close
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def test_no_pledge_route_takes_the_method_to_call_from_the_caller(api):
    """A route's bound action was once a default argument, which FastAPI published as a
    query parameter: `?action=<any Pledges method>` was called with the caller's values."""
    paths = api.get("/openapi.json").json()["paths"]
    pledge_routes = {p: ops for p, ops in paths.items() if "/pledges/{reference}/" in p}
    assert len(pledge_routes) == 6
    for operations in pledge_routes.values():
        for operation in operations.values():
            assert "action" not in {p["name"] for p in operation.get("parameters", [])}


@pytest.mark.parametrize("year", ["99999999999999999999", "0", "10000"])
def test_a_compliance_year_out_of_range_is_refused(api, year):
    assert api.get(f"/api/admin/compliance/years/{year}").status_code == 422

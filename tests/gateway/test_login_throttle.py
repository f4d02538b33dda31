"""Failed logins are limited per peer address, one allowance for FIX, REST and the
dashboard together; X-Forwarded-For changes the address only when a trusted proxy sends
it, so a client cannot buy a fresh allowance by changing a header."""

import asyncio

import httpx
from prometheus_client import REGISTRY
from websockets.asyncio.client import connect

from tests.gateway.exchange_fixtures import SUPERVISOR, TRADER, running_exchange
from tests.gateway.fix_harness import SimpleFixMember, text

WRONG = (SUPERVISOR[0], "not-the-password")


def _throttled() -> float:
    return REGISTRY.get_sample_value("tcx_gateway_throttled_logins_total") or 0.0


def test_rest_logins_past_the_limit_get_429_whatever_the_forwarded_header(tmp_path):
    with (
        running_exchange(tmp_path) as running,
        httpx.Client(base_url=running.base_url, timeout=20) as client,
    ):
        before = _throttled()
        for attempt in range(5):
            forwarded = {"X-Forwarded-For": f"203.0.113.{attempt}"}
            assert client.get("/api/alerts", auth=WRONG, headers=forwarded).status_code == 401
        refused = client.get(
            "/api/alerts", auth=SUPERVISOR, headers={"X-Forwarded-For": "198.51.100.9"}
        )
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert _throttled() == before + 1


def test_the_dashboard_login_form_is_throttled_with_a_retry_after(tmp_path):
    with (
        running_exchange(tmp_path) as running,
        httpx.Client(base_url=running.base_url, timeout=20) as client,
    ):
        for _ in range(5):
            assert client.post("/api/dashboard/session", auth=WRONG).status_code == 401
        refused = client.post("/api/dashboard/session", auth=SUPERVISOR)
        assert refused.status_code == 429
        assert "Retry-After" in refused.headers
        assert "WWW-Authenticate" not in refused.headers  # the form shows its own message


async def _fix_logon(url: str, password: str, forwarded: str) -> bool:
    """Whether a FIX logon with `password` is accepted."""
    async with connect(url, additional_headers={"X-Forwarded-For": forwarded}) as connection:
        member = SimpleFixMember(connection, comp_id=TRADER[0], gateway="TCX")
        await member.send("A", (98, "0"), (108, "30"), (553, TRADER[0]), (554, password))
        try:
            return text(await member.receive(), 35) == "A"
        except Exception:  # closed unheard
            return False


def test_fix_failures_and_rest_failures_share_one_allowance_per_address(tmp_path):
    with (
        running_exchange(tmp_path) as running,
        httpx.Client(base_url=running.base_url, timeout=20) as client,
    ):
        url = running.fix_url
        for attempt in range(3):
            assert not asyncio.run(_fix_logon(url, "wrong", f"203.0.113.{attempt}"))
        for _ in range(2):  # a member's right password is a failed REST login too
            assert client.get("/api/alerts", auth=TRADER).status_code == 401
        assert not asyncio.run(_fix_logon(url, TRADER[1], "198.51.100.9"))
        assert client.get("/api/alerts", auth=SUPERVISOR).status_code == 429


def test_a_trusted_proxy_names_the_client(tmp_path):
    with (
        running_exchange(tmp_path, trusted_proxies=["127.0.0.1"]) as running,
        httpx.Client(base_url=running.base_url, timeout=20) as client,
    ):
        for _ in range(5):
            behind = {"X-Forwarded-For": "203.0.113.1"}
            assert client.get("/api/alerts", auth=WRONG, headers=behind).status_code == 401
        other = {"X-Forwarded-For": "203.0.113.2"}
        assert client.get("/api/alerts", auth=SUPERVISOR, headers=other).status_code == 200
        blocked = {"X-Forwarded-For": "203.0.113.1"}
        assert client.get("/api/alerts", auth=SUPERVISOR, headers=blocked).status_code == 429

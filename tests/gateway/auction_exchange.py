"""A running exchange with an auction's cast: the authority's supervisor, the government
auction account, and two bidding members (a compliance entity's and an investor's)."""

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from gateway.members import hash_password
from tests.gateway.exchange_fixtures import RunningExchange, running_exchange

SUPERVISOR = ("AUTH-1", "authority-secret")
ENTITY = ("M1-OE", "entity-secret")  # member M1: compliance entity E1
INVESTOR = ("M2-OE", "investor-secret")  # member M2: investor I1
BEIJING = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 24)


def beijing(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), BEIJING)


def ns(hour: int, minute: int = 0) -> int:
    return int(beijing(hour, minute).timestamp()) * 1_000_000_000


def members_file(path: Path) -> Path:
    path.write_text(
        f"""
[members.EXCH]
role = "supervisor"
[members.M1]
accounts = ["E1"]
[members.M2]
accounts = ["I1"]
[sessions.{SUPERVISOR[0]}]
member = "EXCH"
type = "drop_copy"
password = "{hash_password(SUPERVISOR[1])}"
[sessions.{ENTITY[0]}]
member = "M1"
type = "order_entry"
password = "{hash_password(ENTITY[1])}"
[sessions.{INVESTOR[0]}]
member = "M2"
type = "order_entry"
password = "{hash_password(INVESTOR[1])}"
"""
    )
    return path


def create_request(**overrides: object) -> dict:
    return {
        "auction_id": "TJ-2026-1",
        "instrument": "TJEA25",
        "seller": "GOV",
        "volume": 50_000,
        "lot": 1_000,
        "floor_price": "48.00",
        "announce_at": beijing(10).isoformat(),
        "open_at": beijing(10).isoformat(),
        "close_at": beijing(10, 30).isoformat(),
        "results_at": beijing(10, 45).isoformat(),
        "entities": [{"account": "E1", "verified_emissions": 1_500_000, "shortfall": 30_000}],
        "investor_cap": 40_000,
        "group_cap_percent": 80,
        "comment": "paid allocation, first auction of 2026",
    } | overrides


def wait(predicate, what: str, tries: int = 400):
    for _ in range(tries):
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"never saw {what}")


@contextmanager
def auction_exchange(
    tmp_path: Path, fresh: bool = True
) -> Iterator[tuple[RunningExchange, httpx.Client]]:
    """The exchange with GOV holding 100,000 t, E1 and I1 funded with 5 million CNY (set
    up unless not `fresh`: a restart on the same data directory)."""
    with (
        running_exchange(tmp_path, members_file=members_file(tmp_path / "members.toml")) as run,
        httpx.Client(base_url=run.base_url, auth=SUPERVISOR, timeout=20) as admin,
    ):
        if not fresh:
            yield run, admin
            return
        for account, member, kind in (
            ("GOV", "EXCH", "investor"),
            ("E1", "M1", "compliance"),
            ("I1", "M2", "investor"),
        ):
            opened = admin.post(
                "/api/admin/accounts",
                json={"account": account, "member": member, "kind": kind}
                | ({"allocation": 10_000} if kind == "compliance" else {}),
            )
            assert opened.status_code == 201, opened.text
        for account in ("E1", "I1"):
            deposit = {"account": account, "kind": "deposit", "amount": "5000000.00",
                       "reference": f"dep-{account}"}  # fmt: skip
            assert admin.post("/api/admin/cash", json=deposit).status_code == 201
        allocation = {"account": "GOV", "instrument": "TJEA25", "kind": "allocate",
                      "quantity": 100_000, "reference": "gov-2026"}  # fmt: skip
        assert admin.post("/api/admin/holdings", json=allocation).status_code == 201
        yield run, admin

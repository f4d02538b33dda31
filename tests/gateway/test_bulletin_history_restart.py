"""The embedded exchange (`tcx up`) keeps the daily bulletins in its registry: after a
restart, which replays the journal through the market data again, /api/bulletins serves
the same history, one bulletin per instrument and day."""

import time
from pathlib import Path

import httpx

from engine.commands import EndOfDay
from engine.orders import Side
from tests.gateway.exchange_fixtures import FixedClock, running_exchange
from tests.gateway.test_exchange import opening_commands, order


def bulletins_when(base_url: str, predicate, query: str = "") -> list[dict]:
    for _ in range(400):
        found = httpx.get(f"{base_url}/api/bulletins{query}", timeout=10).json()
        if predicate(found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"/api/bulletins never matched: {found}")


def test_bulletins_outlive_a_restart_and_a_replay_adds_none(tmp_path: Path) -> None:
    with running_exchange(tmp_path) as running:
        instruments = sorted(running.exchange.reference.instruments)
        running.submit(
            [
                *opening_commands(),
                order("SELLER", "s1", Side.SELL, 5_000, 300),
                order("BUYER", "b1", Side.BUY, 5_000, 100),
                EndOfDay(FixedClock().now(), "2026-11-24"),
            ]
        )
        first = bulletins_when(running.base_url, lambda found: len(found) == len(instruments))
        last_event = running.exchange.surveillance.last_seq
    assert sorted(b["instrument"] for b in first) == instruments
    (tjea,) = [b for b in first if b["instrument"] == "TJEA25"]
    assert (tjea["close"], tjea["volume"], tjea["trading_date"]) == ("50.00", 100, "2026-11-24")

    with running_exchange(tmp_path) as restarted:
        assert restarted.exchange.market_data.store.history() != []  # from the registry
        for _ in range(400):  # until surveillance has replayed the journal's events
            if restarted.exchange.surveillance.last_seq >= last_event:
                break
            time.sleep(0.05)
        assert restarted.exchange.surveillance.last_seq >= last_event
        again = bulletins_when(restarted.base_url, lambda found: len(found) >= len(instruments))
        one_day = httpx.get(f"{restarted.base_url}/api/bulletins?trading_date=2026-11-24").json()
        refused = httpx.get(f"{restarted.base_url}/api/bulletins?trading_date=24.11.2026")
    assert again == first == one_day
    assert refused.status_code == 422

"""Surveillance rides out a registry outage: nothing is lost, nothing stored twice.

The outage is real: a PostgreSQL database of the test's own refuses new connections and
its open ones are terminated, then it is let back.
"""

import asyncio
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from engine.events import AccountOpened
from engine.memory_stream import MemoryStream
from engine.reference import load_reference_data
from engine.stream import EVENTS_TOPIC
from gateway.rest.app import create_app
from settlement.database import open_database
from surveillance.alert import Alert
from surveillance.alert_store import AlertFilter
from surveillance.alerts_api import alerts_router
from surveillance.market_data import MarketDataPublisher
from surveillance.market_data.stream_topic import TopicPublication, market_data_topic
from surveillance.registry_connection import RegistryUnavailable
from surveillance.store_thread import StoreThread
from surveillance.surveillance_service import SurveillanceService
from tests.surveillance.alert_builders import LI, OPEN, S, sighting
from tests.surveillance.test_alerts_api import Clock, as_, current_user

SPOOF = sighting("spoofing", accounts=("A1",), start_s=0, end_s=60)
LAYER = sighting("layering", accounts=("A2",), start_s=200, end_s=210)


class Registry:
    """A database of the test's own, which can be taken away and given back."""

    def __init__(self, server: str):
        self.name = f"tcx_outage_{uuid.uuid4().hex[:10]}"
        self.admin = psycopg.connect(server, autocommit=True)
        self.admin.execute(f'CREATE DATABASE "{self.name}"')
        self.url = server.rsplit("/", 1)[0] + "/" + self.name

    def go_away(self) -> None:
        self.admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
        self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (self.name,),
        )

    def come_back(self) -> None:
        self.admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')

    def drop(self) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.close()


@pytest.fixture
def registry(postgres_server: str) -> Iterator[Registry]:
    registry = Registry(postgres_server)
    yield registry
    registry.drop()


@pytest.fixture
def store(registry: Registry) -> Iterator[StoreThread]:
    store = StoreThread(lambda: open_database(registry.url))
    yield store
    store.close()


def _stored(store: StoreThread) -> list[str]:
    return sorted(s.alert.id for s in store.run(lambda a: a.search(AlertFilter()).alerts))


def test_store_calls_fail_during_the_outage_and_work_after_it(registry, store):
    heard: list[str] = []
    store.run(lambda alerts: alerts.subscribe(lambda stored, entry: heard.append(entry.action)))
    store.run(lambda alerts: alerts.record([SPOOF], OPEN + 100 * S))

    registry.go_away()
    for _ in range(2):  # the broken connection, then the refused reconnection
        with pytest.raises(RegistryUnavailable):
            store.run(lambda alerts: alerts.record([LAYER], OPEN + 300 * S))

    registry.come_back()
    store.run(lambda alerts: alerts.record([LAYER], OPEN + 300 * S))
    assert _stored(store) == sorted([SPOOF.id, LAYER.id])
    assert heard == ["raised", "raised"]  # subscribers outlive the connection


def test_the_alert_api_answers_503_during_the_outage_and_changes_nothing(registry, store):
    store.run(lambda alerts: alerts.record([SPOOF], OPEN + 100 * S))
    app = create_app([alerts_router(store, current_user, Clock())], lambda: {"ok": True})
    with TestClient(app) as client:
        registry.go_away()
        refused = client.post(
            f"/api/alerts/{SPOOF.id}/assign",
            json={"assignee": LI.name, "comment": "mine"},
            headers=as_(LI),
        )
        assert refused.status_code == 503
        assert "registry database is unavailable" in refused.json()["detail"]
        registry.come_back()
        kept = client.get(f"/api/alerts/{SPOOF.id}", headers=as_(LI)).json()["alert"]
    assert kept["status"] == "new"
    assert kept["assignee"] == ""


class RaisesOnEvents:
    """Detectors that raise a chosen alert on chosen events: the detectors are not what
    is tested here, storing what they raise is."""

    def __init__(self, alerts: dict[int, Alert]):
        self.alerts = alerts

    def on_event(self, event) -> list[Alert]:
        alert = self.alerts.get(event.seq)
        return [alert] if alert else []


async def until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout_s)


def test_the_service_waits_for_the_registry_and_stores_every_alert_once(registry, store):
    stream = MemoryStream()
    service = SurveillanceService(
        stream,
        RaisesOnEvents({1: SPOOF, 2: LAYER}),
        store,
        MarketDataPublisher(load_reference_data()),
        TopicPublication(stream, market_data_topic()),
        clock=lambda: OPEN + 500 * S,
        idle_wait=0.01,
    )
    events = [
        AccountOpened(seq, OPEN + seq, f"A{seq}", "M1", 1, "", 0, "admin") for seq in (1, 2, 3)
    ]

    async def outage_while_surveilling() -> tuple[bool, int]:
        registry.go_away()
        stop = asyncio.Event()
        running = asyncio.create_task(service.run(stop))
        await stream.publisher().publish(EVENTS_TOPIC, events)
        await until(lambda: service.stalled or running.done())
        stalled_at = service.last_seq
        registry.come_back()
        await until(lambda: service.last_seq == 3 or running.done())
        stop.set()
        await running
        return service.stalled, stalled_at

    stalled_after, stalled_at = asyncio.run(outage_while_surveilling())
    assert stalled_at == 0  # nothing surveilled past the alerts it could not store
    assert not stalled_after
    assert _stored(store) == sorted([SPOOF.id, LAYER.id])
    trail = store.run(lambda alerts: alerts.trail(SPOOF.id))
    assert [entry.action for entry in trail] == ["raised"]  # stored once

"""The registry database drops settlement's connection: settlement says so, reconnects,
and books what came meanwhile, each event once."""

import asyncio
import logging

import psycopg
import pytest
from settlement_builders import EventLog

from engine.memory_stream import MemoryStream
from engine.reference import ReferenceData
from engine.stream import EVENTS_TOPIC
from settlement.ledger import Ledger
from settlement.settlement_service import SettlementService

BOUND = 300  # rounds of 50 ms: a hang fails the test instead of the run


def drop_other_connections(url: str) -> int:
    """What a database restart does to the clients: every other session is ended."""
    with psycopg.connect(url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


def test_settlement_reconnects_to_the_registry_and_books_each_event_once(
    postgres_server: str, reference: ReferenceData, caplog: pytest.LogCaptureFixture
) -> None:
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    log = EventLog()
    before = [log.open("A1"), log.cash("A1", 1_000_00)]
    after = [log.cash("A1", 5_00), log.cash("A1", 7_00)]
    stream = MemoryStream()
    service = SettlementService(lambda: Ledger.open(postgres_server, reference), stream)

    async def until(condition) -> None:
        for _ in range(BOUND):
            if condition():
                return
            await asyncio.sleep(0.05)

    async def scenario() -> int:
        publisher = stream.publisher()
        stop = asyncio.Event()
        running = asyncio.create_task(service.run(stop))
        await publisher.publish(EVENTS_TOPIC, before)
        await until(lambda: service.last_seq == 2)
        dropped = drop_other_connections(postgres_server)
        await publisher.publish(EVENTS_TOPIC, after)
        await until(lambda: service.last_seq == 4)
        stop.set()
        await asyncio.wait_for(running, BOUND * 0.05)
        return dropped

    with caplog.at_level(logging.ERROR, logger="tcx.settlement"):
        assert asyncio.run(scenario()) >= 1
    assert any("registry database unreachable" in r.getMessage() for r in caplog.records)
    ledger = Ledger.open(postgres_server, reference)
    try:
        assert ledger.last_seq() == 4
        assert ledger.balance("A1", "CNY", "cash") == 1_000_00 + 5_00 + 7_00
    finally:
        ledger.close()

"""The REST API's registry reads survive the database going away and coming back."""

import asyncio

import psycopg
import pytest

from engine.reference import load_reference_data
from gateway.rest.registry_reader import RegistryReader


def test_reads_reconnect_after_the_database_drops_the_connection(postgres_server):
    reader = RegistryReader(postgres_server, load_reference_data())

    async def read_twice_around_an_outage() -> tuple[int, int]:
        before = await reader(lambda ledger: ledger.last_seq())
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        with pytest.raises(psycopg.OperationalError):
            await reader(lambda ledger: ledger.last_seq())
        return before, await reader(lambda ledger: ledger.last_seq())

    try:
        before, after = asyncio.run(read_twice_around_an_outage())
        assert after == before
    finally:
        reader.close()

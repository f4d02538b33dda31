"""Fixtures: reference data, and a registry database on SQLite and on a real PostgreSQL.

The PostgreSQL side creates its own database on 127.0.0.1:5432 (user postgres) and drops
it afterwards. Where no server is reachable the tests skip loudly, unless the environment
variable CI is set: there a missing PostgreSQL is a failure, not a skip.
"""

import os
import uuid
import warnings
from collections.abc import Iterator

import psycopg
import pytest

from engine.reference import ReferenceData, load_reference_data
from settlement.ledger import Ledger

POSTGRES_SERVER = os.environ.get(
    "TCX_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return load_reference_data()


def _postgres_unavailable(reason: str) -> None:
    message = f"PostgreSQL not reachable at {POSTGRES_SERVER}: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set, so this is a failure)")
    warnings.warn(message + "; PostgreSQL ledger tests SKIPPED", stacklevel=2)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A fresh database on the local server; yields its URL and drops it at the end."""
    name = f"tcx_settlement_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_SERVER, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        _postgres_unavailable(str(exc).strip())
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _reset_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty registry database URL, once per backend."""
    if request.param == "sqlite":
        return str(tmp_path / "registry.db")
    url = request.getfixturevalue("postgres_server")
    _reset_postgres(url)
    return url


@pytest.fixture
def ledger(database_url: str, reference: ReferenceData) -> Iterator[Ledger]:
    opened = Ledger.open(database_url, reference)
    yield opened
    opened.close()

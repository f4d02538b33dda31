"""Real registry databases for tests: an SQLite file, and a fresh PostgreSQL database.

The PostgreSQL database is created on 127.0.0.1:5432 (user postgres, or $TCX_TEST_POSTGRES)
once per test session and dropped at its end; each test starts from an empty schema. Where
no server is reachable the PostgreSQL tests skip loudly, unless the environment variable
CI is set: there a missing PostgreSQL is a failure, not a skip.

tests/conftest.py makes them available to every test.
"""

import os
import warnings
from collections.abc import Iterator

import psycopg
import pytest

from bench.distributed import POSTGRES_SERVER as LOCAL_SERVER
from bench.distributed import FreshDatabase
from settlement.database import Database, open_database

POSTGRES_SERVER = os.environ.get("TCX_TEST_POSTGRES", LOCAL_SERVER)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a database of our own on the local server."""
    database = FreshDatabase(POSTGRES_SERVER, "tcx_test")
    try:
        database.create()
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL not reachable at {POSTGRES_SERVER}: {str(exc).strip()}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so this is a failure)")
        warnings.warn(message + "; PostgreSQL tests SKIPPED", stacklevel=2)
        pytest.skip(message)
    try:
        yield database.url
    finally:
        database.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The URL of an empty database, once per backend."""
    if request.param == "sqlite":
        return str(tmp_path / "registry.db")
    return request.getfixturevalue("empty_postgres")


@pytest.fixture
def empty_postgres(postgres_server: str) -> str:
    """The test database, emptied: whatever earlier tests left is gone."""
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    return postgres_server


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A registry database, opened and migrated, once per backend."""
    opened = open_database(database_url)
    yield opened
    opened.close()

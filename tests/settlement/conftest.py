"""Fixtures: reference data, and a ledger on each registry database (SQLite and a real
PostgreSQL: `database_url` comes from tests/databases.py)."""

from collections.abc import Iterator

import pytest

from engine.reference import ReferenceData, load_reference_data
from settlement.ledger import Ledger


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return load_reference_data()


@pytest.fixture
def ledger(database_url: str, reference: ReferenceData) -> Iterator[Ledger]:
    opened = Ledger.open(database_url, reference)
    yield opened
    opened.close()

"""A registry connection that survives the database going away and coming back.

Surveillance must not stop when the registry restarts or drops its connection: the alerts
it has not stored yet would wait, not vanish (its consumer commits only after storing),
and the supervisors' pages would answer 503 until the database is back. A broken
connection is closed and the next call opens a new one; the call that met the break
raises `RegistryUnavailable`, which callers retry or turn into a 503.
"""

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import psycopg

from surveillance.migrations import Database

# What a lost, restarting or locked database raises; SQL mistakes raise other errors.
_CONNECTION_ERRORS = (sqlite3.OperationalError, psycopg.OperationalError, psycopg.InterfaceError)


class RegistryUnavailable(Exception):
    """The registry database could not be reached; nothing was written. Retry later."""


class RegistryConnection:
    """A `Database` that opens a new connection after the old one broke."""

    def __init__(self, connect: Callable[[], Database]):
        self._connect = connect
        self._database = connect()
        self._broken = False
        self.dialect = self._database.dialect

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._guard(), self._open().transaction():
            yield

    def execute(self, sql: str, params: Sequence = ()) -> None:
        with self._guard():
            self._open().execute(sql, params)

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        with self._guard():
            return self._open().query(sql, params)

    def close(self) -> None:
        with contextlib.suppress(*_CONNECTION_ERRORS):
            self._database.close()

    def _open(self) -> Database:
        """The connection, a new one if the last call found it broken. Replaced only
        here, between calls, so a transaction that met the break unwinds on its own."""
        if self._broken:
            self.close()
            self._database = self._connect()
            self._broken = False
        return self._database

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except _CONNECTION_ERRORS as exc:
            self._broken = True
            raise RegistryUnavailable(str(exc).strip() or type(exc).__name__) from exc

"""Reads of the registry ledger for the REST API, on a connection and thread of their own.

SQLite wants a connection used by the thread that opened it, and a slow query must not
stall the event loop; one worker thread with its own connection gives both. With SQLite's
WAL, and with PostgreSQL, reads here never block settlement's writes.
"""

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import psycopg

from engine.reference import ReferenceData
from settlement.ledger import Ledger

T = TypeVar("T")


class RegistryReader:
    def __init__(self, url: str, reference: ReferenceData):
        self._url = url
        self._reference = reference
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="registry-read")
        self._ledger: Ledger | None = None

    def _run(self, read: Callable[[Ledger], T]) -> T:
        if self._ledger is None:
            self._ledger = Ledger.open(self._url, self._reference)
        try:
            return read(self._ledger)
        except (sqlite3.OperationalError, psycopg.OperationalError):
            # the database went away: the next read opens a new connection
            with contextlib.suppress(Exception):
                self._ledger.close()
            self._ledger = None
            raise

    async def __call__(self, read: Callable[[Ledger], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._run, read)

    def close(self) -> None:
        def close_ledger() -> None:
            if self._ledger is not None:
                self._ledger.close()

        self._thread.submit(close_ledger).result()
        self._thread.shutdown()

"""The alert store on a thread of its own, for the event loop's callers (REST, dashboard).

SQLite wants a connection used only by the thread that opened it, and a transaction must
not stall the event loop; one worker thread that opens the database, holds the store and
runs every call gives both (gateway/rest/registry_reader.py does the same for the ledger).
The store's subscribers are called on that thread: an asyncio consumer hands over with
`loop.call_soon_threadsafe`. The connection is a `RegistryConnection`: when the database
goes away a call raises `RegistryUnavailable` and a later one connects again.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from surveillance.alert_store import AlertStore
from surveillance.migrations import Database
from surveillance.parameters import Parameters
from surveillance.registry_connection import RegistryConnection

T = TypeVar("T")


class StoreThread:
    def __init__(self, connect: Callable[[], Database], defaults: Parameters | None = None):
        """`connect` opens the store's own connection (on the worker thread)."""
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-store")
        self._database, self._store = self._thread.submit(_open, connect, defaults).result()

    async def __call__(self, call: Callable[[AlertStore], T]) -> T:
        """Runs `call(store)` on the store's thread without blocking the loop."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, call, self._store)

    def run(self, call: Callable[[AlertStore], T]) -> T:
        """Runs `call(store)` on the store's thread and waits: for callers off the loop
        (the surveillance consumer recording alerts)."""
        return self._thread.submit(call, self._store).result()

    def close(self) -> None:
        self._thread.submit(self._database.close).result()
        self._thread.shutdown()


def _open(
    connect: Callable[[], Database], defaults: Parameters | None
) -> tuple[Database, AlertStore]:
    database = RegistryConnection(connect)
    return database, AlertStore(database, defaults)

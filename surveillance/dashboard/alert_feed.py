"""Alert changes pushed to every open dashboard, so the queue updates without a reload.

The alert store calls its subscribers on its own thread after each commit; the feed
hands each change over to the event loop and puts it on every listener's queue. A
listener that falls `QUEUE_LIMIT` changes behind is told to reload (`None`) instead of
holding memory: its page fetches the queue again.
"""

import asyncio
from collections.abc import Callable

from surveillance.alert_store import AlertStore, AuditEntry, StoredAlert

QUEUE_LIMIT = 1_000
Change = tuple[StoredAlert, AuditEntry]


class AlertFeed:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[Change | None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self, store: AlertStore, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        """Subscribes to the store (call on its thread); returns the unsubscribe call."""
        self._loop = loop
        return store.subscribe(self._on_change)

    def _on_change(self, stored: StoredAlert, entry: AuditEntry) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._publish, (stored, entry))

    def _publish(self, change: Change) -> None:
        for queue in self._queues:
            if queue.qsize() < QUEUE_LIMIT:
                queue.put_nowait(change)
            elif queue.qsize() == QUEUE_LIMIT:
                queue.put_nowait(None)

    def listen(self) -> asyncio.Queue[Change | None]:
        queue: asyncio.Queue[Change | None] = asyncio.Queue()
        self._queues.add(queue)
        return queue

    def leave(self, queue: asyncio.Queue[Change | None]) -> None:
        self._queues.discard(queue)

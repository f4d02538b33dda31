"""The order events the dashboard shows, kept off the Python heap.

An alert or account page asks about any moment of the day, so every order event of the
days kept is needed, which at a busy exchange is millions a day: as Python objects, about
300 bytes each. They go to SQLite's private temporary database (msgpack, one row each,
indexed by day, instrument and time, and by account): its pages live in a bounded cache and
spill to a temporary file, so memory stays flat however long the day. Nothing here needs
to survive the process: the dashboard rebuilds from the day's stream on start.
"""

import sqlite3
from collections.abc import Iterator

import msgspec

from engine.events import OrderAccepted, OrderAmended, OrderCancelled, Trade

OrderEvent = OrderAccepted | OrderAmended | OrderCancelled | Trade

_SCHEMA = """
CREATE TABLE event (
    seq INTEGER PRIMARY KEY, date TEXT, instrument TEXT, ts INTEGER,
    account TEXT, counterparty TEXT, trade INTEGER, payload BLOB
);
CREATE INDEX event_moment ON event (date, instrument, ts);
CREATE INDEX event_account ON event (account, trade, ts);
CREATE INDEX event_counterparty ON event (counterparty, ts) WHERE counterparty IS NOT NULL;
"""
COMMIT_EVERY = 4096  # events per transaction

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(OrderEvent).decode


class DayEvents:
    """Order events by trading date; reads see writes not yet committed (one connection)."""

    def __init__(self) -> None:
        # "": a private temporary database, gone on close. Built in one thread and used in
        # the event loop's, which may be another; only ever one at a time.
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._uncommitted = 0

    def add(self, date: str, event: OrderEvent) -> None:
        trade = type(event) is Trade
        if trade:
            account, counterparty = event.buy_account, event.sell_account
            if counterparty == account:
                counterparty = None
        else:
            account, counterparty = event.account, None
        self._db.execute(
            "INSERT OR IGNORE INTO event VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.seq,
                date,
                event.instrument,
                event.ts,
                account,
                counterparty,
                trade,
                _encode(event),
            ),
        )
        self._uncommitted += 1
        if self._uncommitted >= COMMIT_EVERY:
            self._db.commit()
            self._uncommitted = 0

    def dates(self) -> list[str]:
        return [date for (date,) in self._db.execute("SELECT DISTINCT date FROM event ORDER BY 1")]

    def drop_date(self, date: str) -> None:
        self._db.execute("DELETE FROM event WHERE date = ?", (date,))
        self._db.commit()
        self._uncommitted = 0

    def count(self, date: str, instrument: str) -> int:
        return self._db.execute(
            "SELECT count(*) FROM event WHERE date = ? AND instrument = ?", (date, instrument)
        ).fetchone()[0]

    def between(self, date: str, instrument: str, start: int, end: int) -> Iterator[OrderEvent]:
        """The instrument's events of the day with start <= ts <= end, in seq order."""
        rows = self._db.execute(
            "SELECT payload FROM event WHERE date = ? AND instrument = ? AND ts BETWEEN ? AND ?"
            " ORDER BY seq",
            (date, instrument, start, end),
        )
        return (_decode(payload) for (payload,) in rows)

    def latest_of_account(
        self, account: str, limit: int
    ) -> tuple[list[OrderEvent], list[OrderEvent]]:
        """The account's latest `limit` order events and latest `limit` trades (either
        side), each oldest first: a busy account's day is read no further back."""
        orders = self._db.execute(
            "SELECT payload FROM event WHERE account = ? AND trade = 0"
            " ORDER BY ts DESC, seq DESC LIMIT ?",
            (account, limit),
        ).fetchall()
        trades = self._db.execute(
            "SELECT payload FROM event WHERE trade = 1 AND (account = ? OR counterparty = ?)"
            " ORDER BY ts DESC, seq DESC LIMIT ?",
            (account, account, limit),
        ).fetchall()
        return (
            [_decode(payload) for (payload,) in reversed(orders)],
            [_decode(payload) for (payload,) in reversed(trades)],
        )

"""What a member client remembers between runs, in one small SQLite file.

Its FIX sequence numbers, per exchange, session and trading day: a client started again
the same day continues the session where it stopped, so the exchange keeps the reports it
sent meanwhile and the client recovers them with a ResendRequest. Numbers only ever rise
within a day (two clients of one session may race to write them; the higher wins, and a
number too high is harmless: the exchange asks for the gap and is answered with a gap fill).

And the identity of each order it has seen (placed, or reported to the session): FIX's
cancel, replace and status requests must repeat the order's Account, Symbol and Side, and
a person wants to cancel by ClOrdID alone.
"""

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from engine.orders import Side

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sequence (
    url TEXT NOT NULL, session TEXT NOT NULL, target TEXT NOT NULL, day TEXT NOT NULL,
    next_sender INTEGER NOT NULL, next_target INTEGER NOT NULL,
    PRIMARY KEY (url, session, target, day)
);
CREATE TABLE IF NOT EXISTS orders (
    url TEXT NOT NULL, session TEXT NOT NULL, day TEXT NOT NULL, client_order_id TEXT NOT NULL,
    account TEXT NOT NULL, symbol TEXT NOT NULL, side INTEGER NOT NULL,
    PRIMARY KEY (url, session, day, client_order_id)
);
"""


@dataclass(frozen=True, slots=True)
class SessionDay:
    url: str  # the exchange's FIX endpoint
    session: str  # our SenderCompID
    target: str  # the exchange's CompID
    day: str  # the trading day, ISO date


@dataclass(frozen=True, slots=True)
class OrderIdentity:
    """What a cancel, replace or status request must repeat of the order."""

    account: str
    symbol: str
    side: Side


class ClientStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def next_numbers(self, key: SessionDay) -> tuple[int, int]:
        """(next MsgSeqNum we send, next MsgSeqNum we expect); (1, 1) for a new day."""
        row = self._db.execute(
            "SELECT next_sender, next_target FROM sequence"
            " WHERE url=? AND session=? AND target=? AND day=?",
            (key.url, key.session, key.target, key.day),
        ).fetchone()
        return (row[0], row[1]) if row else (1, 1)

    def raise_numbers(self, key: SessionDay, next_sender: int, next_target: int) -> None:
        """Store the numbers, never lowering one already stored."""
        self._db.execute(
            "INSERT INTO sequence VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (url, session, target, day) DO UPDATE SET"
            " next_sender=max(next_sender, excluded.next_sender),"
            " next_target=max(next_target, excluded.next_target)",
            (key.url, key.session, key.target, key.day, next_sender, next_target),
        )

    def reset(self, key: SessionDay) -> None:
        """Both numbers back to 1: the session starts over (ResetSeqNumFlag)."""
        self._db.execute(
            "DELETE FROM sequence WHERE url=? AND session=? AND target=? AND day=?",
            (key.url, key.session, key.target, key.day),
        )

    def remember_order(self, key: SessionDay, client_order_id: str, order: OrderIdentity) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                key.url,
                key.session,
                key.day,
                client_order_id,
                order.account,
                order.symbol,
                int(order.side),
            ),
        )

    def order(self, key: SessionDay, client_order_id: str) -> OrderIdentity | None:
        row = self._db.execute(
            "SELECT account, symbol, side FROM orders"
            " WHERE url=? AND session=? AND day=? AND client_order_id=?",
            (key.url, key.session, key.day, client_order_id),
        ).fetchone()
        return OrderIdentity(row[0], row[1], Side(row[2])) if row else None

"""Each FIX session's sequence numbers and sent application messages, kept on disk.

Keyed by (our CompID, the member's CompID, trading day): a member who reconnects, or finds
the gateway restarted, within the trading day continues the same sequence and can recover
any execution report it missed with a ResendRequest. A new trading day starts at 1. Admin
messages are not kept, because a resend replaces them with a gap fill anyway.

SQLite in WAL mode: every change is committed before the frame leaves, so a crash of the
gateway loses nothing a member has seen.
"""

import sqlite3
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sequence (
    sender TEXT NOT NULL, target TEXT NOT NULL, day TEXT NOT NULL,
    next_sender INTEGER NOT NULL, next_target INTEGER NOT NULL,
    PRIMARY KEY (sender, target, day)
);
CREATE TABLE IF NOT EXISTS sent (
    sender TEXT NOT NULL, target TEXT NOT NULL, day TEXT NOT NULL,
    seq INTEGER NOT NULL, frame BLOB NOT NULL,
    PRIMARY KEY (sender, target, day, seq)
);
"""


@dataclass(frozen=True, slots=True)
class SessionKey:
    sender: str  # our CompID, SenderCompID(49) of what we send
    target: str  # the member's CompID
    day: str  # the trading day, ISO date


class SessionStore:
    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(directory / "fix-sessions.sqlite3", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def next_numbers(self, key: SessionKey) -> tuple[int, int]:
        """(next MsgSeqNum we send, next MsgSeqNum we expect); (1, 1) for a new session."""
        row = self._db.execute(
            "SELECT next_sender, next_target FROM sequence WHERE sender=? AND target=? AND day=?",
            (key.sender, key.target, key.day),
        ).fetchone()
        return (row[0], row[1]) if row else (1, 1)

    def record_sent(self, key: SessionKey, seq: int, frame: bytes | None) -> None:
        """Advance past `seq`; keep `frame` (an application message) for resending."""
        with self._db:
            self._db.execute("BEGIN")
            self._upsert(key, "next_sender", seq + 1)
            if frame is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO sent VALUES (?, ?, ?, ?, ?)",
                    (key.sender, key.target, key.day, seq, frame),
                )

    def set_next_target(self, key: SessionKey, seq: int) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._upsert(key, "next_target", seq)

    def sent(self, key: SessionKey, begin: int, end: int) -> dict[int, bytes]:
        """The kept frames with begin <= seq <= end."""
        rows = self._db.execute(
            "SELECT seq, frame FROM sent WHERE sender=? AND target=? AND day=?"
            " AND seq BETWEEN ? AND ? ORDER BY seq",
            (key.sender, key.target, key.day, begin, end),
        )
        return {seq: bytes(frame) for seq, frame in rows}

    def reset(self, key: SessionKey) -> None:
        """Both sequences back to 1 and the kept messages dropped (ResetSeqNumFlag)."""
        with self._db:
            self._db.execute("BEGIN")
            where = (key.sender, key.target, key.day)
            self._db.execute("DELETE FROM sent WHERE sender=? AND target=? AND day=?", where)
            self._db.execute("DELETE FROM sequence WHERE sender=? AND target=? AND day=?", where)

    def _upsert(self, key: SessionKey, column: str, value: int) -> None:
        numbers = {"next_sender": 1, "next_target": 1, column: value}
        self._db.execute(
            "INSERT INTO sequence VALUES (?, ?, ?, ?, ?) ON CONFLICT (sender, target, day)"
            f" DO UPDATE SET {column}=excluded.{column}",
            (key.sender, key.target, key.day, numbers["next_sender"], numbers["next_target"]),
        )

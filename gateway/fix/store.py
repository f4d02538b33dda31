"""Each FIX session's sequence numbers and sent application messages, kept on disk.

Keyed by (our CompID, the member's CompID, trading day): a member who reconnects, or finds
the gateway restarted, within the trading day continues the same sequence and can recover
any execution report it missed with a ResendRequest. A new trading day starts at 1. Admin
messages are not kept, because a resend replaces them with a gap fill anyway.

SQLite in WAL mode. Changes wait in memory until `commit`, which writes them in one
transaction: the acceptor commits once per turn of the event loop, before it lets that
turn's frames leave (gateway/fix/acceptor.py), so a crash of the gateway still loses
nothing a member has seen, at one transaction per batch instead of one per message.
SQLite's own checkpoints (copying the WAL back into the database, with an fsync) would run
inside a commit, on the event loop; inside a loop they run on a worker thread instead,
every `CHECKPOINT_EVERY` commits.
"""

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

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
CHECKPOINT_EVERY = 200  # commits: a few pages each, near SQLite's 1,000-page default


class SessionKey(NamedTuple):
    """A tuple, so hashing it (several times per message sent) costs no Python call."""

    sender: str  # our CompID, SenderCompID(49) of what we send
    target: str  # the member's CompID
    day: str  # the trading day, ISO date


class SessionStore:
    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self._path = directory / "fix-sessions.sqlite3"
        self._db = sqlite3.connect(self._path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA wal_autocheckpoint=0")  # see _after_commit
        self._db.executescript(_SCHEMA)
        self._commits = 0  # since the last checkpoint
        self._checkpointing = False
        self._numbers: dict[SessionKey, list[int]] = {}  # [next sender, next target]
        self._changed: set[SessionKey] = set()
        self._unsaved_frames: list[tuple[str, str, str, int, bytes]] = []

    def close(self) -> None:
        self.commit()
        self._db.close()

    def next_numbers(self, key: SessionKey) -> tuple[int, int]:
        """(next MsgSeqNum we send, next MsgSeqNum we expect); (1, 1) for a new session."""
        numbers = self._entry(key)
        return numbers[0], numbers[1]

    def record_sent(self, key: SessionKey, seq: int, frame: bytes | None) -> None:
        """Advance past `seq`; keep `frame` (an application message) for resending."""
        self._entry(key)[0] = seq + 1
        self._changed.add(key)
        if frame is not None:
            self._unsaved_frames.append((key.sender, key.target, key.day, seq, frame))

    def set_next_target(self, key: SessionKey, seq: int) -> None:
        self._entry(key)[1] = seq
        self._changed.add(key)

    def commit(self) -> None:
        """Writes every change since the last commit, in one transaction."""
        if not self._changed:
            return
        numbers = [(k.sender, k.target, k.day, *self._numbers[k]) for k in self._changed]
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO sequence VALUES (?, ?, ?, ?, ?) ON CONFLICT (sender, target, day)"
                " DO UPDATE SET next_sender=excluded.next_sender,"
                " next_target=excluded.next_target",
                numbers,
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO sent VALUES (?, ?, ?, ?, ?)", self._unsaved_frames
            )
        self._changed.clear()
        self._unsaved_frames.clear()
        self._after_commit()

    def _after_commit(self) -> None:
        """Every CHECKPOINT_EVERY commits, a passive checkpoint (it never blocks a commit):
        on a worker thread inside an event loop, at once outside one."""
        self._commits += 1
        if self._commits < CHECKPOINT_EVERY or self._checkpointing:
            return
        self._commits = 0
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            return
        self._checkpointing = True
        done = loop.run_in_executor(None, self._checkpoint)
        done.add_done_callback(self._checkpointed)

    def _checkpoint(self) -> None:
        """On the worker thread, with a connection of its own for as long as it takes."""
        checkpointer = sqlite3.connect(self._path)
        try:
            checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            checkpointer.close()

    def _checkpointed(self, done: asyncio.Future) -> None:
        self._checkpointing = False
        if not done.cancelled() and done.exception() is not None:
            log.warning("FIX session store checkpoint failed: %r", done.exception())

    def sent(self, key: SessionKey, begin: int, end: int) -> dict[int, bytes]:
        """The kept frames with begin <= seq <= end."""
        self.commit()
        rows = self._db.execute(
            "SELECT seq, frame FROM sent WHERE sender=? AND target=? AND day=?"
            " AND seq BETWEEN ? AND ? ORDER BY seq",
            (key.sender, key.target, key.day, begin, end),
        )
        return {seq: bytes(frame) for seq, frame in rows}

    def reset(self, key: SessionKey) -> None:
        """Both sequences back to 1 and the kept messages dropped (ResetSeqNumFlag)."""
        self.commit()
        with self._db:
            self._db.execute("BEGIN")
            where = (key.sender, key.target, key.day)
            self._db.execute("DELETE FROM sent WHERE sender=? AND target=? AND day=?", where)
            self._db.execute("DELETE FROM sequence WHERE sender=? AND target=? AND day=?", where)
        self._numbers[key] = [1, 1]

    def _entry(self, key: SessionKey) -> list[int]:
        numbers = self._numbers.get(key)
        if numbers is None:
            row = self._db.execute(
                "SELECT next_sender, next_target FROM sequence"
                " WHERE sender=? AND target=? AND day=?",
                (key.sender, key.target, key.day),
            ).fetchone()
            numbers = self._numbers[key] = [row[0], row[1]] if row else [1, 1]
        return numbers

"""The session store: sequence numbers and kept messages per (CompIDs, trading day)."""

import asyncio
import threading
from pathlib import Path

from gateway.fix.store import CHECKPOINT_EVERY, SessionKey, SessionStore

TODAY = SessionKey("ISLD", "TW44", "2026-09-21")
TOMORROW = SessionKey("ISLD", "TW44", "2026-09-22")
ANOTHER_MEMBER = SessionKey("ISLD", "OTHER", "2026-09-21")


def test_new_session_starts_at_one(tmp_path: Path) -> None:
    assert SessionStore(tmp_path).next_numbers(TODAY) == (1, 1)


def test_numbers_and_kept_frames_survive_reopening(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.record_sent(TODAY, 1, None)
    store.record_sent(TODAY, 2, b"8=FIX.4.4\x01...exec report")
    store.set_next_target(TODAY, 7)
    store.close()
    reopened = SessionStore(tmp_path)
    assert reopened.next_numbers(TODAY) == (3, 7)
    assert reopened.sent(TODAY, 1, 10) == {2: b"8=FIX.4.4\x01...exec report"}
    assert reopened.sent(TODAY, 3, 10) == {}


def test_each_trading_day_and_member_has_its_own_sequence(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.record_sent(TODAY, 1, b"today")
    assert store.next_numbers(TOMORROW) == (1, 1)
    assert store.next_numbers(ANOTHER_MEMBER) == (1, 1)
    assert store.sent(TOMORROW, 1, 5) == {}


def test_reset_starts_again_and_forgets_kept_frames(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.record_sent(TODAY, 1, b"gone")
    store.set_next_target(TODAY, 4)
    store.record_sent(ANOTHER_MEMBER, 1, b"kept")
    store.reset(TODAY)
    assert store.next_numbers(TODAY) == (1, 1)
    assert store.sent(TODAY, 1, 5) == {}
    assert store.sent(ANOTHER_MEMBER, 1, 5) == {1: b"kept"}


def test_changes_reach_the_disk_only_at_commit(tmp_path: Path) -> None:
    """The acceptor commits before it lets frames go; until then another reader of the
    file sees nothing, while this store already counts the change."""
    store = SessionStore(tmp_path)
    store.record_sent(TODAY, 1, b"report")
    store.set_next_target(TODAY, 2)
    assert store.next_numbers(TODAY) == (2, 2)
    assert SessionStore(tmp_path).next_numbers(TODAY) == (1, 1)
    store.commit()
    other = SessionStore(tmp_path)
    assert other.next_numbers(TODAY) == (2, 2)
    assert other.sent(TODAY, 1, 1) == {1: b"report"}


def test_inside_an_event_loop_checkpoints_run_on_a_worker_thread(tmp_path: Path) -> None:
    """The WAL reaches the database file only through the store's own checkpoint, every
    CHECKPOINT_EVERY commits, and not in the committing (event-loop) thread."""
    database = tmp_path / "fix-sessions.sqlite3"
    checkpoint_threads: list[str] = []

    async def run() -> None:
        store = SessionStore(tmp_path)
        checkpoint = store._checkpoint

        def recorded() -> None:
            checkpoint_threads.append(threading.current_thread().name)
            checkpoint()

        store._checkpoint = recorded
        empty = database.stat().st_size
        for seq in range(1, CHECKPOINT_EVERY):
            store.record_sent(TODAY, seq, b"report %d" % seq)
            store.commit()
        assert database.stat().st_size == empty and checkpoint_threads == []
        store.record_sent(TODAY, CHECKPOINT_EVERY, b"the last one")
        store.commit()
        for _ in range(1000):  # the worker thread's turn
            if database.stat().st_size > empty:
                break
            await asyncio.sleep(0.01)
        assert database.stat().st_size > empty
        store.close()

    asyncio.run(run())
    assert checkpoint_threads and checkpoint_threads[0] != threading.main_thread().name
    assert SessionStore(tmp_path).sent(TODAY, CHECKPOINT_EVERY, CHECKPOINT_EVERY) == {
        CHECKPOINT_EVERY: b"the last one"
    }

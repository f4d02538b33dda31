"""Exactly-once booking: redelivery, any batching, and real process crashes around the
commit (the child process dies with os._exit, as a kill would leave it)."""

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from settlement_builders import EventLog

from settlement.ledger import Ledger

ROOT = Path(__file__).resolve().parents[2]

# The child books the events on stdin, then dies at the moment named in argv[2].
CHILD = """
import os, sys
import msgspec
import pytest
from engine.events import AnyEvent
from engine.reference import load_reference_data
from settlement.ledger import Ledger

url, moment = sys.argv[1], sys.argv[2]
events = msgspec.msgpack.decode(sys.stdin.buffer.read(), type=list[AnyEvent])
ledger = Ledger.open(url, load_reference_data())
if moment == "before-commit":
    execute = ledger.database.execute
    def dying(sql, params=()):
        if sql.startswith("UPDATE consumer_cursor"):
            os._exit(3)  # every row of the batch written, nothing committed
        execute(sql, params)
    ledger.database.execute = dying
ledger.book(events)
os._exit(4)  # committed, but the stream never hears the acknowledgement
"""


def history() -> list:
    log = EventLog()
    events = [
        log.open("BUYER"),
        log.open("SELLER"),
        log.cash("BUYER", 10**9),
        log.holding("SELLER", 10**4),
    ]
    events += [log.trade("BUYER", "SELLER", 10 + i, 5000 + i) for i in range(20)]
    return events


def book_in_child(url: str, events: list, moment: str) -> int:
    payload = msgspec.msgpack.encode(events)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, moment],
        input=payload,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode in (3, 4), done.stderr.decode()
    return done.returncode


def test_a_crash_after_the_commit_books_nothing_twice(database_url, reference):
    events = history()
    assert book_in_child(database_url, events[:14], "after-commit") == 4
    ledger = Ledger.open(database_url, reference)
    try:
        assert ledger.last_seq() == 14
        ledger.book(events)  # the stream redelivers from its last acknowledged offset
        once = Ledger.open(":memory:", reference)
        once.book(events)
        assert ledger.all_balances() == once.all_balances()
        assert ledger.verify() == []
    finally:
        ledger.close()


def test_a_crash_before_the_commit_books_nothing_at_all(database_url, reference):
    events = history()
    assert book_in_child(database_url, events, "before-commit") == 3
    ledger = Ledger.open(database_url, reference)
    try:
        assert ledger.last_seq() == 0
        assert ledger.all_balances() == {}
        ledger.book(events)
        assert ledger.balance("SELLER", "TJEA25", "available") == 10**4 - sum(range(10, 30))
    finally:
        ledger.close()


class Crash(Exception):
    """The process dying at a chosen moment (the subprocess tests above die for real)."""


def crash_before_commit(ledger: Ledger) -> Callable:
    """Makes the next booking die after writing its rows, before its commit."""
    execute = ledger.database.execute

    def dying(sql: str, params=()) -> None:
        if sql.startswith("UPDATE consumer_cursor"):
            raise Crash
        execute(sql, params)

    return dying


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_redelivery_and_crashes_around_the_commit_book_each_event_once(reference, data):
    """The stream redelivers from the last acknowledged position; each delivery is booked
    and acknowledged, booked with its acknowledgement lost (a crash after the commit), or
    dies before its commit."""
    events = history()
    once = Ledger.open(":memory:", reference)
    once.book(events)
    ledger = Ledger.open(":memory:", reference)
    healthy = ledger.database.execute
    acknowledged = 0
    for _ in range(100):  # bounded: a run of crashes ends in a clean delivery
        if acknowledged == len(events):
            break
        start = data.draw(st.integers(max(0, acknowledged - 5), acknowledged), label="from")
        end = data.draw(st.integers(acknowledged + 1, len(events)), label="to")
        outcome = data.draw(st.sampled_from(["acknowledged", "ack lost", "crash before commit"]))
        if outcome == "crash before commit":
            booked = ledger.last_seq()  # events[i] has seq i + 1
            if end > booked:  # something new to book, so a commit to die before
                ledger.database.execute = crash_before_commit(ledger)
                with pytest.raises(Crash):
                    ledger.book(events[start:end])
                ledger.database.execute = healthy
                assert ledger.last_seq() == booked
            continue
        ledger.book(events[start:end])
        if outcome == "acknowledged":
            acknowledged = end
    ledger.book(events[acknowledged:])
    assert ledger.all_balances() == once.all_balances()
    assert ledger.last_seq() == events[-1].seq
    assert ledger.verify() == []

"""Exactly-once booking: redelivery, any batching, and real process crashes around the
commit (the child process dies with os._exit, as a kill would leave it)."""

import subprocess
import sys
from pathlib import Path

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from settlement_builders import EventLog

from settlement.ledger import Ledger

ROOT = Path(__file__).resolve().parents[2]

# The child books the events on stdin, then dies at the moment named in argv[2].
CHILD = """
import os, sys
import msgspec
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


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_batching_with_redelivery_books_each_event_once(reference, data):
    events = history()
    once = Ledger.open(":memory:", reference)
    once.book(events)
    ledger = Ledger.open(":memory:", reference)
    position = 0
    while position < len(events):
        # a delivery starts at or before the first unbooked event and may overlap
        start = data.draw(st.integers(max(0, position - 5), position))
        end = data.draw(st.integers(position + 1, len(events)))
        ledger.book(events[start:end])
        position = end
    assert ledger.all_balances() == once.all_balances()
    assert ledger.last_seq() == events[-1].seq

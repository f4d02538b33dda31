"""The workflow through the store on SQLite and PostgreSQL: each step persisted and
audited, each refusal leaving the alert and its trail exactly as they were, and an audit
trail the database itself keeps append-only."""

import sqlite3
import threading
import time

import psycopg
import pytest

from settlement.database import Database, PostgresDatabase
from surveillance.alert_store import RAISED, AlertStore
from surveillance.workflow import Action, Disposition, Reason, Refused, Status
from tests.surveillance.alert_builders import CLERK, LI, OPEN, WANG, S, sighting

ALERT = sighting(order_ids=(3, 4), trade_ids=(9,))


@pytest.fixture
def store(database: Database) -> AlertStore:
    store = AlertStore(database)
    store.record([ALERT], now=OPEN)
    return store


def test_the_whole_path_to_a_referral_is_persisted_and_audited(store):
    steps = [
        (Action.ASSIGN, LI, "yours, Li", {"assignee": LI.name}),
        (Action.COMMENT, LI, "bid 7.5x the median, pulled in 2 s", {}),
        (Action.ESCALATE, LI, "repeated on three days", {"assignee": WANG.name}),
        (Action.CLOSE, WANG, "refer to the CCER authority", {"disposition": Disposition.REFERRAL}),
        (Action.COMMENT, WANG, "referral acknowledged", {}),
    ]
    for minute, (action, user, comment, details) in enumerate(steps, start=1):
        store.act(ALERT.id, action, user, comment, now=OPEN + minute * 60 * S, **details)
    stored = store.get(ALERT.id)
    assert (stored.status, stored.assignee, stored.disposition) == (
        Status.CLOSED,
        WANG.name,
        Disposition.REFERRAL,
    )
    assert stored.revision == 6 and stored.updated_ts == OPEN + 5 * 60 * S
    trail = store.trail(ALERT.id)
    assert [(e.revision, e.action, e.actor, e.from_status, e.to_status) for e in trail] == [
        (1, RAISED, "surveillance", "", Status.NEW),
        (2, "assign", LI.name, "new", Status.IN_REVIEW),
        (3, "comment", LI.name, "in_review", Status.IN_REVIEW),
        (4, "escalate", LI.name, "in_review", Status.ESCALATED),
        (5, "close", WANG.name, "escalated", Status.CLOSED),
        (6, "comment", WANG.name, "closed", Status.CLOSED),
    ]
    assert [e.comment for e in trail[1:]] == [comment for _, _, comment, _ in steps]
    assert [e.ts for e in trail] == [OPEN + minute * 60 * S for minute in range(6)]
    assert trail[4].disposition is Disposition.REFERRAL and trail[3].assignee == WANG.name


def test_a_reviewer_closes_a_false_positive_without_escalating(store):
    store.act(ALERT.id, Action.START_REVIEW, LI, "mine", now=OPEN + S)
    closed = store.act(
        ALERT.id,
        Action.CLOSE,
        LI,
        "  hedge of a block trade  ",
        now=OPEN + 2 * S,
        disposition=Disposition.NO_ACTION,
    )
    assert (closed.status, closed.disposition, closed.assignee) == (
        Status.CLOSED,
        Disposition.NO_ACTION,
        LI.name,
    )
    assert store.trail(ALERT.id)[-1].comment == "hedge of a block trade"  # trimmed


def _to(store: AlertStore, status: Status) -> None:
    path = [
        (Action.START_REVIEW, {}),
        (Action.ESCALATE, {}),
        (Action.CLOSE, {"disposition": Disposition.WARNING_LETTER}),
    ]
    order = [Status.NEW, Status.IN_REVIEW, Status.ESCALATED, Status.CLOSED]
    for action, details in path[: order.index(status)]:
        store.act(ALERT.id, action, LI, "on the way", now=OPEN + S, **details)


REFUSALS = [
    (
        Status.CLOSED,
        Action.CLOSE,
        LI,
        "again",
        {"disposition": Disposition.NO_ACTION},
        Reason.ALREADY_CLOSED,
    ),
    (Status.CLOSED, Action.ASSIGN, LI, "reopen", {"assignee": WANG.name}, Reason.ALREADY_CLOSED),
    (Status.CLOSED, Action.ESCALATE, LI, "more", {}, Reason.ALREADY_CLOSED),
    (
        Status.NEW,
        Action.CLOSE,
        LI,
        "looks fine",
        {"disposition": Disposition.NO_ACTION},
        Reason.REVIEW_FIRST,
    ),
    (Status.NEW, Action.ESCALATE, LI, "urgent", {}, Reason.REVIEW_FIRST),
    (Status.IN_REVIEW, Action.START_REVIEW, WANG, "mine", {}, Reason.ALREADY_IN_REVIEW),
    (
        Status.IN_REVIEW,
        Action.CLOSE,
        LI,
        "letter",
        {"disposition": Disposition.WARNING_LETTER},
        Reason.ESCALATE_FIRST,
    ),
    (Status.IN_REVIEW, Action.CLOSE, LI, "done", {}, Reason.NO_DISPOSITION),
    (Status.IN_REVIEW, Action.ASSIGN, LI, "to me", {"assignee": LI.name}, Reason.ALREADY_ASSIGNED),
    (Status.IN_REVIEW, Action.ASSIGN, LI, "to nobody", {"assignee": " "}, Reason.BAD_ASSIGNEE),
    (Status.ESCALATED, Action.ESCALATE, LI, "higher", {}, Reason.ALREADY_ESCALATED),
    (Status.IN_REVIEW, Action.ESCALATE, LI, "", {}, Reason.NO_COMMENT),
    (Status.NEW, Action.COMMENT, LI, "   ", {}, Reason.NO_COMMENT),
    (Status.NEW, Action.START_REVIEW, CLERK, "let me see", {}, Reason.NOT_SUPERVISOR),
    (
        Status.ESCALATED,
        Action.CLOSE,
        CLERK,
        "close it",
        {"disposition": Disposition.NO_ACTION},
        Reason.NOT_SUPERVISOR,
    ),
    (Status.NEW, Action.COMMENT, CLERK, "hello", {}, Reason.NOT_SUPERVISOR),
]


@pytest.mark.parametrize(("status", "action", "user", "comment", "details", "reason"), REFUSALS)
def test_a_refused_step_changes_nothing(store, status, action, user, comment, details, reason):
    _to(store, status)
    before, trail = store.get(ALERT.id), store.trail(ALERT.id)
    heard = []
    store.subscribe(lambda stored, entry: heard.append(entry))
    with pytest.raises(Refused) as refused:
        store.act(ALERT.id, action, user, comment, now=OPEN + 99 * S, **details)
    assert refused.value.reason is reason
    assert store.get(ALERT.id) == before
    assert store.trail(ALERT.id) == trail
    assert heard == []


def test_a_step_on_an_unknown_alert_is_refused(store):
    with pytest.raises(Refused) as refused:
        store.act("spoofing-missing", Action.START_REVIEW, LI, "mine", now=OPEN)
    assert refused.value.reason is Reason.UNKNOWN_ALERT


def test_a_step_on_a_merged_duplicate_works_the_kept_alert(store):
    duplicate = sighting(start_s=30, end_s=90)
    store.record([duplicate], now=OPEN + S)
    store.act(duplicate.id, Action.START_REVIEW, LI, "mine", now=OPEN + 2 * S)
    assert store.get(ALERT.id).status is Status.IN_REVIEW


REFUSED_BY_TRIGGER = (sqlite3.DatabaseError, psycopg.Error)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE surveillance_alert_audit SET comment = 'nothing to see'",
        "UPDATE surveillance_alert_audit SET actor = 'someone else' WHERE revision = 1",
        "DELETE FROM surveillance_alert_audit",
        "UPDATE surveillance_parameter_versions SET actor = 'someone else'",
        "DELETE FROM surveillance_parameter_versions",
    ],
)
def test_the_database_keeps_the_audit_append_only(store, database, statement):
    store.act(ALERT.id, Action.START_REVIEW, LI, "mine", now=OPEN + S)
    store.parameters.change("spoofing", {"size_multiple": 6.0}, LI, "tighter", now=OPEN + S)
    trail, history = store.trail(ALERT.id), store.parameters.history("spoofing")
    with pytest.raises(REFUSED_BY_TRIGGER, match="append-only"):
        database.execute(statement)
    assert store.trail(ALERT.id) == trail
    assert store.parameters.history("spoofing") == history


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_refuses_truncating_the_audit(store, database):
    """SQLite has no TRUNCATE: its DELETE without WHERE fires the trigger, tested above."""
    for table in ("surveillance_alert_audit", "surveillance_parameter_versions"):
        with pytest.raises(psycopg.Error, match="append-only"):
            database.execute(f"TRUNCATE {table}")
    assert len(store.trail(ALERT.id)) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_processes_closing_at_once_close_it_once(store, database_url):
    """Another process (its own connection) closes the alert and has not committed yet;
    our close waits on the row lock, then reads the alert closed and is refused, instead of
    deciding on the stale status and closing it twice."""
    store.act(ALERT.id, Action.START_REVIEW, LI, "mine", now=OPEN + S)
    other_database = PostgresDatabase(database_url)
    other = AlertStore(other_database)
    outcome: list[object] = []

    def close_here() -> None:
        try:
            store.act(
                ALERT.id,
                Action.CLOSE,
                LI,
                "hedge",
                now=OPEN + 3 * S,
                disposition=Disposition.NO_ACTION,
            )
            outcome.append("closed")
        except Refused as refused:
            outcome.append(refused.reason)

    with other_database.transaction():
        other.act(
            ALERT.id,
            Action.CLOSE,
            WANG,
            "no case",
            now=OPEN + 2 * S,
            disposition=Disposition.NO_ACTION,
        )
        racer = threading.Thread(target=close_here)
        racer.start()
        _wait_for_a_lock_wait(database_url)
    racer.join()
    other_database.close()
    assert outcome == [Reason.ALREADY_CLOSED]
    assert [entry.action for entry in store.trail(ALERT.id)] == [RAISED, "start_review", "close"]
    assert store.trail(ALERT.id)[-1].actor == WANG.name


def _wait_for_a_lock_wait(url: str) -> None:
    """Until some session of this database waits on a lock (bounded: 30 s)."""
    with psycopg.connect(url, autocommit=True) as watcher:
        for _ in range(3000):
            ((waiting,),) = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchall()
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError("the second close never waited on the row lock")

"""The alert store on SQLite and PostgreSQL: idempotent recording, merging duplicates,
the queue's filters and pages, and the live notifications."""

import threading

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.database import Database, PostgresDatabase, SQLiteDatabase, open_database
from surveillance.alert import Alert
from surveillance.alert_store import MERGED, RAISED, SYSTEM_ACTOR, AlertFilter, AlertStore
from surveillance.workflow import Action, Disposition, Reason, Refused, Status
from tests.surveillance.alert_builders import LI, OPEN, WANG, S, sighting


@pytest.fixture
def store(database: Database) -> AlertStore:
    return AlertStore(database)


def test_a_new_alert_is_stored_new_with_its_raise_audited(store):
    alert = sighting(order_ids=(11, 12), trade_ids=(7,))
    (stored,) = store.record([alert], now=OPEN + 61 * S)
    assert stored.status is Status.NEW and stored.assignee == "" and stored.disposition is None
    assert store.get(alert.id) == stored
    assert store.get(alert.id).alert == alert  # evidence, ids and window survive the round trip
    (raised,) = store.trail(alert.id)
    assert (raised.actor, raised.action, raised.from_status, raised.to_status) == (
        SYSTEM_ACTOR,
        RAISED,
        "",
        Status.NEW,
    )
    assert raised.ts == OPEN + 61 * S and raised.comment == alert.reason


def test_the_same_alert_raised_again_changes_nothing(store):
    alert = sighting()
    store.record([alert], now=1)
    assert store.record([alert], now=2) == []
    assert store.get(alert.id).revision == 1 and store.get(alert.id).updated_ts == 1
    assert len(store.trail(alert.id)) == 1


def test_the_same_id_with_more_evidence_updates_the_alert(store):
    first = sighting(score=60, end_s=30, order_ids=(1,))
    store.record([first], now=1)
    later = sighting(score=85, end_s=90, order_ids=(2,), reason="repeated three times")
    (stored,) = store.record([later], now=2)
    assert stored.alert.id == first.id
    assert stored.alert.score == 85 and stored.alert.window_end == later.window_end
    assert stored.alert.order_ids == (1, 2) and stored.alert.reason == "repeated three times"
    assert [entry.action for entry in store.trail(first.id)] == [RAISED, MERGED]
    assert store.get(first.id) == stored


def test_a_duplicate_with_an_overlapping_window_merges_into_the_kept_alert(store):
    kept = sighting(start_s=0, end_s=60, score=70, trade_ids=(5,))
    duplicate = sighting(start_s=30, end_s=120, score=90, trade_ids=(6,))
    assert duplicate.id != kept.id
    store.record([kept], now=1)
    (stored,) = store.record([duplicate], now=2)
    assert stored.alert.id == kept.id
    assert (stored.alert.window_start, stored.alert.window_end) == (
        kept.window_start,
        duplicate.window_end,
    )
    assert stored.alert.score == 90 and stored.alert.trade_ids == (5, 6)
    assert store.search(AlertFilter()).total == 1
    assert store.get(duplicate.id) == stored  # the duplicate's id finds the kept alert
    merged = store.trail(kept.id)[-1]
    assert merged.action == MERGED and duplicate.id in merged.comment
    assert store.record([duplicate], now=3) == []  # raised again: already merged


@pytest.mark.parametrize(
    "other",
    [
        sighting(start_s=61, end_s=120),  # the window after, not touching
        sighting(accounts=("A1", "A2")),  # other accounts
        sighting(instrument="TJEA2027"),  # another instrument
        sighting("layering"),  # another pattern
    ],
    ids=["later window", "other accounts", "other instrument", "other pattern"],
)
def test_an_alert_on_another_subject_or_window_stays_apart(store, other: Alert):
    first = sighting(start_s=0, end_s=60)
    store.record([first, other], now=1)
    assert store.search(AlertFilter()).total == 2
    assert store.get(other.id).alert == other


def test_a_duplicate_of_a_closed_alert_merges_and_the_alert_stays_closed(store):
    kept = sighting(end_s=60, score=50)
    store.record([kept], now=1)
    store.act(kept.id, Action.START_REVIEW, LI, "looking", now=2)
    store.act(
        kept.id, Action.CLOSE, LI, "market maker hedging", now=3, disposition=Disposition.NO_ACTION
    )
    (stored,) = store.record([sighting(start_s=30, end_s=90, score=95)], now=4)
    assert stored.status is Status.CLOSED and stored.disposition is Disposition.NO_ACTION
    assert stored.alert.score == 95
    entry = store.trail(kept.id)[-1]
    assert (entry.action, entry.from_status, entry.to_status) == (MERGED, "closed", Status.CLOSED)


def test_a_batch_is_recorded_in_one_transaction(store):
    good = sighting(accounts=("A7",))
    broken = msgspec.structs.replace(sighting(accounts=("A8",)), evidence={"bad": object()})
    with pytest.raises(TypeError):
        store.record([good, broken], now=1)
    assert store.search(AlertFilter()).total == 0


def test_unknown_alert_is_refused(store):
    with pytest.raises(Refused) as refused:
        store.get("spoofing-0000")
    assert refused.value.reason is Reason.UNKNOWN_ALERT


@pytest.fixture
def queue(store: AlertStore) -> AlertStore:
    """Six alerts in various states, patterns, accounts and windows."""
    store.record(
        [
            sighting("spoofing", accounts=("A1",), start_s=0, end_s=60, score=90),
            sighting("spoofing", accounts=("A2",), start_s=100, end_s=160, score=40),
            sighting("layering", accounts=("A1", "A3"), start_s=200, end_s=210, score=75),
            sighting(
                "ramping", accounts=("A3",), instrument="TJEA2027", start_s=300, end_s=600, score=60
            ),
            sighting("self_trade", accounts=("A4", "A5"), start_s=700, end_s=700, score=100),
            sighting(
                "message_flooding",
                accounts=("A6",),
                instrument="",
                start_s=800,
                end_s=801,
                score=20,
            ),
        ],
        now=1,
    )
    ramping = store.search(AlertFilter(pattern="ramping")).alerts[0].alert.id
    store.act(ramping, Action.ASSIGN, LI, "please look", now=2, assignee=WANG.name)
    layering = store.search(AlertFilter(pattern="layering")).alerts[0].alert.id
    store.act(layering, Action.START_REVIEW, LI, "mine", now=3)
    store.act(layering, Action.ESCALATE, LI, "levels pulled after the fill", now=4)
    return store


def _patterns(store: AlertStore, where: AlertFilter) -> list[str]:
    return [stored.alert.pattern for stored in store.search(where).alerts]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (
            AlertFilter(),
            ["self_trade", "spoofing", "layering", "ramping", "spoofing", "message_flooding"],
        ),
        (
            AlertFilter(statuses=(Status.NEW,)),
            ["self_trade", "spoofing", "spoofing", "message_flooding"],
        ),
        (AlertFilter(statuses=(Status.IN_REVIEW, Status.ESCALATED)), ["layering", "ramping"]),
        (AlertFilter(pattern="spoofing"), ["spoofing", "spoofing"]),
        (AlertFilter(instrument="TJEA2027"), ["ramping"]),
        (AlertFilter(account="A3"), ["layering", "ramping"]),
        (AlertFilter(account="A1"), ["spoofing", "layering"]),
        (AlertFilter(assignee=WANG.name), ["ramping"]),
        (AlertFilter(assignee=LI.name), ["layering"]),
        (AlertFilter(min_score=60, max_score=90), ["spoofing", "layering", "ramping"]),
        (
            AlertFilter(since=OPEN + 150 * S, until=OPEN + 300 * S),
            ["layering", "ramping", "spoofing"],
        ),
        (AlertFilter(since=OPEN + 900 * S), []),
        (AlertFilter(pattern="spoofing", account="A2", statuses=(Status.NEW,)), ["spoofing"]),
    ],
)
def test_the_queue_filters(queue, where, expected):
    assert _patterns(queue, where) == expected
    assert queue.search(where).total == len(expected)


def test_pages_cover_the_queue_once_in_order(queue):
    whole = queue.search(AlertFilter(), limit=100).alerts
    pages = [queue.search(AlertFilter(), limit=4, offset=offset) for offset in (0, 4, 8)]
    assert [page.total for page in pages] == [6, 6, 6]
    assert [len(page.alerts) for page in pages] == [4, 2, 0]
    assert [s for page in pages for s in page.alerts] == whole
    scores = [stored.alert.score for stored in whole]
    assert scores == sorted(scores, reverse=True)


def test_subscribers_hear_of_new_and_changed_alerts_not_of_repeats(store):
    heard: list[tuple[str, str, Status]] = []
    unsubscribe = store.subscribe(
        lambda stored, entry: heard.append((stored.alert.id, entry.action, stored.status))
    )
    alert = sighting()
    store.record([alert], now=1)
    store.record([alert], now=2)
    store.act(alert.id, Action.START_REVIEW, LI, "mine", now=3)
    with pytest.raises(Refused):
        store.act(alert.id, Action.START_REVIEW, WANG, "mine too", now=4)
    unsubscribe()
    store.act(alert.id, Action.COMMENT, LI, "not heard", now=5)
    assert heard == [(alert.id, RAISED, Status.NEW), (alert.id, "start_review", Status.IN_REVIEW)]


def test_a_failing_subscriber_neither_undoes_the_change_nor_silences_the_others(store):
    heard = []

    def broken(stored, entry):
        raise RuntimeError("dashboard socket gone")

    store.subscribe(broken)
    store.subscribe(lambda stored, entry: heard.append(entry.action))
    alert = sighting()
    store.record([alert], now=1)
    assert heard == [RAISED]
    assert store.get(alert.id).status is Status.NEW


def test_the_store_reopens_with_its_alerts_and_the_schema_once(database_url):
    database = open_database(database_url)
    alert = sighting()
    AlertStore(database).record([alert], now=1)
    reopened = AlertStore(database)  # migrations already applied: nothing to do
    assert reopened.get(alert.id).alert == alert
    assert database.query("SELECT version, name FROM surveillance_schema_migrations") == [
        (1, "alerts"),
        (2, "append_only"),
        (3, "bulletins"),
    ]
    database.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_several_processes_opening_a_fresh_database_at_once_migrate_it_once(database_url):
    """The gateway and the surveillance consumer start together (own connections)."""
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def open_store() -> None:
        database = PostgresDatabase(database_url)
        try:
            start.wait()
            AlertStore(database)
        except BaseException as exc:
            failures.append(exc)
        finally:
            database.close()

    openers = [threading.Thread(target=open_store) for _ in range(4)]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join()
    assert failures == []
    database = PostgresDatabase(database_url)
    assert database.query("SELECT version FROM surveillance_schema_migrations") == [
        (1,),
        (2,),
        (3,),
    ]
    database.close()


alerts = st.builds(
    sighting,
    st.sampled_from(["spoofing", "layering"]),
    accounts=st.sampled_from([("A1",), ("A2",), ("A1", "A2")]),
    start_s=st.integers(0, 300),
    end_s=st.integers(300, 600),
    score=st.integers(0, 100),
    order_ids=st.lists(st.integers(1, 50), max_size=3).map(tuple),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(alerts, min_size=1, max_size=8))
def test_recording_again_is_idempotent_and_keeps_one_alert_per_episode(batch):
    """Recording any batch twice changes nothing the second time, every raised id finds an
    alert, and no two stored alerts on one subject have touching windows. (SQLite in memory:
    a fresh database per example.)"""
    database = SQLiteDatabase(":memory:")
    store = AlertStore(database)
    store.record(batch, now=1)
    before = store.search(AlertFilter(), limit=100).alerts
    assert store.record(batch, now=2) == []
    assert store.search(AlertFilter(), limit=100).alerts == before
    for alert in batch:
        assert set(alert.order_ids) <= set(store.get(alert.id).alert.order_ids)
    stored = [s.alert for s in before]
    for i, first in enumerate(stored):
        for second in stored[i + 1 :]:
            same = (first.pattern, first.instrument, first.accounts) == (
                second.pattern,
                second.instrument,
                second.accounts,
            )
            assert not (
                same
                and first.window_start <= second.window_end
                and second.window_start <= first.window_end
            )
    database.close()

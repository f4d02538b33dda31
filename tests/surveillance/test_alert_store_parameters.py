"""Supervisors' run-time changes to the detectors' parameters, on SQLite and PostgreSQL:
each a new audited version, bad ones refused with nothing stored, kept over a restart."""

import msgspec
import pytest

from settlement.database import Database
from surveillance.alert_store import AlertStore
from surveillance.parameters import Parameters, Spoofing
from surveillance.workflow import Reason, Refused
from tests.surveillance.alert_builders import CLERK, LI, OPEN, WANG, S


@pytest.fixture
def store(database: Database) -> AlertStore:
    return AlertStore(database)


def test_a_change_makes_the_next_version_audited_and_in_force(store):
    heard = []
    store.parameters.subscribe(lambda pattern, changed: heard.append((pattern, changed)))
    changed = store.parameters.change(
        "spoofing", {"size_multiple": 6.0, "cancelled_within_s": 5}, LI, "fewer false alarms", OPEN
    )
    assert changed == Spoofing(version=2, size_multiple=6.0, cancelled_within_s=5)
    assert store.parameters.current().spoofing == changed
    assert store.parameters.current().layering == Parameters().layering
    assert heard == [("spoofing", changed)]
    (entry,) = store.parameters.history("spoofing")
    assert (entry.version, entry.actor, entry.ts, entry.comment) == (
        2,
        LI.name,
        OPEN,
        "fewer false alarms",
    )
    assert entry.previous == msgspec.to_builtins(Spoofing())
    assert entry.parameters == msgspec.to_builtins(changed)


def test_each_change_builds_on_the_one_before(store):
    store.parameters.change("spoofing", {"size_multiple": 6.0}, LI, "first", OPEN)
    second = store.parameters.change(
        "spoofing", {"escalate_at_repeats": 4}, WANG, "second", OPEN + S
    )
    assert (second.version, second.size_multiple, second.escalate_at_repeats) == (3, 6.0, 4)
    assert [entry.actor for entry in store.parameters.history("spoofing")] == [LI.name, WANG.name]


def test_changes_outlive_a_restart(database):
    AlertStore(database).parameters.change("ramping", {"window_s": 600}, LI, "slower ramps", OPEN)
    assert AlertStore(database).parameters.current().ramping.window_s == 600


def test_defaults_raised_to_a_newer_version_win_over_stored_changes(database):
    AlertStore(database).parameters.change("ramping", {"window_s": 600}, LI, "slower", OPEN)
    from_file = Parameters(ramping=msgspec.structs.replace(Parameters().ramping, version=3))
    assert AlertStore(database, from_file).parameters.current().ramping == from_file.ramping
    older_file = Parameters(
        ramping=msgspec.structs.replace(Parameters().ramping, version=2, window_s=120)
    )
    assert AlertStore(database, older_file).parameters.current().ramping.window_s == 600


@pytest.mark.parametrize(
    ("pattern", "values", "user", "comment", "reason", "named"),
    [
        (
            "spoofing",
            {"size_multiple": -1.0},
            LI,
            "why",
            Reason.BAD_PARAMETER,
            "spoofing.size_multiple",
        ),
        (
            "spoofing",
            {"size_multipel": 6.0},
            LI,
            "typo",
            Reason.BAD_PARAMETER,
            "spoofing.size_multipel",
        ),
        ("spoofing", {"cancelled_within_s": "ten"}, LI, "why", Reason.BAD_PARAMETER, "ten"),
        ("spoofing", {"version": 9}, LI, "jump", Reason.BAD_PARAMETER, "version"),
        ("spoofing", {"size_multiple": 5.0}, LI, "same", Reason.NO_CHANGE, "spoofing"),
        ("spoofing", {}, LI, "nothing", Reason.NO_CHANGE, "parameter"),
        ("front_running", {"x": 1}, LI, "new", Reason.UNKNOWN_PATTERN, "front_running"),
        ("spoofing", {"size_multiple": 6.0}, LI, " ", Reason.NO_COMMENT, "comment"),
        ("spoofing", {"size_multiple": 6.0}, CLERK, "please", Reason.NOT_SUPERVISOR, CLERK.name),
    ],
)
def test_a_bad_change_is_refused_and_stores_nothing(
    store, pattern, values, user, comment, reason, named
):
    heard = []
    store.parameters.subscribe(lambda pattern, changed: heard.append(changed))
    with pytest.raises(Refused) as refused:
        store.parameters.change(pattern, values, user, comment, OPEN)
    assert refused.value.reason is reason and named in refused.value.text
    assert store.parameters.current() == Parameters()
    assert store.parameters.history("spoofing") == []
    assert heard == []

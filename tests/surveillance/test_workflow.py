"""The workflow's rules, without a database: every status against every step."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveillance.workflow import (
    MAX_COMMENT,
    Action,
    Disposition,
    Reason,
    Refused,
    Status,
    WorkState,
    decide,
)
from tests.surveillance.alert_builders import CLERK, LI, WANG

NEW = WorkState()
IN_REVIEW = WorkState(Status.IN_REVIEW, LI.name)
ESCALATED = WorkState(Status.ESCALATED, WANG.name)
CLOSED = WorkState(Status.CLOSED, WANG.name, Disposition.REFERRAL)
WARNED = WorkState(Status.CLOSED, WANG.name, Disposition.WARNING_LETTER)

# (state, action, assignee, disposition) -> the state after, or the reason it is refused
RULES = [
    (NEW, Action.ASSIGN, WANG.name, None, WorkState(Status.IN_REVIEW, WANG.name)),
    (NEW, Action.START_REVIEW, "", None, WorkState(Status.IN_REVIEW, LI.name)),
    (NEW, Action.ESCALATE, "", None, Reason.REVIEW_FIRST),
    (NEW, Action.CLOSE, "", Disposition.NO_ACTION, Reason.REVIEW_FIRST),
    (NEW, Action.COMMENT, "", None, NEW),
    (IN_REVIEW, Action.ASSIGN, WANG.name, None, WorkState(Status.IN_REVIEW, WANG.name)),
    (IN_REVIEW, Action.ASSIGN, LI.name, None, Reason.ALREADY_ASSIGNED),
    (IN_REVIEW, Action.START_REVIEW, "", None, Reason.ALREADY_IN_REVIEW),
    (IN_REVIEW, Action.ESCALATE, "", None, WorkState(Status.ESCALATED, LI.name)),
    (IN_REVIEW, Action.ESCALATE, WANG.name, None, WorkState(Status.ESCALATED, WANG.name)),
    (
        IN_REVIEW,
        Action.CLOSE,
        "",
        Disposition.NO_ACTION,
        WorkState(Status.CLOSED, LI.name, Disposition.NO_ACTION),
    ),
    (IN_REVIEW, Action.CLOSE, "", Disposition.WARNING_LETTER, Reason.ESCALATE_FIRST),
    (IN_REVIEW, Action.CLOSE, "", Disposition.REFERRAL, Reason.ESCALATE_FIRST),
    (IN_REVIEW, Action.CLOSE, "", None, Reason.NO_DISPOSITION),
    (IN_REVIEW, Action.COMMENT, "", None, IN_REVIEW),
    (ESCALATED, Action.ASSIGN, LI.name, None, WorkState(Status.ESCALATED, LI.name)),
    (ESCALATED, Action.START_REVIEW, "", None, Reason.ALREADY_ESCALATED),
    (ESCALATED, Action.ESCALATE, "", None, Reason.ALREADY_ESCALATED),
    *[
        (ESCALATED, Action.CLOSE, "", disposition, WorkState(Status.CLOSED, WANG.name, disposition))
        for disposition in Disposition
    ],
    (ESCALATED, Action.COMMENT, "", None, ESCALATED),
    (CLOSED, Action.ASSIGN, LI.name, None, Reason.ALREADY_CLOSED),
    (CLOSED, Action.START_REVIEW, "", None, Reason.ALREADY_CLOSED),
    (CLOSED, Action.ESCALATE, "", None, Reason.ALREADY_CLOSED),
    (CLOSED, Action.CLOSE, "", Disposition.NO_ACTION, Reason.ALREADY_CLOSED),
    (CLOSED, Action.COMMENT, "", None, CLOSED),
    # a warning letter's sending is recorded only once the alert is closed as one
    (NEW, Action.LETTER_SENT, "", None, Reason.NOT_A_WARNING_LETTER),
    (IN_REVIEW, Action.LETTER_SENT, "", None, Reason.NOT_A_WARNING_LETTER),
    (ESCALATED, Action.LETTER_SENT, "", None, Reason.NOT_A_WARNING_LETTER),
    (CLOSED, Action.LETTER_SENT, "", None, Reason.NOT_A_WARNING_LETTER),
    (WARNED, Action.LETTER_SENT, "", None, WARNED),
]


@pytest.mark.parametrize(("state", "action", "assignee", "disposition", "expected"), RULES)
def test_each_status_against_each_step(state, action, assignee, disposition, expected):
    def step() -> WorkState:
        return decide(
            state, action, LI, "checked the order log", assignee=assignee, disposition=disposition
        )

    if isinstance(expected, Reason):
        with pytest.raises(Refused) as refused:
            step()
        assert refused.value.reason is expected
        assert refused.value.text  # a sentence a supervisor can act on
    else:
        assert step() == expected


def test_every_status_and_step_has_a_rule():
    covered = {(state.status, action) for state, action, *_ in RULES}
    assert covered == {(status, action) for status in Status for action in Action}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("state", [NEW, IN_REVIEW, ESCALATED, CLOSED])
def test_only_a_supervisor_may_act(state, action):
    with pytest.raises(Refused) as refused:
        decide(
            state, action, CLERK, "a reason", assignee=LI.name, disposition=Disposition.NO_ACTION
        )
    assert refused.value.reason is Reason.NOT_SUPERVISOR
    assert CLERK.name in refused.value.text and "member" in refused.value.text


@pytest.mark.parametrize("comment", ["", "   ", "\n\t"])
@pytest.mark.parametrize("action", list(Action))
def test_every_step_needs_a_comment(action, comment):
    with pytest.raises(Refused) as refused:
        decide(
            IN_REVIEW, action, LI, comment, assignee=WANG.name, disposition=Disposition.NO_ACTION
        )
    assert refused.value.reason is Reason.NO_COMMENT


def test_a_comment_has_a_limit():
    with pytest.raises(Refused) as refused:
        decide(NEW, Action.COMMENT, LI, "x" * (MAX_COMMENT + 1))
    assert refused.value.reason is Reason.COMMENT_TOO_LONG


@pytest.mark.parametrize("assignee", ["", "  ", "n" * 101])
def test_an_assignment_names_a_supervisor(assignee):
    with pytest.raises(Refused) as refused:
        decide(NEW, Action.ASSIGN, LI, "yours", assignee=assignee)
    assert refused.value.reason is Reason.BAD_ASSIGNEE


steps = st.tuples(
    st.sampled_from(list(Action)),
    st.sampled_from([LI, WANG, CLERK]),
    st.sampled_from(["", "why not", "  "]),
    st.sampled_from(["", LI.name, WANG.name]),
    st.sampled_from([None, *Disposition]),
)


@given(st.lists(steps, max_size=12))
def test_any_sequence_keeps_the_workflow_invariants(sequence):
    """Closed is final; a disposition exactly when closed; a sanction only after escalation;
    nobody holds an alert past `new` unnamed."""
    state = NEW
    escalated = False
    for action, user, comment, assignee, disposition in sequence:
        try:
            after = decide(state, action, user, comment, assignee=assignee, disposition=disposition)
        except Refused:
            continue
        if state.status is Status.CLOSED:
            assert after == state
        escalated = escalated or after.status is Status.ESCALATED
        assert (after.disposition is not None) == (after.status is Status.CLOSED)
        if after.disposition in (Disposition.WARNING_LETTER, Disposition.REFERRAL):
            assert escalated
        if after.status is not Status.NEW:
            assert after.assignee
        state = after

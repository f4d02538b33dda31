"""The alert workflow: which step a supervisor may take from which status, and why not.

    new ──assign / start_review──► in_review ──escalate──► escalated ──close──► closed
                                       │                                 ▲
                                       └────────close (no_action)────────┘

The rules are those of an exchange's surveillance desk:
- Every alert is looked at by a named supervisor before it is decided, so nothing closes
  or escalates straight from `new`; the record always shows who reviewed it.
- A reviewer may close an alert as `no_action` (a false positive). A warning letter or a
  referral to the regulator is a sanction, decided only on an escalated alert.
- `assign` hands an alert to a named supervisor: from `new` it starts the review, later it
  reassigns (escalation may also name who decides it). `start_review` is "I take it".
- A closed alert is final: no step changes it, but anyone may still add a comment (say,
  the regulator's acknowledgement of a referral).
- Every step needs the supervisor role and a comment saying why.
- `letter_sent` records that an alert closed as a warning letter had its letter sent
  (surveillance/warning_letter.py writes it), the comment saying how and to whom.

`decide` is pure: it returns the alert's next work state or raises `Refused`, so the store
changes nothing on a refusal.
"""

from enum import StrEnum
from typing import Protocol

import msgspec

SUPERVISOR = "supervisor"
MAX_COMMENT = 4000
MAX_NAME = 100


class Status(StrEnum):
    NEW = "new"
    IN_REVIEW = "in_review"
    ESCALATED = "escalated"
    CLOSED = "closed"


class Disposition(StrEnum):
    NO_ACTION = "no_action"
    WARNING_LETTER = "warning_letter"
    REFERRAL = "referral"  # to the regulator


class Action(StrEnum):
    ASSIGN = "assign"
    START_REVIEW = "start_review"
    ESCALATE = "escalate"
    CLOSE = "close"
    COMMENT = "comment"
    LETTER_SENT = "letter_sent"


class Reason(StrEnum):
    NOT_SUPERVISOR = "not_supervisor"
    NO_COMMENT = "no_comment"
    COMMENT_TOO_LONG = "comment_too_long"
    BAD_ASSIGNEE = "bad_assignee"
    NO_DISPOSITION = "no_disposition"
    ALREADY_ASSIGNED = "already_assigned"
    ALREADY_IN_REVIEW = "already_in_review"
    ALREADY_ESCALATED = "already_escalated"
    ALREADY_CLOSED = "already_closed"
    REVIEW_FIRST = "review_first"
    ESCALATE_FIRST = "escalate_first"
    UNKNOWN_ALERT = "unknown_alert"
    UNKNOWN_PATTERN = "unknown_pattern"
    BAD_PARAMETER = "bad_parameter"
    NO_CHANGE = "no_change"
    NOT_A_WARNING_LETTER = "not_a_warning_letter"


class Refused(Exception):
    """A step refused before anything changed, with a reason code and a sentence."""

    def __init__(self, reason: Reason, text: str):
        super().__init__(text)
        self.reason = reason
        self.text = text


class User(Protocol):
    """Who acts: the gateway's authenticated user."""

    name: str
    role: str


class WorkState(msgspec.Struct, frozen=True):
    status: Status = Status.NEW
    assignee: str = ""
    disposition: Disposition | None = None


def require_supervisor(user: User) -> None:
    if user.role != SUPERVISOR:
        raise Refused(
            Reason.NOT_SUPERVISOR,
            f"{user.name or 'this user'} has the role '{user.role}'; "
            f"only a {SUPERVISOR} may do this",
        )


def require_comment(comment: str) -> str:
    """The comment, trimmed: every step says why it was taken."""
    comment = comment.strip()
    if not comment:
        raise Refused(Reason.NO_COMMENT, "a comment is required: say why this step is taken")
    if len(comment) > MAX_COMMENT:
        raise Refused(
            Reason.COMMENT_TOO_LONG,
            f"the comment has {len(comment)} characters; at most {MAX_COMMENT}",
        )
    return comment


def decide(
    state: WorkState,
    action: Action,
    user: User,
    comment: str,
    *,
    assignee: str = "",
    disposition: Disposition | None = None,
) -> WorkState:
    """The work state after `action`, or `Refused` (role first, then comment, then order)."""
    require_supervisor(user)
    require_comment(comment)
    if action is Action.COMMENT:
        return state
    if action is Action.LETTER_SENT:
        require_warning_letter(state)
        return state
    if state.status is Status.CLOSED:
        raise Refused(
            Reason.ALREADY_CLOSED,
            f"the alert is closed ({state.disposition}); a closed alert takes comments only",
        )
    if action is Action.ASSIGN:
        return _assign(state, assignee.strip())
    if action is Action.START_REVIEW:
        return _start_review(state, user.name)
    if action is Action.ESCALATE:
        return _escalate(state, assignee.strip())
    return _close(state, disposition)


def require_warning_letter(state: WorkState) -> None:
    if state.status is not Status.CLOSED or state.disposition is not Disposition.WARNING_LETTER:
        raise Refused(
            Reason.NOT_A_WARNING_LETTER,
            "a warning letter exists only for an alert closed with the disposition "
            f"warning_letter; this one is {state.status}"
            + (f" ({state.disposition})" if state.disposition else ""),
        )


def _assign(state: WorkState, assignee: str) -> WorkState:
    _require_name(assignee)
    if assignee == state.assignee:
        raise Refused(Reason.ALREADY_ASSIGNED, f"the alert is already assigned to {assignee}")
    status = Status.IN_REVIEW if state.status is Status.NEW else state.status
    return WorkState(status, assignee)


def _start_review(state: WorkState, reviewer: str) -> WorkState:
    if state.status is Status.IN_REVIEW:
        raise Refused(
            Reason.ALREADY_IN_REVIEW,
            f"the alert is already in review by {state.assignee}; assign it to take it over",
        )
    if state.status is Status.ESCALATED:
        raise Refused(
            Reason.ALREADY_ESCALATED,
            f"the alert is escalated to {state.assignee}, past review; assign it to take it over",
        )
    return WorkState(Status.IN_REVIEW, reviewer)


def _escalate(state: WorkState, assignee: str) -> WorkState:
    if state.status is Status.NEW:
        raise Refused(Reason.REVIEW_FIRST, "a new alert is reviewed before it is escalated")
    if state.status is Status.ESCALATED:
        raise Refused(
            Reason.ALREADY_ESCALATED, f"the alert is already escalated to {state.assignee}"
        )
    if assignee:
        _require_name(assignee)
    return WorkState(Status.ESCALATED, assignee or state.assignee)


def _close(state: WorkState, disposition: Disposition | None) -> WorkState:
    if disposition is None:
        choices = ", ".join(Disposition)
        raise Refused(Reason.NO_DISPOSITION, f"closing needs a disposition: one of {choices}")
    if state.status is Status.NEW:
        raise Refused(Reason.REVIEW_FIRST, "a new alert is reviewed before it is closed")
    if state.status is Status.IN_REVIEW and disposition is not Disposition.NO_ACTION:
        raise Refused(
            Reason.ESCALATE_FIRST,
            f"a {disposition} is decided on an escalated alert; escalate it first, "
            "or close it as no_action",
        )
    return WorkState(Status.CLOSED, state.assignee, disposition)


def _require_name(assignee: str) -> None:
    if not assignee:
        raise Refused(Reason.BAD_ASSIGNEE, "name the supervisor the alert is assigned to")
    if len(assignee) > MAX_NAME:
        raise Refused(Reason.BAD_ASSIGNEE, f"a supervisor's name has at most {MAX_NAME} characters")

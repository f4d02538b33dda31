"""REST endpoints for the alert queue, the workflow steps and the detectors' parameters.

The gateway mounts the router (under a prefix of its choosing) and authenticates: the
dependency it passes returns the user, with a name and a role. Every endpoint needs the
supervisor role. A refusal is a 4xx with a JSON body `{"detail": {"reason", "message"}}`:
403 for a user who is not a supervisor, 404 for an unknown alert or detector, 409 for a
step out of order, 422 for bad input; nothing is changed.

The store is reached through its `StoreThread`, so the event loop never waits on the
database and SQLite's connection stays on the thread that opened it.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict

from surveillance.alert_store import MAX_PAGE, AlertFilter, StoredAlert
from surveillance.http_responses import documented
from surveillance.parameters import ParameterSet
from surveillance.store_thread import StoreThread
from surveillance.workflow import (
    Action,
    Disposition,
    Reason,
    Refused,
    Status,
    User,
    require_supervisor,
)

INT64_MAX = 2**63 - 1  # what the alert store's integer columns hold: larger is refused, 422
HTTP_STATUS = {
    Reason.NOT_SUPERVISOR: 403,
    Reason.UNKNOWN_ALERT: 404,
    Reason.UNKNOWN_PATTERN: 404,
    Reason.ALREADY_ASSIGNED: 409,
    Reason.ALREADY_IN_REVIEW: 409,
    Reason.ALREADY_ESCALATED: 409,
    Reason.ALREADY_CLOSED: 409,
    Reason.REVIEW_FIRST: 409,
    Reason.ESCALATE_FIRST: 409,
    Reason.NOT_A_WARNING_LETTER: 409,
}  # any other reason is bad input: 422


class AlertView(BaseModel):
    id: str
    pattern: str
    score: int
    instrument: str
    accounts: list[str]
    control_group: str
    window_start: int  # ns since the epoch, UTC
    window_end: int
    evidence: dict[str, int | float | str]
    order_ids: list[int]
    trade_ids: list[int]
    reason: str
    status: Status
    assignee: str
    disposition: Disposition | None
    revision: int
    raised_ts: int
    updated_ts: int

    @classmethod
    def of(cls, stored: StoredAlert) -> "AlertView":
        work = msgspec.structs.asdict(stored)
        return cls(**msgspec.structs.asdict(work.pop("alert")), **work)


class AuditView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    revision: int
    ts: int
    actor: str
    action: str
    from_status: str
    to_status: Status
    assignee: str
    disposition: Disposition | None
    comment: str


class AlertDetail(BaseModel):
    alert: AlertView
    trail: list[AuditView]  # oldest first


class AlertPage(BaseModel):
    total: int  # matching the filter, over all pages
    limit: int
    offset: int
    alerts: list[AlertView]


class Step(BaseModel):
    comment: str = ""  # required: an empty one is refused with its own reason


class Assignment(Step):
    assignee: str = ""


class Escalation(Step):
    assignee: str = ""  # who decides the escalated alert; empty keeps the current assignee


class Closing(Step):
    disposition: Disposition | None = None


class ParameterSetView(BaseModel):
    pattern: str
    version: int
    values: dict[str, Any]

    @classmethod
    def of(cls, pattern: str, parameter_set: ParameterSet) -> "ParameterSetView":
        values = {name: getattr(parameter_set, name) for name in parameter_set.__struct_fields__}
        return cls(pattern=pattern, version=values.pop("version"), values=values)


class ParameterChangeView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    ts: int
    actor: str
    comment: str
    parameters: dict[str, Any]
    previous: dict[str, Any]


class ParameterDetail(BaseModel):
    current: ParameterSetView
    history: list[ParameterChangeView]  # the stored versions, oldest first


class ParameterEdit(Step):
    values: dict[str, Any]  # only the parameters to change; the version is the store's


@contextmanager
def refusals() -> Iterator[None]:
    """Turns a `Refused` into its HTTP answer."""
    try:
        yield
    except Refused as exc:
        raise HTTPException(
            HTTP_STATUS.get(exc.reason, 422), {"reason": exc.reason, "message": exc.text}
        ) from exc


def alerts_router(
    store: StoreThread, current_user: Callable[..., User], clock: Callable[[], int]
) -> APIRouter:
    """`current_user` is a FastAPI dependency; `clock` gives ns since the epoch, UTC."""
    router = APIRouter(
        prefix="/api", tags=["surveillance"], responses=documented(401, 403, 404, 409, 429)
    )
    Supervisor = Annotated[User, Depends(current_user)]

    async def step(
        alert_id: str, action: Action, user: User, body: Step, **details: Any
    ) -> AlertView:
        now = clock()
        with refusals():
            stored = await store(
                lambda alerts: alerts.act(alert_id, action, user, body.comment, now, **details)
            )
        return AlertView.of(stored)

    @router.get("/alerts")
    async def list_alerts(
        user: Supervisor,
        status: Annotated[list[Status] | None, Query()] = None,
        pattern: str = "",
        instrument: str = "",
        account: str = "",
        assignee: str = "",
        min_score: Annotated[int, Query(ge=0, le=100)] = 0,
        max_score: Annotated[int, Query(ge=0, le=100)] = 100,
        since: Annotated[int | None, Query(ge=0, le=INT64_MAX)] = None,
        until: Annotated[int | None, Query(ge=0, le=INT64_MAX)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    ) -> AlertPage:
        """The queue, highest score first; times (ns) select windows overlapping them."""
        with refusals():
            require_supervisor(user)
        where = AlertFilter(
            statuses=tuple(status or ()),
            pattern=pattern,
            instrument=instrument,
            account=account,
            assignee=assignee,
            min_score=min_score,
            max_score=max_score,
            since=since,
            until=until,
        )
        page = await store(lambda alerts: alerts.search(where, limit, offset))
        return AlertPage(
            total=page.total,
            limit=limit,
            offset=offset,
            alerts=[AlertView.of(stored) for stored in page.alerts],
        )

    @router.get("/alerts/{alert_id}")
    async def get_alert(alert_id: str, user: Supervisor) -> AlertDetail:
        with refusals():
            require_supervisor(user)
            stored, trail = await store(
                lambda alerts: (alerts.get(alert_id), alerts.trail(alert_id))
            )
        return AlertDetail(
            alert=AlertView.of(stored), trail=[AuditView.model_validate(e) for e in trail]
        )

    @router.post("/alerts/{alert_id}/assign")
    async def assign(alert_id: str, body: Assignment, user: Supervisor) -> AlertView:
        """Starts the review under the named supervisor, or reassigns."""
        return await step(alert_id, Action.ASSIGN, user, body, assignee=body.assignee)

    @router.post("/alerts/{alert_id}/review")
    async def start_review(alert_id: str, body: Step, user: Supervisor) -> AlertView:
        """The caller takes a new alert."""
        return await step(alert_id, Action.START_REVIEW, user, body)

    @router.post("/alerts/{alert_id}/escalate")
    async def escalate(alert_id: str, body: Escalation, user: Supervisor) -> AlertView:
        return await step(alert_id, Action.ESCALATE, user, body, assignee=body.assignee)

    @router.post("/alerts/{alert_id}/close")
    async def close(alert_id: str, body: Closing, user: Supervisor) -> AlertView:
        return await step(alert_id, Action.CLOSE, user, body, disposition=body.disposition)

    @router.post("/alerts/{alert_id}/comments")
    async def comment(alert_id: str, body: Step, user: Supervisor) -> AlertView:
        return await step(alert_id, Action.COMMENT, user, body)

    @router.get("/parameters")
    async def list_parameters(user: Supervisor) -> list[ParameterSetView]:
        with refusals():
            require_supervisor(user)
        current = await store(lambda alerts: alerts.parameters.current())
        return [
            ParameterSetView.of(pattern, getattr(current, pattern))
            for pattern in current.__struct_fields__
        ]

    @router.get("/parameters/{pattern}")
    async def get_parameters(pattern: str, user: Supervisor) -> ParameterDetail:
        with refusals():
            require_supervisor(user)
            history, current = await store(
                lambda alerts: (alerts.parameters.history(pattern), alerts.parameters.current())
            )
        return ParameterDetail(
            current=ParameterSetView.of(pattern, getattr(current, pattern)),
            history=[ParameterChangeView.model_validate(change) for change in history],
        )

    @router.patch("/parameters/{pattern}")
    async def change_parameters(
        pattern: str, body: ParameterEdit, user: Supervisor
    ) -> ParameterSetView:
        """The next version of the set, with the given values changed; audited."""
        now = clock()
        with refusals():
            changed = await store(
                lambda alerts: alerts.parameters.change(
                    pattern, body.values, user, body.comment, now
                )
            )
        return ParameterSetView.of(pattern, changed)

    return router

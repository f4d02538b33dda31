"""The supervisors' REST API for enforcement restrictions (engine/restrictions.py).

A restriction and its lifting are engine commands (journaled, enforced on the account's
next command, audited by settlement with who and when); the register is read back from
the registry (settlement/restriction_register.py). A refusal is 422 with the reason's
code and text, and changes nothing.
"""

import datetime as dt
import uuid
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from engine.commands import LiftRestriction, MassCancel, RestrictAccount
from engine.orders import MassCancelScope
from engine.reasons import Reason
from engine.reference import ReferenceData
from engine.restrictions import Mode
from gateway.clock import Clock
from gateway.rest.admin import Name, RegistryRead, refused, sequenced
from gateway.rest.supervisor_auth import SupervisorAuth, User
from gateway.trading.gateway_service import GatewayService
from settlement.restriction_register import restriction_register
from surveillance.http_responses import documented

MODES = tuple(mode.name.lower() for mode in Mode)


class RestrictRequest(BaseModel):
    mode: Literal[MODES]  # sell_only, cancel_only, suspended
    reason: str = Field("", description="why; required, shown in the register")
    until: str = Field(
        "",
        description="empty: until lifted; a date (through its end) or a date and time, "
        "Beijing time unless an offset is given, e.g. '2026-12-31' or '2026-12-10T15:00'",
    )
    reference: str = Field("", description="unique; generated when empty")
    cancel_resting: bool = Field(False, description="also cancel the account's live orders")
    alert_id: str = Field("", description="the alert this enforces, kept in the reason")


class LiftRequest(BaseModel):
    reason: str = Field("", description="why it is lifted; required")


def parse_until(text: str, timezone: str) -> int:
    """ns since the epoch for a restriction's end; 0 for none. A bare date means the
    restriction holds through that day (it ends at the next midnight, market time)."""
    text = text.strip()
    if not text:
        return 0
    zone = ZoneInfo(timezone)
    try:
        if len(text) == 10:
            moment = dt.datetime.combine(
                dt.date.fromisoformat(text) + dt.timedelta(days=1), dt.time(), zone
            )
        else:
            moment = dt.datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
    except ValueError:
        raise refused(
            Reason.BAD_RESTRICTION, f"until: {text!r} is not a date (YYYY-MM-DD) or date and time"
        ) from None
    return int(moment.timestamp()) * 1_000_000_000


def restrictions_router(
    gateway: GatewayService,
    reference: ReferenceData,
    auth: SupervisorAuth,
    clock: Clock,
    read_registry: RegistryRead,
) -> APIRouter:
    router = APIRouter(
        prefix="/api/admin",
        tags=["enforcement restrictions"],
        responses=documented(401, 404, 422, 429, 503, 504),
    )
    Supervisor = Annotated[User, Depends(auth)]

    @router.post("/accounts/{account}/restrictions", status_code=201)
    async def restrict(account: Name, request: RestrictRequest, user: Supervisor) -> list[dict]:
        reason = request.reason.strip()
        if reason and request.alert_id:
            reason = f"{reason} (alert {request.alert_id})"
        command = RestrictAccount(
            clock.now(),
            account,
            Mode[request.mode.upper()],
            parse_until(request.until, reference.calendar.timezone),
            reason,
            request.reference or f"R-{uuid.uuid4().hex[:12]}",
            user.name,
        )
        events = await sequenced(gateway, command)
        if request.cancel_resting:
            request_id = f"{command.reference}-cancel"
            scope = MassCancelScope.ACCOUNT
            events += await sequenced(gateway, MassCancel(clock.now(), request_id, scope, account))
        return events

    @router.post("/accounts/{account}/restrictions/{restriction}/lift")
    async def lift(account: Name, restriction: str, request: LiftRequest, user: Supervisor):
        command = LiftRestriction(clock.now(), account, restriction, request.reason, user.name)
        return await sequenced(gateway, command)

    @router.get("/restrictions")
    async def register(user: Supervisor, account: str | None = None) -> list[dict]:
        """The register: every restriction, newest first, with its status now."""
        now = clock.now()
        records = await read_registry(lambda ledger: restriction_register(ledger, now, account))
        return [msgspec.structs.asdict(record) for record in records]

    return router

"""The supervisors' block-trade action: cancelling an open allegation, with a comment.

The cancellation is a command through the sequencer (CancelBlock), so the journal keeps
it and a replay repeats it; the event that records it carries the supervisor and the
comment, and the registry's audit log keeps both (settlement/booking.py). A refusal (no
open allegation of that id, no comment) gets 422 with its reason and text.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from engine.commands import CancelBlock
from engine.events import BlockRejected
from engine.reasons import Reason
from gateway.clock import Clock
from gateway.rest.admin import event_json, refused
from gateway.rest.supervisor_auth import SupervisorAuth, User
from gateway.trading.gateway_service import GatewayService, RequestTimeout
from surveillance.http_responses import documented


class CancelBlockRequest(BaseModel):
    comment: str = Field(min_length=1, max_length=500, description="why: kept in the audit log")


def block_admin_router(gateway: GatewayService, auth: SupervisorAuth, clock: Clock) -> APIRouter:
    router = APIRouter(
        prefix="/api/admin",
        tags=["administration"],
        responses=documented(401, 422, 429, 503, 504),
    )
    Supervisor = Annotated[User, Depends(auth)]

    @router.post("/blocks/{block_id}/cancel")
    async def cancel(block_id: int, request: CancelBlockRequest, user: Supervisor) -> dict:
        command = CancelBlock(clock.now(), block_id, user.name, request.comment)
        try:
            (event,) = await gateway.request(command)
        except RequestTimeout as timeout:
            raise HTTPException(504, {"reason": "timeout", "text": str(timeout)}) from None
        if isinstance(event, BlockRejected):
            raise refused(Reason(event.reason), event.text)
        return event_json(event)

    return router

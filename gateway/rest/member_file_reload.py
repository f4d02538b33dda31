"""Reloading the member file on a running process, for supervisors.

Onboarding a member or changing a password must not need a restart in the middle of a
trading day: edit the file with `tcx members`, then reload it here (or send the process
SIGHUP). A file with a mistake is refused with the field named and the logins in use stay
as they were.
"""

import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from gateway.members import MemberFileError
from gateway.rest.supervisor_auth import SupervisorAuth, User
from surveillance.http_responses import documented

log = logging.getLogger("tcx.gateway.members")


class MembersReloaded(BaseModel):
    members: int
    sessions: int
    logged_out: list[str]  # sessions removed from the file, or moved, that were logged on


def members_router(reload: Callable[[], MembersReloaded], auth: SupervisorAuth) -> APIRouter:
    router = APIRouter(
        prefix="/api/admin", tags=["administration"], responses=documented(401, 422, 429)
    )

    @router.post("/members/reload")
    async def reload_members(user: Annotated[User, Depends(auth)]) -> MembersReloaded:
        """Reads the member file again: new members, sessions and passwords take effect
        at once; sessions no longer in it are logged out."""
        try:
            reloaded = reload()
        except MemberFileError as error:
            raise HTTPException(422, {"reason": "member_file", "text": str(error)}) from None
        log.info("member file reloaded by %s", user.name)
        return reloaded

    return router

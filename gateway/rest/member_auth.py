"""A member calling the REST API for its own accounts: HTTP Basic with one of its FIX
sessions' id and password (the same check as SupervisorAuth, without the supervisor role).
Which accounts it may act for is the directory's answer, asked per request."""

import asyncio
import logging
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from gateway.members import Directory, LogonRefused
from gateway.rest.supervisor_auth import FAILED_LOGINS, User

log = logging.getLogger("tcx.gateway.auth")
_basic = HTTPBasic(realm="tcx members")


class MemberAuth:
    """A FastAPI dependency: the authenticated member's user, or 401."""

    def __init__(self, directory: Directory):
        self.directory = directory

    async def __call__(self, credentials: Annotated[HTTPBasicCredentials, Depends(_basic)]) -> User:
        try:
            session = await asyncio.to_thread(
                self.directory.authenticate, credentials.username, credentials.password
            )
        except LogonRefused as refused:
            FAILED_LOGINS.inc()
            log.warning("member REST login refused", extra={"reason": str(refused)})
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "unknown user or wrong password",
                headers={"WWW-Authenticate": 'Basic realm="tcx members"'},
            ) from None
        member = self.directory.members.get(session.member)
        if member is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown user or wrong password")
        return User(session.id, member.id, member.role)

    def check_account(self, user: User, account: str) -> None:
        if not self.directory.may_act_for(user.member, account):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"{account} is not your account")

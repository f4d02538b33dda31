"""A member calling the REST API for its own accounts: HTTP Basic with one of its FIX
sessions' id and password (the same check as SupervisorAuth, without the supervisor role,
throttled per address with the FIX logons). Which accounts it may act for is the
directory's answer, asked per request."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from gateway.fix.password_checks import PasswordChecks
from gateway.members import Directory
from gateway.rest.supervisor_auth import User, logged_in, session_user

_basic = HTTPBasic(realm="tcx members")


class MemberAuth:
    """A FastAPI dependency: the authenticated member's user, or 401 (429 when throttled)."""

    def __init__(self, directory: Directory, password_checks: PasswordChecks):
        self.directory = directory
        self.password_checks = password_checks

    async def __call__(
        self, credentials: Annotated[HTTPBasicCredentials, Depends(_basic)], request: Request
    ) -> User:
        return await logged_in(
            self.password_checks,
            request,
            credentials,
            lambda given: session_user(self.directory, given),
            "tcx members",
        )

    def check_account(self, user: User, account: str) -> None:
        if not self.directory.may_act_for(user.member, account):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"{account} is not your account")

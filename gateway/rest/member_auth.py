"""Members on the REST API (auction bidders who do not run FIX): HTTP Basic with one of
the member's sessions, as the FIX logon; a request may act only for the member's own
accounts."""

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from gateway.rest.supervisor_auth import SupervisorAuth, User

_basic = HTTPBasic(realm="tcx members")


class MemberAuth(SupervisorAuth):
    """A FastAPI dependency: the authenticated member (any role), or 401."""

    async def __call__(self, credentials: Annotated[HTTPBasicCredentials, Depends(_basic)]) -> User:
        return await self.login(credentials)

    def own(self, user: User, account: str) -> None:
        """403 unless `account` is one of the user's member's."""
        if not self.directory.may_act_for(user.member, account):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"{account} is not your member's")

    def accounts(self, user: User) -> set[str]:
        member = self.directory.members.get(user.member)
        return set(member.accounts) if member is not None else set()

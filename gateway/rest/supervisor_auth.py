"""Who is calling the REST API: HTTP Basic against the member directory.

A supervisor logs in with one of its sessions' id and password (the same scrypt hashes the
FIX logon checks). Failed logins are logged and counted; the answer never says whether the
user exists.
"""

import asyncio
import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from prometheus_client import Counter

from gateway.members import Directory, LogonRefused, Role

log = logging.getLogger("tcx.gateway.auth")
FAILED_LOGINS = Counter("tcx_gateway_failed_logins", "Refused REST and dashboard logins")

_basic = HTTPBasic(realm="tcx supervisors")


@dataclass(frozen=True, slots=True)
class User:
    name: str  # the session id the user logged in with: what audit trails record
    member: str
    role: Role


class SupervisorAuth:
    """A FastAPI dependency: the authenticated supervisor, or 401/403."""

    def __init__(self, directory: Directory):
        self.directory = directory

    async def __call__(self, credentials: Annotated[HTTPBasicCredentials, Depends(_basic)]) -> User:
        try:
            session = await asyncio.to_thread(
                self.directory.authenticate, credentials.username, credentials.password
            )
        except LogonRefused as refused:
            FAILED_LOGINS.inc()
            log.warning("REST login refused", extra={"reason": str(refused)})
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "unknown user or wrong password",
                headers={"WWW-Authenticate": 'Basic realm="tcx supervisors"'},
            ) from None
        member = self.directory.members.get(session.member)  # None if reloaded away since
        if member is None or member.role is not Role.SUPERVISOR:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs a supervisor's login")
        return User(session.id, member.id, member.role)

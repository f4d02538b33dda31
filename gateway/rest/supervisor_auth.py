"""Who is calling the REST API: HTTP Basic against the member directory.

A supervisor logs in with one of its sessions' id and password (the same scrypt hashes the
FIX logon checks). Failed logins are logged, counted, and throttled per peer address with
the FIX logons' throttle (one allowance per address, whichever door it knocks on): past
the limit a login is refused unheard, 429 with Retry-After. The answer never says whether
the user exists, and on a supervisor's endpoint a member's right password gets the 401 a
wrong one gets; where members do log in (MemberAuth) the same allowance applies, so REST
is no unthrottled oracle for FIX passwords.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from prometheus_client import Counter

from gateway.fix.password_checks import PasswordChecks, Unheard
from gateway.members import Directory, LogonRefused, Role

log = logging.getLogger("tcx.gateway.auth")
FAILED_LOGINS = Counter("tcx_gateway_failed_logins", "Refused REST and dashboard logins")
THROTTLED_LOGINS = Counter(
    "tcx_gateway_throttled_logins", "REST and dashboard logins refused unheard: too many failures"
)
NS_PER_SECOND = 1_000_000_000

_basic = HTTPBasic(realm="tcx supervisors")


@dataclass(frozen=True, slots=True)
class User:
    name: str  # the session id the user logged in with: what audit trails record
    member: str
    role: Role


async def logged_in(
    password_checks: PasswordChecks,
    request: Request,
    credentials: HTTPBasicCredentials,
    login: Callable[[HTTPBasicCredentials], "User | None"],
    realm: str,
) -> User:
    """The user `login` finds for these credentials, checked off the loop and throttled per
    peer address (429 with Retry-After past the limit); 401 when it finds none."""
    peer = request.client.host if request.client else "unknown"
    try:
        user = await password_checks.check(peer, lambda: login(credentials))
    except Unheard:
        wait_ns = password_checks.throttle.retry_after_ns(peer, time.time_ns())
        THROTTLED_LOGINS.inc()
        log.warning("REST login refused unheard: too many failures", extra={"peer": peer})
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many failed logins from this address; retry later",
            headers={"Retry-After": str(max(1, -(-wait_ns // NS_PER_SECOND)))},
        ) from None
    if user is None:
        FAILED_LOGINS.inc()
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown user or wrong password",
            headers={"WWW-Authenticate": f'Basic realm="{realm}"'},
        )
    return user


def session_user(directory: Directory, credentials: HTTPBasicCredentials) -> User | None:
    """Whoever these credentials log in as, or None (a password check: run it off the loop)."""
    try:
        session = directory.authenticate(credentials.username, credentials.password)
    except LogonRefused as refused:
        log.warning("REST login refused", extra={"reason": str(refused)})
        return None
    member = directory.members.get(session.member)  # None if reloaded away since
    if member is None:
        log.warning("REST login refused", extra={"reason": "member no longer in the file"})
        return None
    return User(session.id, member.id, member.role)


class SupervisorAuth:
    """A FastAPI dependency: the authenticated supervisor, or 401 (429 when throttled)."""

    def __init__(self, directory: Directory, password_checks: PasswordChecks):
        self.directory = directory
        self.password_checks = password_checks

    async def __call__(
        self, credentials: Annotated[HTTPBasicCredentials, Depends(_basic)], request: Request
    ) -> User:
        return await logged_in(
            self.password_checks, request, credentials, self._supervisor, "tcx supervisors"
        )

    def _supervisor(self, credentials: HTTPBasicCredentials) -> User | None:
        user = session_user(self.directory, credentials)
        if user is not None and user.role is not Role.SUPERVISOR:
            log.warning("REST login refused", extra={"reason": "not a supervisor's login"})
            return None
        return user

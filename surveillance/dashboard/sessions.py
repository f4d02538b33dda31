"""Short-lived tokens for the dashboard's websockets.

A browser cannot put an Authorization header on a websocket, so after logging in with
HTTP Basic it asks for a token and passes it in the query string. Tokens are random,
kept only in memory (a restart logs everyone out), and expire after `TTL_NS`.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass

TTL_NS = 12 * 3600 * 1_000_000_000  # a working day


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    user: str
    expires: int  # ns since the epoch, UTC


class Sessions:
    def __init__(self, clock: Callable[[], int]):
        self.clock = clock
        self._sessions: dict[str, Session] = {}

    def open(self, user: str) -> Session:
        now = self.clock()
        self._sessions = {t: s for t, s in self._sessions.items() if s.expires > now}
        session = Session(secrets.token_urlsafe(24), user, now + TTL_NS)
        self._sessions[session.token] = session
        return session

    def user(self, token: str) -> str | None:
        """The user the token was issued to, or None when unknown or expired."""
        session = self._sessions.get(token)
        if session is None or session.expires <= self.clock():
            return None
        return session.user

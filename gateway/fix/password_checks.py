"""Password checks (scrypt, tens of milliseconds each) off the event loop, for FIX logons
and REST logins alike: on a few threads, one at a time per peer address, each weighed
against the failed-logon throttle when its turn comes. So a storm of simultaneous guesses
from one address gets the throttle's allowance of checks and no more, other addresses'
logons are not held up behind it, and the loop keeps serving everyone meanwhile."""

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from gateway.fix.logon_throttle import FailedLogonThrottle

log = logging.getLogger(__name__)
T = TypeVar("T")

THREADS = 2  # the machines tcx runs on have few cores; the loop needs one
MAX_WAITING = 64  # checks queued or running; past it a login is refused unheard


class Unheard(Exception):
    """Refused without a check: the address is throttled, or too many checks are waiting."""


class PasswordChecks:
    def __init__(
        self,
        throttle: FailedLogonThrottle,
        threads: int = THREADS,
        max_waiting: int = MAX_WAITING,
        clock: Callable[[], int] = time.time_ns,
    ):
        self.throttle = throttle
        self._executor = concurrent.futures.ThreadPoolExecutor(
            threads, thread_name_prefix="password-check"
        )
        self._max_waiting = max_waiting
        self._clock = clock
        self._waiting = 0
        self._turns: dict[str, tuple[asyncio.Lock, int]] = {}  # peer -> its lock, users

    async def check(self, peer: str, check: Callable[[], T]) -> T:
        """`check()` on a thread, after `peer`'s earlier checks; a falsy answer is a failed
        logon. `Unheard` when `peer` is throttled or too many checks are waiting."""
        if self._waiting >= self._max_waiting:
            log.warning("login refused unheard: %d password checks waiting", self._waiting)
            raise Unheard("too many password checks waiting")
        self._waiting += 1
        lock, users = self._turns.get(peer) or (asyncio.Lock(), 0)
        self._turns[peer] = (lock, users + 1)
        try:
            async with lock:
                self._admit(peer)
                loop = asyncio.get_running_loop()
                return self._judged(peer, await loop.run_in_executor(self._executor, check))
        finally:
            self._waiting -= 1
            lock, users = self._turns[peer]
            if users == 1:
                del self._turns[peer]
            else:
                self._turns[peer] = (lock, users - 1)

    def check_now(self, peer: str, check: Callable[[], T]) -> T:
        """`check` as `check` does it, but on the caller's thread: outside an event loop."""
        self._admit(peer)
        return self._judged(peer, check())

    def _admit(self, peer: str) -> None:
        if self.throttle.blocked(peer, self._clock()):
            raise Unheard(f"too many failed logons from {peer}")

    def _judged(self, peer: str, verdict: T) -> T:
        if not verdict:
            self.throttle.record_failure(peer, self._clock())
        return verdict

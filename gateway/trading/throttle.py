"""Per-session message rate limit: two token buckets, time injected.

The limit bucket holds `burst` messages and refills at `rate` per second: while it has a
token a message passes. The logout bucket is the same scaled by `logout_multiple`: every
message, passed or refused, takes a token from it, so a session that keeps sending at more
than `logout_multiple` x the limit empties it and is logged out. Tokens are counted in
billionths so that refill is exact integer arithmetic on nanosecond timestamps.
"""

from enum import Enum

NS_PER_SECOND = 1_000_000_000


class Verdict(Enum):
    PASS = "pass"
    REJECT = "reject"  # answer with a BusinessMessageReject, keep the session
    LOGOUT = "logout"  # far over the limit: end the session


class _Bucket:
    __slots__ = ("capacity", "last_ns", "rate", "tokens")

    def __init__(self, rate: int, burst: int, now_ns: int):
        self.rate = rate
        self.capacity = burst * NS_PER_SECOND
        self.tokens = self.capacity
        self.last_ns = now_ns

    def refill(self, now_ns: int) -> None:
        """A clock that steps back adds nothing (and does not move `last_ns` back)."""
        if now_ns > self.last_ns:
            self.tokens = min(self.capacity, self.tokens + (now_ns - self.last_ns) * self.rate)
            self.last_ns = now_ns

    def take(self) -> bool:
        if self.tokens >= NS_PER_SECOND:
            self.tokens -= NS_PER_SECOND
            return True
        return False


class Throttle:
    def __init__(self, rate: int, burst: int, logout_multiple: int, now_ns: int):
        if rate < 1 or burst < 1 or logout_multiple < 2:
            raise ValueError(
                f"throttle needs rate >= 1, burst >= 1, logout_multiple >= 2; "
                f"got {rate}, {burst}, {logout_multiple}"
            )
        self.limit = _Bucket(rate, burst, now_ns)
        self.flood = _Bucket(rate * logout_multiple, burst * logout_multiple, now_ns)

    def admit(self, now_ns: int) -> Verdict:
        self.limit.refill(now_ns)
        self.flood.refill(now_ns)
        if not self.flood.take():
            return Verdict.LOGOUT
        return Verdict.PASS if self.limit.take() else Verdict.REJECT

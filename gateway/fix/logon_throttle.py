"""Failed logons counted per peer address: past the limit, that address is refused unheard
until its oldest failure leaves the window, so passwords cannot be guessed at line speed."""

from collections import OrderedDict, deque


class FailedLogonThrottle:
    def __init__(self, max_failures: int, window_ns: int, max_peers: int = 10_000):
        self._max_failures = max_failures
        self._window_ns = window_ns
        self._max_peers = max_peers  # memory stays bounded whoever knocks
        self._failures: OrderedDict[str, deque[int]] = OrderedDict()

    def blocked(self, peer: str, now: int) -> bool:
        failures = self._failures.get(peer)
        if failures is None:
            return False
        while failures and failures[0] <= now - self._window_ns:
            failures.popleft()
        if not failures:
            del self._failures[peer]
            return False
        return len(failures) >= self._max_failures

    def retry_after_ns(self, peer: str, now: int) -> int:
        """How long until `peer` is heard again (0: it is not blocked)."""
        if not self.blocked(peer, now):
            return 0
        return self._failures[peer][0] + self._window_ns - now

    def record_failure(self, peer: str, now: int) -> None:
        failures = self._failures.setdefault(peer, deque(maxlen=self._max_failures))
        failures.append(now)
        self._failures.move_to_end(peer)
        while len(self._failures) > self._max_peers:
            self._failures.popitem(last=False)

"""When the engine service journals an `AuctionClock`: as soon as an auction's next move
(announcement, opening, close, results) is due by the service's clock, once per due time.

This is the driver's side, not the state machine's: it reads a clock, and what it decides
becomes a journaled command, so replay moves the auctions at the same points without it.
"""

from collections.abc import Callable

from engine.auctions import Auctions
from engine.commands import AuctionClock


class AuctionTimer:
    __slots__ = ("auctions", "now", "sent_for")

    def __init__(self, auctions: Auctions, now: Callable[[], int]) -> None:
        self.auctions = auctions
        self.now = now  # ns since the epoch: the time the clock command carries
        self.sent_for: int | None = None  # the due time the last clock command was for

    def __call__(self) -> AuctionClock | None:
        """A clock command if one is due and not already on its way to the journal."""
        due = self.auctions.next_due()
        if due is None or due == self.sent_for:
            return None
        now = self.now()
        if now < due:
            return None
        self.sent_for = due
        return AuctionClock(now)

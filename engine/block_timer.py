"""When the engine service journals a `ClockTick`: as soon as the next open block
allegation's deadline has passed by the service's clock, once per deadline.

The driver's side, like engine/auction_timer.py: it reads a clock, and what it decides
becomes a journaled command, so a replay expires the allegations at the same points.
"""

from collections.abc import Callable

from engine.block_trades import BlockTrades
from engine.commands import ClockTick


class BlockTimer:
    __slots__ = ("blocks", "now", "sent_for")

    def __init__(self, blocks: BlockTrades, now: Callable[[], int]) -> None:
        self.blocks = blocks
        self.now = now  # ns since the epoch: the time the tick carries
        self.sent_for = 0  # the deadline the last tick was for

    def __call__(self) -> ClockTick | None:
        """A tick if an allegation is due and no tick for it is on its way already."""
        due = self.blocks.next_expiry()
        if not due or due == self.sent_for:
            return None
        now = self.now()
        if now < due:
            return None
        self.sent_for = due
        return ClockTick(now)

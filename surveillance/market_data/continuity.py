"""A subscriber's check that it has every message: per-instrument sequence numbers.

Snapshots set where each channel stands; every other message must be the next number.
A duplicate (at or below what was seen) is to be ignored; a gap means messages were lost
and the subscriber should take a new snapshot before trusting its picture again.
"""

from enum import Enum

from surveillance.market_data.messages import Message, Snapshot


class Continuity(Enum):
    IN_ORDER = "in_order"
    DUPLICATE = "duplicate"
    GAP = "gap"


class SequenceTracker:
    __slots__ = ("_expected",)

    def __init__(self) -> None:
        self._expected: dict[str, int] = {}

    def observe(self, message: Message) -> Continuity:
        """Judges `message` and, unless it is a duplicate, moves the channel on to it.
        A channel never seen before starts at seq 1 (an instrument listed later)."""
        instrument = message.instrument
        if isinstance(message, Snapshot):
            self._expected[instrument] = message.seq + 1
            return Continuity.IN_ORDER
        expected = self._expected.get(instrument, 1)
        if message.seq < expected:
            return Continuity.DUPLICATE
        self._expected[instrument] = message.seq + 1
        return Continuity.IN_ORDER if message.seq == expected else Continuity.GAP

    def expected(self, instrument: str) -> int:
        """The seq the next message of `instrument` should carry."""
        return self._expected.get(instrument, 1)

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
    __slots__ = ("_expected", "_joins_mid_stream")

    def __init__(self, joins_mid_stream: bool = False) -> None:
        """`joins_mid_stream`: a channel never seen before starts wherever its first
        message is (a reader of the stream topic that starts at its end, or past what the
        topic still keeps), instead of at seq 1."""
        self._expected: dict[str, int] = {}
        self._joins_mid_stream = joins_mid_stream

    def observe(self, message: Message) -> Continuity:
        """Judges `message` and, unless it is a duplicate, moves the channel on to it.
        A channel never seen before starts at seq 1 (an instrument listed later)."""
        instrument = message.instrument
        if isinstance(message, Snapshot):
            self._expected[instrument] = message.seq + 1
            return Continuity.IN_ORDER
        first = message.seq if self._joins_mid_stream else 1
        expected = self._expected.get(instrument, first)
        if message.seq < expected:
            return Continuity.DUPLICATE
        self._expected[instrument] = message.seq + 1
        return Continuity.IN_ORDER if message.seq == expected else Continuity.GAP

    def expected(self, instrument: str) -> int:
        """The seq the next message of `instrument` should carry."""
        return self._expected.get(instrument, 1)

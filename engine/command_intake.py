"""Exactly-once command intake: where the engine's input stands, journaled with the commands.

Commands reach the engine at least once. A restarted engine rereads what it journaled
but had not yet committed on the commands topic, and a publisher whose broker
acknowledgement was lost (the connection dropped after the write) sends the same message
again. Neither may be applied twice, and the journal is the only thing the engine can
trust after a crash, so the input position goes into the journal in the same record as
the commands it covers (`InputMark`, see engine/journal.py):

- the position: partition -> offset of the next message to read. A restarted engine
  seeks there, and drops the commands journaled after the last mark (`Resume.skip`),
  which it reads again first, in the same order;
- the publishers' message numbers: every publisher stamps its messages with its own
  origin id and a growing number (Kafka headers), so a resent message, which carries
  the number it had, is recognised and dropped.

The numbers grow per partition (a publisher sends each partition's messages in order),
so they are tracked per origin and partition.
"""

from dataclasses import dataclass
from pathlib import Path

import msgspec

from engine.commands import Command
from engine.journal import JournalReader
from engine.recovery import JOURNAL_FILE

MAX_ORIGINS = 64  # publishers remembered: a resend follows its original within seconds


class InputMark(msgspec.Struct, array_like=True, frozen=True):
    position: dict[int, int]  # partition -> offset of the next message to read
    origins: dict[str, int]  # "origin/partition" -> number of the last message taken


_encode_mark = msgspec.msgpack.Encoder().encode
_decode_mark = msgspec.msgpack.Decoder(InputMark).decode


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a restarted engine takes up its input. Without a mark (nothing journaled
    one yet) it reads from the group's committed position, or from the beginning when
    the journal already holds commands: those then came from the beginning."""

    mark: InputMark | None
    skip: int  # commands journaled after the mark: read again first, and dropped


def resume_point(journal_dir: Path) -> Resume:
    mark, after = JournalReader(journal_dir / JOURNAL_FILE).last_mark()
    return Resume(None if mark is None else _decode_mark(mark), after)


class Intake:
    """Decides which command messages are new, and remembers it for the journal."""

    __slots__ = ("origins", "position", "skip")

    def __init__(self, resume: Resume) -> None:
        mark = resume.mark
        self.position: dict[int, int] = dict(mark.position) if mark else {}
        self.origins: dict[str, int] = dict(mark.origins) if mark else {}
        self.skip = resume.skip

    def admit(
        self, partition: int, offset: int, origin: str | None, number: int, commands: list[Command]
    ) -> list[Command]:
        """The commands of the message at `offset` that were never taken before."""
        self.position[partition] = offset + 1
        if origin is not None:
            key = f"{origin}/{partition}"
            if number <= self.origins.get(key, 0):
                return []  # a publisher's resend of a message already taken
            self.origins.pop(key, None)  # re-inserted last: the dict stays in recency order
            self.origins[key] = number
            if len(self.origins) > MAX_ORIGINS:
                del self.origins[next(iter(self.origins))]
        if self.skip:
            dropped = min(self.skip, len(commands))
            self.skip -= dropped
            commands = commands[dropped:]
        return commands

    def mark(self) -> bytes:
        return _encode_mark(InputMark(self.position, self.origins))

"""Events regenerated from the journal, for consumers that missed them.

Events are not stored: the journal of commands is the source of truth and the sequencer
is deterministic, so replaying the journal into a fresh sequencer produces the very same
events, seq for seq. The engine uses this at start-up to republish what a crash (or an
in-process stream that died with the process, or a broker backlog that never left) kept
from its consumers.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

from engine.events import Event
from engine.journal import JournalReader
from engine.recovery import JOURNAL_FILE, StateMachine


def events_after(
    directory: Path, fresh_machine: Callable[[], StateMachine], after_seq: int
) -> Iterator[list[Event]]:
    """The events with seq > `after_seq`, one list per journal record, in order."""
    machine = fresh_machine()
    apply = machine.apply
    for commands in JournalReader(directory / JOURNAL_FILE):
        events: list[Event] = []
        for command in commands:
            events.extend(apply(command))
        if events and events[-1].seq > after_seq:
            yield [event for event in events if event.seq > after_seq]

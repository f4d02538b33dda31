"""Recovery: the newest valid snapshot plus a replay of the journal after it.

The journal is the source of truth and the state machine is deterministic, so replaying
the commands that follow a snapshot rebuilds exactly the state the engine had when it
stopped. Replayed events are discarded: they were published (or, for the last unfinished
batch, never acknowledged) before the crash. A torn tail is cut off here, before the
journal is written to again.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.commands import Command
from engine.events import Event
from engine.journal import JournalReader, cut_torn_tail
from engine.snapshots import SnapshotStore

JOURNAL_FILE = "journal.log"
SNAPSHOT_DIRECTORY = "snapshots"


class StateMachine(Protocol):
    """What the journal drives: the sequencer, deterministic in its commands, whose
    snapshot encodes its state canonically (equal states give equal bytes)."""

    def apply(self, command: Command) -> list[Event]: ...

    def snapshot(self) -> bytes: ...

    def restore(self, data: bytes) -> None: ...


class SnapshotMismatch(Exception):
    """A snapshot passed its checksum but the restored state snapshots to other bytes: the
    state machine's snapshot or restore is not exact, which replay cannot be trusted with."""


@dataclass(frozen=True, slots=True)
class Recovery:
    commands: int  # commands in the recovered state
    journal_end: int  # where the next record goes
    snapshot_commands: int  # commands the snapshot used covered (0 without one)
    replayed: int  # commands replayed from the journal after the snapshot
    torn_bytes: int  # torn tail cut off the journal
    skipped_snapshots: tuple[Path, ...]  # damaged snapshot files passed over


def recover(directory: Path, machine: StateMachine) -> Recovery:
    """Rebuilds `machine` (fresh: replay starts from its state when there is no snapshot)
    from `directory` and cuts a torn tail off the journal."""
    store = SnapshotStore(directory / SNAPSHOT_DIRECTORY)
    snapshot = store.newest_valid()
    commands = journal_start = 0
    if snapshot is not None:
        machine.restore(snapshot.state)
        if machine.snapshot() != snapshot.state:
            raise SnapshotMismatch(
                f"snapshot at command {snapshot.commands}: the restored state does not "
                "snapshot to the same bytes"
            )
        commands = snapshot.commands
        journal_start = snapshot.journal_end
    reader = JournalReader(directory / JOURNAL_FILE, journal_start)
    apply = machine.apply
    for batch in reader:
        for command in batch:
            apply(command)
        commands += len(batch)
    if reader.torn_bytes:
        cut_torn_tail(directory / JOURNAL_FILE, reader.end)
    return Recovery(
        commands=commands,
        journal_end=reader.end,
        snapshot_commands=snapshot.commands if snapshot else 0,
        replayed=commands - (snapshot.commands if snapshot else 0),
        torn_bytes=reader.torn_bytes,
        skipped_snapshots=tuple(store.skipped),
    )

"""The durable sequencer: journal first, then apply, then acknowledge.

Commands are gathered into a batch (group commit). A batch is written to the journal as
one record and fdatasynced, then applied to the state machine, and only then are its events
handed back: handing back the events IS the acknowledgement, so an acknowledged command is
always on disk, and a crash loses only commands nobody was told about. The state never runs
ahead of the journal either, so after a crash recovery rebuilds every acknowledged command
and no batch is half-applied.

A batch is cut when it reaches `max_commands`, or when its oldest command has waited
`max_wait_ns` (measured here, in the driver, with a monotonic clock; the state machine
never reads one). Waiting is only noticed on `submit` or `poll`, so a caller with an
empty queue calls `poll` (or `flush`) instead of sleeping on pending commands.

A snapshot is taken once `snapshot_every` commands have been applied since the last one,
when the next batch starts: after the previous batch's events were released, so a failing
snapshot (a full disk) raises on a command that is not queued yet and loses no events.
"""

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.commands import Command
from engine.events import Event
from engine.journal import JournalWriter
from engine.recovery import (
    JOURNAL_FILE,
    SNAPSHOT_DIRECTORY,
    Recovery,
    StateMachine,
    recover,
)
from engine.snapshots import Snapshot, SnapshotStore


@dataclass(frozen=True, slots=True)
class GroupCommit:
    max_commands: int = 1_000  # commands per journal record and fsync
    max_wait_ns: int = 2_000_000  # longest a command waits for its batch to fill
    snapshot_every: int = 1_000_000  # commands between snapshots; 0 for none

    def __post_init__(self) -> None:
        if self.max_commands < 1:
            raise ValueError(f"max_commands must be at least 1, got {self.max_commands}")
        if self.max_wait_ns < 0:
            raise ValueError(f"max_wait_ns must not be negative, got {self.max_wait_ns}")
        if self.snapshot_every < 0:
            raise ValueError(f"snapshot_every must not be negative, got {self.snapshot_every}")


class DurableSequencer:
    """Recovers `machine` from `directory` on construction, then journals what it is given.

    `commands` counts the commands that are durable and applied; a command submitted as
    the n-th since the start of the journal (counting from 1) is acknowledged once
    `commands >= n`.
    """

    __slots__ = (
        "_batch",
        "_batch_started",
        "_clock",
        "_journal",
        "_machine",
        "_max_commands",
        "_max_wait_ns",
        "_policy",
        "_snapshot_at",
        "_snapshots",
        "commands",
        "recovery",
    )

    def __init__(
        self,
        directory: Path,
        machine: StateMachine,
        policy: GroupCommit,
        clock: Callable[[], int] = time.monotonic_ns,
    ):
        directory.mkdir(parents=True, exist_ok=True)
        self.recovery: Recovery = recover(directory, machine)
        self.commands = self.recovery.commands
        self._journal = JournalWriter(directory / JOURNAL_FILE, self.recovery.journal_end)
        self._snapshots = SnapshotStore(directory / SNAPSHOT_DIRECTORY)
        self._machine = machine
        self._policy = policy
        self._snapshot_at = self._next_snapshot(self.recovery.snapshot_commands)
        self._max_commands = policy.max_commands
        self._max_wait_ns = policy.max_wait_ns
        self._clock = clock
        self._batch: list[Command] = []
        self._batch_started = 0

    def submit(self, command: Command) -> list[Event]:
        """Queues `command`; returns the events of every command this call acknowledged
        (none while the batch is filling)."""
        batch = self._batch
        if not batch:
            if self.commands >= self._snapshot_at:
                self.take_snapshot()
            self._batch_started = self._clock()
        batch.append(command)
        if (
            len(batch) >= self._max_commands
            or self._clock() - self._batch_started >= self._max_wait_ns
        ):
            return self.flush()
        return []

    def poll(self) -> list[Event]:
        """Commits the batch if its oldest command has waited `max_wait_ns`."""
        if self._batch and self._clock() - self._batch_started >= self._max_wait_ns:
            return self.flush()
        return []

    def flush(self) -> list[Event]:
        """Commits the pending batch now: journal, fsync, apply; returns its events."""
        batch = self._batch
        if not batch:
            return []
        self._journal.commit(batch)
        self._batch = []
        events: list[Event] = []
        apply = self._machine.apply
        try:
            for command in batch:
                events.extend(apply(command))
        except BaseException:
            self._journal.close()  # the state is now half a batch ahead: accept nothing more
            raise
        self.commands += len(batch)
        return events

    @property
    def last_sync_ns(self) -> int:
        """How long the last batch's fdatasync took."""
        return self._journal.last_sync_ns

    def take_snapshot(self) -> None:
        """Saves the state as of the last committed batch, so recovery replays from here."""
        self._snapshots.save(
            Snapshot(
                commands=self.commands,
                journal_end=self._journal.durable_end,
                state=self._machine.snapshot(),
            )
        )
        self._snapshot_at = self._next_snapshot(self.commands)

    def _next_snapshot(self, last: int) -> int:
        every = self._policy.snapshot_every
        return last + every if every else sys.maxsize

    def close(self) -> list[Event]:
        """Commits what is pending and closes the journal; returns the last events."""
        events = self.flush()
        self._journal.close()
        return events

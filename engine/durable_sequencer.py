"""The durable sequencer: journal, apply, and acknowledge only what is on disk.

Commands are gathered into a batch (group commit). Cutting a batch writes it to the
journal as one record and starts its fdatasync on a background thread, then applies the
batch while the disk works (the sync releases the GIL). The batch's events are held back
until its fsync has returned: handing them back IS the acknowledgement, so an
acknowledged command is always on disk and a crash loses only commands nobody was told
about. A command is applied only after it is written, and recovery replays whole records,
so after a crash no batch is half-applied. The converse does not hold: a batch can be on
disk when the crash comes before its events were handed back, so an unacknowledged
command's fate is unknown until recovery (a member resending it under the same client
order id is refused as a duplicate, not executed twice).

An exception from `apply` is a bug in the state machine: journaling stops for good, and
since the batch is already journaled, recovery meets the same command again.

A batch is cut when it reaches `max_commands`, or when its oldest command has waited
`max_wait_ns` (measured here, in the driver, with a monotonic clock; the state machine
never reads one). Time is only looked at in `submit` and `poll`, so a caller with an empty
queue calls `poll` (or `flush`) rather than leaving commands or events waiting.

Only one batch is in flight: cutting the next one first waits for the previous fsync.
A due snapshot is taken when a new batch starts, after waiting for the one in flight:
only then does the state match the durable journal exactly. A failing snapshot (a full
disk) raises from `submit` before the command is queued, and the events held back while
waiting come out of the next call.

`flush(mark)` can note where the caller's input stands once everything submitted so far
is taken (an opaque position, see engine/command_intake.py): the mark is journaled in the
record that ends with those commands, a record of its own if none is pending.

A driver with an event loop of its own (engine/engine_service.py) must never wait on the
disk, so it uses the pipelined group commit instead of `submit`/`poll`/`flush`:
`enqueue` adds commands (and the input mark after them) to the next record without ever
cutting it; `start` cuts that record and starts its fsync only when no fsync is in
flight, and returns the fsync's future to await; once it is done, `land` hands back the
batch's events, and the driver calls `start` again at once. So while one record syncs the
next one fills with whatever arrives: the record size follows the load (one command when
idle, thousands when busy) and the disk is never idle while commands wait. Records are
still written one at a time, each after the previous one is durable, so only the last can
be torn. A due snapshot is taken by `start` too, with the state captured on the caller's
thread and the file written and fsynced on a thread of its own; if writing it fails, the
next `start` raises (as `submit` does), and the journal is untouched either way. One
sequencer is driven one way or the other, not both.
"""

import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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
    max_wait_ns: int = 2_000_000  # longest a command waits for its batch to be cut
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

    `commands` counts the acknowledged commands, durable and applied: a command submitted
    as the n-th since the journal began (counting from 1) is acknowledged once
    `commands >= n`, in the call that returned its events.
    """

    __slots__ = (
        "_batch",
        "_batch_started",
        "_clock",
        "_durable_events",
        "_flight",
        "_flight_commands",
        "_flight_events",
        "_journal",
        "_machine",
        "_mark",
        "_max_commands",
        "_max_wait_ns",
        "_snapshot_at",
        "_snapshot_every",
        "_snapshot_flight",
        "_snapshots",
        "_snapshotter",
        "_sync_started",
        "_syncer",
        "commands",
        "recovery",
    )

    def __init__(
        self,
        directory: Path,
        machine: StateMachine,
        policy: GroupCommit,
        clock: Callable[[], int] = time.monotonic_ns,
        on_replay: Callable[[list[Event]], object] | None = None,
    ):
        """`on_replay` receives the events recovery regenerates (see engine/recovery.py)."""
        directory.mkdir(parents=True, exist_ok=True)
        self.recovery: Recovery = recover(directory, machine, on_replay)
        self.commands = self.recovery.commands
        self._journal = JournalWriter(directory / JOURNAL_FILE, self.recovery.journal_end)
        self._snapshots = SnapshotStore(directory / SNAPSHOT_DIRECTORY)
        self._machine = machine
        self._max_commands = policy.max_commands
        self._max_wait_ns = policy.max_wait_ns
        self._snapshot_every = policy.snapshot_every
        self._snapshot_at = self._next_snapshot(self.recovery.snapshot_commands)
        self._clock = clock
        self._syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal-sync")
        self._sync_started = threading.Event()
        # `start` writes snapshots on a thread of its own, so as not to delay a fsync
        self._snapshotter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot")
        self._snapshot_flight: Future[object] | None = None  # a snapshot being written
        self._batch: list[Command] = []
        self._mark: bytes | None = None  # the input mark after the pending batch
        self._batch_started = 0
        self._flight: Future[None] | None = None  # the fsync of the batch in flight
        self._flight_commands = 0
        self._flight_events: list[Event] = []
        self._durable_events: list[Event] = []  # durable, not yet handed back

    def submit(self, command: Command) -> list[Event]:
        """Queues `command`; returns the events this call acknowledged (often none)."""
        batch = self._batch
        if not batch:
            if self.commands + self._flight_commands >= self._snapshot_at:
                self._land()
                self._save_snapshot()
            self._batch_started = self._clock()
        batch.append(command)
        if (
            len(batch) >= self._max_commands
            or self._clock() - self._batch_started >= self._max_wait_ns
        ):
            self._cut()
            return self._hand_back()
        return []

    def poll(self) -> list[Event]:
        """Hands back the events of a batch whose fsync has finished, and cuts the pending
        batch if its oldest command has waited `max_wait_ns`. Never blocks on the disk
        unless it cuts."""
        if self._batch and self._clock() - self._batch_started >= self._max_wait_ns:
            self._cut()
        elif self._flight is not None and self._flight.done():
            self._land()
        return self._hand_back()

    def flush(self, mark: bytes | None = None) -> list[Event]:
        """Cuts the pending batch (with the input `mark`, if given) and waits until
        everything is durable; returns all the events not yet handed back."""
        if mark is not None:
            self._mark = mark
        if self._batch or self._mark is not None:
            self._cut()
        self._land()
        self._wait_for_snapshot()
        return self._hand_back()

    def enqueue(self, commands: Sequence[Command], mark: bytes | None = None) -> None:
        """Adds `commands` to the next record, with the input `mark` that follows them;
        never cuts the record (that is `start`'s) and never blocks. Commands without a
        mark void an earlier pending one, which would claim to cover them."""
        if commands or mark is not None:
            self._batch.extend(commands)
            self._mark = mark

    @property
    def max_commands(self) -> int:
        """The group commit policy's commands per record: `submit` cuts there, and a
        pipelined driver stops adding once that many are queued."""
        return self._max_commands

    @property
    def queued(self) -> int:
        """Commands waiting for the next record."""
        return len(self._batch)

    def start(self) -> Future[None] | None:
        """The fsync to wait for: the one in flight, or else a new one of the pending
        record (commands or a mark), cut now and applied while the disk works. None when
        nothing is pending or in flight. Blocks on nothing but writing the record."""
        if self._flight is not None:
            return self._flight
        if not self._batch and self._mark is None:
            return None
        written = self._snapshot_flight
        if written is not None and written.done():
            self._wait_for_snapshot()  # raises if writing it failed
        if self.commands >= self._snapshot_at:
            self._wait_for_snapshot()
            snapshot = self._capture_snapshot()
            self._snapshot_at = self._next_snapshot(snapshot.commands)
            self._snapshot_flight = self._snapshotter.submit(self._snapshots.save, snapshot)
        self._cut(hand_over=False)
        return self._flight

    def land(self) -> list[Event]:
        """The events of the record whose fsync (from `start`) is done, now durable;
        raises what the fsync raised, and then accepts nothing more."""
        flight = self._flight
        if flight is not None and not flight.done():
            raise RuntimeError("landing a journal record whose fsync is still running")
        self._land()
        return self._hand_back()

    def take_snapshot(self) -> None:
        """Saves the state, which must match the durable journal: nothing pending or in
        flight (after `flush`)."""
        if self._batch or self._flight is not None:
            raise RuntimeError("snapshot with commands pending or in flight: flush first")
        self._save_snapshot()

    def _save_snapshot(self) -> None:
        self._wait_for_snapshot()
        snapshot = self._capture_snapshot()
        self._snapshots.save(snapshot)
        self._snapshot_at = self._next_snapshot(snapshot.commands)

    def _capture_snapshot(self) -> Snapshot:
        """The state now, which must match the durable journal: nothing pending applied,
        nothing in flight."""
        return Snapshot(
            commands=self.commands,
            journal_end=self._journal.durable_end,
            state=self._machine.snapshot(),
        )

    def _wait_for_snapshot(self) -> None:
        """Waits for the snapshot `start` is writing, if any; if writing it failed, raises
        that, and the next cut takes a snapshot again."""
        flight = self._snapshot_flight
        if flight is None:
            return
        self._snapshot_flight = None
        try:
            flight.result()
        except BaseException:
            self._snapshot_at = self.commands
            raise

    @property
    def last_sync_ns(self) -> int:
        """How long the last batch's fdatasync took."""
        return self._journal.last_sync_ns

    def close(self) -> list[Event]:
        """Makes everything durable, stops the sync thread, closes the journal; returns the
        last events."""
        try:
            return self.flush()
        finally:
            self._syncer.shutdown()
            self._snapshotter.shutdown()
            self._journal.close()

    def _cut(self, hand_over: bool = True) -> None:
        """Lands the batch in flight, then journals the pending batch with the pending
        mark, starts its fsync and applies it while the disk works. `hand_over` waits
        until the sync thread has started (see `_sync`); `start` does not, as its caller
        is an event loop that must not wait on another thread being scheduled, and that
        gives up the GIL whenever it waits for input anyway."""
        self._land()
        batch = self._batch
        try:
            self._journal.append(batch, self._mark)
        except BaseException:
            self._fail()  # a failed write, or a writer a failed fsync closed
            raise
        self._batch = []
        self._mark = None
        self._sync_started.clear()
        self._flight = self._syncer.submit(self._sync)
        if hand_over:
            self._sync_started.wait()
        self._flight_commands = len(batch)
        events = self._flight_events
        apply = self._machine.apply
        try:
            for command in batch:
                events.extend(apply(command))
        except BaseException:
            self._fail()  # the state is part way through a batch: accept nothing more
            raise

    def _sync(self) -> None:
        """Runs on the sync thread. Signals first, so the caller, blocked until then, gives
        up the GIL and the fsync starts now rather than at the next forced GIL switch
        (every 5 ms): a batch applied in less would not overlap its fsync at all."""
        self._sync_started.set()
        self._journal.sync()

    def _land(self) -> None:
        """Waits for the fsync in flight; its batch's events become ready to hand back."""
        flight = self._flight
        if flight is None:
            return
        try:
            flight.result()
        except BaseException:
            self._fail()
            raise
        self._flight = None
        self.commands += self._flight_commands
        self._durable_events.extend(self._flight_events)
        self._flight_commands = 0
        self._flight_events = []

    def _hand_back(self) -> list[Event]:
        events = self._durable_events
        self._durable_events = []
        return events

    def _fail(self) -> None:
        """Stops journaling for good; the batch in flight and the pending one are never
        acknowledged (so `close` has nothing left to write)."""
        self._syncer.shutdown(wait=True)
        self._journal.close()
        self._batch = []
        self._mark = None
        self._flight = None
        self._flight_commands = 0
        self._flight_events = []

    def _next_snapshot(self, last: int) -> int:
        return last + self._snapshot_every if self._snapshot_every else sys.maxsize

"""Recovery: newest valid snapshot + journal tail rebuilds exactly the uninterrupted state."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.durable_sequencer import DurableSequencer, GroupCommit
from engine.journal import JournalCorrupted, JournalReader
from engine.recovery import JOURNAL_FILE, SNAPSHOT_DIRECTORY, SnapshotMismatch, recover
from tests.engine.tally import Tally, cash_movements


def replayed_hash(commands: list) -> str:
    machine = Tally()
    for command in commands:
        machine.apply(command)
    return machine.state_hash()


def journal(directory: Path, commands: list, policy: GroupCommit) -> None:
    sequencer = DurableSequencer(directory, Tally(), policy)
    for command in commands:
        sequencer.submit(command)
    sequencer.close()


def test_snapshot_plus_tail_equals_full_replay(tmp_path: Path) -> None:
    commands = cash_movements(seed=3, count=250)
    journal(tmp_path, commands, GroupCommit(max_commands=10, snapshot_every=100))
    machine = Tally()
    recovery = recover(tmp_path, machine)
    assert (recovery.snapshot_commands, recovery.replayed) == (200, 50)
    assert recovery.commands == 250
    assert machine.state_hash() == replayed_hash(commands)


def test_a_damaged_newest_snapshot_falls_back_to_the_older_one(tmp_path: Path) -> None:
    commands = cash_movements(seed=4, count=250)
    journal(tmp_path, commands, GroupCommit(max_commands=10, snapshot_every=100))
    newest = tmp_path / SNAPSHOT_DIRECTORY / f"snapshot-{200:020d}.bin"
    damaged = bytearray(newest.read_bytes())
    damaged[-1] ^= 0xFF
    newest.write_bytes(damaged)
    machine = Tally()
    recovery = recover(tmp_path, machine)
    assert recovery.skipped_snapshots == (newest,)
    assert (recovery.snapshot_commands, recovery.replayed) == (100, 150)
    assert machine.state_hash() == replayed_hash(commands)


def test_an_unfinished_snapshot_file_is_ignored(tmp_path: Path) -> None:
    commands = cash_movements(seed=5, count=120)
    journal(tmp_path, commands, GroupCommit(max_commands=10, snapshot_every=100))
    (tmp_path / SNAPSHOT_DIRECTORY / "snapshot.tmp").write_bytes(b"TCXS half a snap")
    machine = Tally()
    assert recover(tmp_path, machine).snapshot_commands == 100
    assert machine.state_hash() == replayed_hash(commands)


def test_a_snapshot_that_does_not_restore_exactly_is_refused(tmp_path: Path) -> None:
    class Forgetful(Tally):
        def restore(self, data: bytes) -> None:
            super().restore(data)
            self.balances.popitem()

    commands = cash_movements(seed=6, count=30)
    journal(tmp_path, commands, GroupCommit(max_commands=10, snapshot_every=10))
    with pytest.raises(SnapshotMismatch, match="snapshot at command 20"):
        recover(tmp_path, Forgetful())


def test_a_torn_tail_at_every_byte_of_the_last_record_is_cut_and_the_rest_replays(
    tmp_path: Path,
) -> None:
    commands = cash_movements(seed=12, count=30)
    journal(tmp_path, commands, GroupCommit(max_commands=10, snapshot_every=0))
    path = tmp_path / JOURNAL_FILE
    whole = path.read_bytes()
    reader = JournalReader(path)
    record_ends = [reader.end for _ in reader]
    last_start = record_ends[-2]
    expected = replayed_hash(commands[:20])
    for cut in range(last_start + 1, len(whole)):
        path.write_bytes(whole[:cut])
        machine = Tally()
        recovery = recover(tmp_path, machine)
        assert (recovery.commands, recovery.torn_bytes) == (20, cut - last_start), cut
        assert machine.state_hash() == expected
        assert path.stat().st_size == last_start


def test_a_torn_tail_is_cut_and_journaling_continues_after_it(tmp_path: Path) -> None:
    commands = cash_movements(seed=7, count=40)
    journal(tmp_path, commands[:30], GroupCommit(max_commands=10, snapshot_every=0))
    path = tmp_path / JOURNAL_FILE
    intact = path.stat().st_size
    with open(path, "ab") as file:
        file.write(b"TCXJ\x10\x00")  # a crash two bytes into the next header
    sequencer = DurableSequencer(tmp_path, Tally(), GroupCommit(max_commands=10))
    assert (sequencer.recovery.commands, sequencer.recovery.torn_bytes) == (30, 6)
    assert path.stat().st_size == intact
    for command in commands[30:]:
        sequencer.submit(command)
    sequencer.close()
    machine = Tally()
    assert recover(tmp_path, machine).commands == 40
    assert machine.state_hash() == replayed_hash(commands)


def test_events_are_released_only_when_their_batch_is_durable(tmp_path: Path) -> None:
    commands = cash_movements(seed=8, count=7)
    sequencer = DurableSequencer(tmp_path, Tally(), GroupCommit(max_commands=3))
    released = [len(sequencer.submit(command)) for command in commands]
    assert released == [0, 0, 3, 0, 0, 3, 0]
    assert sequencer.commands == 6
    on_disk = Tally()
    assert recover(tmp_path, on_disk).commands == 6
    assert len(sequencer.flush()) == 1
    assert sequencer.commands == 7


def test_a_batch_is_cut_when_its_oldest_command_has_waited_long_enough(tmp_path: Path) -> None:
    now = [0]
    sequencer = DurableSequencer(
        tmp_path, Tally(), GroupCommit(max_commands=100, max_wait_ns=1_000), clock=lambda: now[0]
    )
    first, second = cash_movements(seed=9, count=2)
    assert sequencer.submit(first) == []
    now[0] = 999
    assert sequencer.submit(second) == []
    assert sequencer.poll() == []
    now[0] = 1_000
    assert len(sequencer.poll()) == 2
    assert sequencer.commands == 2


def test_a_failing_apply_stops_the_sequencer(tmp_path: Path) -> None:
    class Broken(Tally):
        def apply(self, command):
            raise RuntimeError("bug in the state machine")

    sequencer = DurableSequencer(tmp_path, Broken(), GroupCommit(max_commands=1))
    command, after = cash_movements(seed=10, count=2)
    with pytest.raises(RuntimeError, match="bug in the state machine"):
        sequencer.submit(command)
    with pytest.raises(OSError, match="closed or failed"):
        sequencer.submit(after)


@pytest.mark.parametrize(
    ("field", "value"), [("max_commands", 0), ("max_wait_ns", -1), ("snapshot_every", -5)]
)
def test_a_bad_group_commit_policy_is_refused(field: str, value: int) -> None:
    with pytest.raises(ValueError, match=field):
        GroupCommit(**{field: value})


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    count=st.integers(0, 300),
    max_commands=st.integers(1, 40),
    snapshot_every=st.integers(0, 120),
    restarts=st.lists(st.integers(0, 300), max_size=3),
    data=st.data(),
)
def test_recovery_reproduces_the_uninterrupted_state(
    tmp_path_factory: pytest.TempPathFactory,
    seed: int,
    count: int,
    max_commands: int,
    snapshot_every: int,
    restarts: list[int],
    data: st.DataObject,
) -> None:
    """Any stream, cut into batches and snapshots anywhere, stopped and restarted anywhere
    (each time losing the unflushed batch and leaving a torn write, like a crash), recovers
    to the state of an uninterrupted replay of exactly the acknowledged commands."""
    directory = tmp_path_factory.mktemp("recovery")
    commands = cash_movements(seed, count)
    policy = GroupCommit(max_commands=max_commands, snapshot_every=snapshot_every)
    sequencer = DurableSequencer(directory, Tally(), policy)
    submitted: list = []
    acknowledged = 0
    for position, command in enumerate(commands):
        if position in restarts:  # the old sequencer "crashed", maybe mid-write
            with open(directory / JOURNAL_FILE, "ab") as file:
                file.write(data.draw(st.binary(max_size=40), label="torn write"))
            sequencer = DurableSequencer(directory, Tally(), policy)
            assert sequencer.commands == acknowledged
            del submitted[acknowledged:]  # lost with the crash: never acknowledged
        submitted.append(command)
        sequencer.submit(command)
        acknowledged = sequencer.commands
    if data.draw(st.booleans(), label="flush before the end"):
        sequencer.flush()
        acknowledged = sequencer.commands
    machine = Tally()
    recovery = recover(directory, machine)
    assert recovery.commands == acknowledged
    assert machine.state_hash() == replayed_hash(submitted[:acknowledged])


def test_damage_before_valid_records_stops_recovery_and_changes_nothing(tmp_path: Path) -> None:
    commands = cash_movements(seed=13, count=30)
    journal(tmp_path, commands, GroupCommit(max_commands=10, snapshot_every=0))
    path = tmp_path / JOURNAL_FILE
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0x04
    path.write_bytes(damaged)
    with pytest.raises(JournalCorrupted, match="acknowledged history is damaged"):
        recover(tmp_path, Tally())
    assert path.read_bytes() == damaged


def test_only_the_newest_snapshots_are_kept(tmp_path: Path) -> None:
    journal(
        tmp_path,
        cash_movements(seed=14, count=510),
        GroupCommit(max_commands=10, snapshot_every=100),
    )
    kept = sorted(path.name for path in (tmp_path / SNAPSHOT_DIRECTORY).iterdir())
    assert kept == [f"snapshot-{400:020d}.bin", f"snapshot-{500:020d}.bin"]


def test_a_failing_snapshot_loses_no_events_and_queues_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / SNAPSHOT_DIRECTORY
    blocker.write_bytes(b"a file where the snapshot directory should be")
    commands = cash_movements(seed=15, count=6)
    policy = GroupCommit(max_commands=5, snapshot_every=5)
    sequencer = DurableSequencer(tmp_path, Tally(), policy)
    released = [event for command in commands[:5] for event in sequencer.submit(command)]
    assert len(released) == 5
    with pytest.raises(FileExistsError):
        sequencer.submit(commands[5])
    assert sequencer.flush() == []
    blocker.unlink()
    assert sequencer.submit(commands[5]) == []
    assert len(sequencer.close()) == 1
    machine = Tally()
    assert recover(tmp_path, machine).snapshot_commands == 5
    assert machine.state_hash() == replayed_hash(commands)

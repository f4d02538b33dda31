"""The journal file: records round-trip, torn tails are cut, damage to history is refused."""

from pathlib import Path

import pytest

from engine.journal import (
    HEADER,
    JournalCorrupted,
    JournalReader,
    JournalWriter,
    encode_record,
)
from tests.engine.tally import cash_movements


def write_batches(path: Path, batches: list[list]) -> list[int]:
    """Commits `batches`; returns each record's start offset."""
    writer = JournalWriter(path, 0)
    starts = []
    for batch in batches:
        starts.append(writer.durable_end)
        writer.commit(batch)
    writer.close()
    return starts


def three_batches() -> list[list]:
    commands = cash_movements(seed=1, count=9)
    return [commands[0:4], commands[4:5], commands[5:9]]


def test_batches_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    batches = three_batches()
    write_batches(path, batches)
    reader = JournalReader(path)
    assert list(reader) == batches
    assert reader.end == path.stat().st_size
    assert reader.torn_bytes == 0


def test_reading_from_a_record_boundary_gives_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    batches = three_batches()
    starts = write_batches(path, batches)
    assert list(JournalReader(path, starts[1])) == batches[1:]


def test_a_missing_journal_is_empty(tmp_path: Path) -> None:
    reader = JournalReader(tmp_path / "journal.log")
    assert list(reader) == []
    assert reader.end == 0


def test_a_flipped_byte_in_the_last_record_is_detected_and_never_read(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    batches = three_batches()
    last_start = write_batches(path, batches)[-1]
    whole = path.read_bytes()
    for position in range(last_start, len(whole)):
        damaged = bytearray(whole)
        damaged[position] ^= 0x01
        path.write_bytes(damaged)
        reader = JournalReader(path)
        assert list(reader) == batches[:-1], position
        assert reader.torn_bytes == len(whole) - last_start


def test_a_flipped_byte_before_valid_records_is_refused_not_cut(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    starts = write_batches(path, three_batches())
    whole = path.read_bytes()
    for position in range(starts[1], starts[2]):
        damaged = bytearray(whole)
        damaged[position] ^= 0x80
        path.write_bytes(damaged)
        with pytest.raises(JournalCorrupted) as raised:
            list(JournalReader(path))
        assert (raised.value.offset, raised.value.next_valid) == (starts[1], starts[2])


def test_a_zero_filled_tail_is_torn(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    batches = three_batches()
    write_batches(path, batches)
    size = path.stat().st_size
    with open(path, "ab") as file:
        file.write(bytes(HEADER.size + 100))
    reader = JournalReader(path)
    assert list(reader) == batches
    assert (reader.end, reader.torn_bytes) == (size, HEADER.size + 100)


def test_the_writer_appends_only_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    write_batches(path, three_batches())
    size = path.stat().st_size
    with pytest.raises(ValueError, match="appending was to start at 5"):
        JournalWriter(path, 5)
    assert path.stat().st_size == size


def test_a_closed_writer_refuses_to_commit(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "journal.log", 0)
    writer.close()
    with pytest.raises(OSError, match="closed or failed"):
        writer.commit(cash_movements(seed=2, count=1))
    assert (tmp_path / "journal.log").stat().st_size == 0


def test_an_empty_record_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a payload"):
        encode_record(b"")

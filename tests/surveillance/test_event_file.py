import pytest

from surveillance.event_file import (
    MAGIC,
    EventFileError,
    count_events,
    read_events,
    write_events,
)
from surveillance.scenarios.day import generate_day


@pytest.fixture(scope="module")
def day():
    return generate_day(7, episodes_per_pattern=1)


def test_events_come_back_as_written(tmp_path, day):
    path = tmp_path / "day.tcxev"
    assert write_events(path, day.events) == len(day.events)
    assert count_events(path) == len(day.events)
    assert list(read_events(path)) == day.events


def test_a_file_cut_short_is_refused(tmp_path, day):
    path = tmp_path / "day.tcxev"
    write_events(path, day.events[:10])
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(EventFileError, match="cut short"):
        count_events(path)
    with pytest.raises(EventFileError, match="record 9 is cut short"):
        list(read_events(path))


def test_a_file_that_is_not_an_event_file_is_refused(tmp_path):
    path = tmp_path / "other.bin"
    path.write_bytes(b"hello world")
    with pytest.raises(EventFileError, match="not a tcx event file"):
        count_events(path)


def test_a_record_that_is_not_an_event_is_refused(tmp_path):
    path = tmp_path / "bad.tcxev"
    path.write_bytes(MAGIC + (3).to_bytes(4, "big") + b"\x93\x01\x02")
    with pytest.raises(EventFileError, match="record 0 is not an event"):
        list(read_events(path))

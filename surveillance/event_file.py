"""A stored day of events: the file `tcx surveil replay` reads.

Format: the 8-byte magic b"TCXEVT1\n", then one record per event, each a 4-byte
big-endian length followed by that many bytes of `engine.events.encode_event` (msgpack).
Length prefixes let a reader count and skip records without decoding them, which is how
replay knows the total for its progress bar.
"""

import struct
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgspec

from engine.events import Event, decode_event, encode_event

MAGIC = b"TCXEVT1\n"
_LENGTH = struct.Struct(">I")


class EventFileError(ValueError):
    pass


def write_events(path: str | Path, events: Iterable[Event]) -> int:
    """Writes the events; returns how many."""
    count = 0
    with open(path, "wb") as out:
        out.write(MAGIC)
        for event in events:
            payload = encode_event(event)
            out.write(_LENGTH.pack(len(payload)))
            out.write(payload)
            count += 1
    return count


def _contents(path: str | Path) -> memoryview:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise EventFileError(f"{path}: no such file") from exc
    if not data.startswith(MAGIC):
        raise EventFileError(f"{path}: not a tcx event file (it does not start with {MAGIC!r})")
    return memoryview(data)


def count_events(path: str | Path) -> int:
    data = _contents(path)
    offset, count, end = len(MAGIC), 0, len(data)
    while offset < end:
        offset += _LENGTH.size + _LENGTH.unpack_from(data, offset)[0]
        count += 1
    if offset != end:
        raise EventFileError(f"{path}: the last record is cut short")
    return count


def read_events(path: str | Path) -> Iterator[Event]:
    data = _contents(path)
    offset, end, index = len(MAGIC), len(data), 0
    unpack, size = _LENGTH.unpack_from, _LENGTH.size
    while offset < end:
        if offset + size > end:
            raise EventFileError(f"{path}: record {index} is cut short")
        (length,) = unpack(data, offset)
        offset += size
        if offset + length > end:
            raise EventFileError(f"{path}: record {index} is cut short")
        try:
            yield decode_event(data[offset : offset + length])
        except msgspec.DecodeError as exc:
            raise EventFileError(f"{path}: record {index} is not an event: {exc}") from exc
        offset += length
        index += 1

"""The command journal: an append-only file of checksummed records, the engine's source of truth.

A record is `magic | payload length | CRC32(payload) | payload` (little-endian, 12-byte
header) and holds one group commit: the payload is a msgpack array of commands, each
encoded as `encode_command` encodes it. A batch costs one checksum and one fsync however
many commands it carries, and it is durable as a whole or not at all.

A record may also carry an input mark (then the payload is the map of `MarkedBatch`):
where the engine's input stood once the record's commands were taken, opaque here. It is
written in the same record as the commands, so the two are durable together and a
restarted engine resumes its input exactly after what it journaled (engine/command_intake.py).

Reading stops at the first record that is incomplete or fails its checksum. Whether that
is a torn tail or damage to history depends on what follows it:
- nothing valid follows: it is a write that a crash interrupted. Its commands were never
  acknowledged (acknowledgement waits for the fsync), so it is cut off and never replayed.
- a valid record follows: durable, acknowledged history is damaged. Cutting there would
  silently drop acknowledged commands, so reading raises `JournalCorrupted` instead and
  an operator decides.
The magic lets the reader find the next record after a damaged one without trusting the
damaged length field.
"""

import mmap
import os
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import msgspec

from engine.commands import AnyCommand, Command

MAGIC = b"TCXJ"
HEADER = struct.Struct("<4sII")
MAX_PAYLOAD = 1 << 30  # a larger length field can only be damage


class MarkedBatch(msgspec.Struct, frozen=True):
    commands: list[AnyCommand]
    mark: bytes


class _MarkedBatchScan(msgspec.Struct, frozen=True):
    """A marked record read for its mark only: the commands are counted, not decoded."""

    commands: list[msgspec.Raw]
    mark: bytes


_encode_batch = msgspec.msgpack.Encoder().encode
_decode_batch = msgspec.msgpack.Decoder(list[AnyCommand] | MarkedBatch).decode
_decode_scan = msgspec.msgpack.Decoder(list[msgspec.Raw] | _MarkedBatchScan).decode


class JournalCorrupted(Exception):
    def __init__(self, path: Path, offset: int, next_valid: int):
        super().__init__(
            f"{path}: damaged record at byte {offset} with a valid record after it "
            f"(at byte {next_valid}): acknowledged history is damaged, refusing to cut it"
        )
        self.path = path
        self.offset = offset
        self.next_valid = next_valid


def encode_record(payload: bytes) -> bytes:
    if not payload:
        raise ValueError("a journal record needs a payload")
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"record payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    return HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def _record_end(buffer: mmap.mmap | bytes, offset: int) -> int:
    """End offset of the valid record at `offset`, or -1 if there is none there."""
    size = len(buffer)
    if size - offset < HEADER.size:
        return -1
    magic, length, crc = HEADER.unpack_from(buffer, offset)
    start = offset + HEADER.size
    end = start + length
    if magic != MAGIC or length == 0 or end > size:
        return -1
    if zlib.crc32(memoryview(buffer)[start:end]) != crc:
        return -1
    return end


def _next_valid_record(buffer: mmap.mmap, offset: int) -> int:
    """Offset of the first valid record after `offset`, or -1."""
    position = buffer.find(MAGIC, offset + 1)
    while position != -1:
        if _record_end(buffer, position) != -1:
            return position
        position = buffer.find(MAGIC, position + 1)
    return -1


class JournalReader:
    """Iterates the command batches of the valid records from `start`; `end` is the offset
    just past the last batch read, and after the last one `torn_bytes` is the length of
    the torn tail."""

    __slots__ = ("end", "path", "start", "torn_bytes")

    def __init__(self, path: Path, start: int = 0):
        self.path = path
        self.start = start
        self.end = start
        self.torn_bytes = 0

    def __iter__(self) -> Iterator[list[Command]]:
        for payload in self.payloads():
            batch = _decode_batch(payload)
            yield batch.commands if type(batch) is MarkedBatch else batch

    def last_mark(self) -> tuple[bytes | None, int]:
        """The last input mark (None if no record has one) and the number of commands
        journaled after it, read without decoding any command."""
        mark = None
        after = 0
        for payload in self.payloads():
            record = _decode_scan(payload)
            if type(record) is _MarkedBatchScan:
                mark = record.mark
                after = 0
            else:
                after += len(record)
        return mark, after

    def payloads(self) -> Iterator[bytes]:
        if not self.path.exists():
            if self.start:
                raise ValueError(f"{self.path}: missing, but reading was to start at {self.start}")
            return
        with open(self.path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size < self.start:
                raise ValueError(f"{self.path}: {size} bytes, shorter than start {self.start}")
            if size == self.start:
                return
            with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as buffer:
                offset = self.start
                while offset < size:
                    end = _record_end(buffer, offset)
                    if end == -1:
                        next_valid = _next_valid_record(buffer, offset)
                        if next_valid != -1:
                            raise JournalCorrupted(self.path, offset, next_valid)
                        self.torn_bytes = size - offset
                        return
                    self.end = end
                    yield buffer[offset + HEADER.size : end]
                    offset = end


class JournalWriter:
    """Appends records at the journal's valid end.

    `append` writes one batch as one record; `sync` fdatasyncs everything appended, and
    when it returns those batches are durable (`durable_end` moves past them). `sync` may
    run on another thread while the caller works, but nothing may be appended until it
    returns, so at most one record is ever written and not yet durable: only the last
    record can be torn. A failed write or fsync leaves the writer unusable: after a failed
    fsync the kernel may have dropped the dirty pages, so retrying could report durability
    that is not there. The process must recover from the journal.
    """

    __slots__ = ("_fd", "durable_end", "last_sync_ns", "path", "written_end")

    def __init__(self, path: Path, end: int):
        """Opens `path` for appending at `end`, which must be its size: recovery has cut
        any torn tail off before anything is written after it."""
        self.path = path
        created = not path.exists()
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        size = os.fstat(self._fd).st_size
        if size != end:
            os.close(self._fd)
            self._fd = -1
            raise ValueError(f"{path}: {size} bytes, but appending was to start at {end}")
        if created:
            os.fsync(self._fd)
            sync_directory(path.parent)
        os.lseek(self._fd, end, os.SEEK_SET)
        self.durable_end = self.written_end = end
        self.last_sync_ns = 0  # how long the last fdatasync took (for metrics)

    def append(self, commands: list[Command], mark: bytes | None = None) -> None:
        """Writes one record of `commands`, with the input `mark` when given (a record
        may then hold no command: the mark alone)."""
        self._check_open()
        if self.written_end != self.durable_end:
            raise RuntimeError(f"{self.path}: appending before the last record was synced")
        batch = commands if mark is None else MarkedBatch(commands, mark)
        record = encode_record(_encode_batch(batch))
        try:
            written = os.write(self._fd, record)
            if written != len(record):
                raise OSError(f"{self.path}: short write ({written} of {len(record)} bytes)")
        except OSError:
            self.close()
            raise
        self.written_end += len(record)

    def sync(self) -> None:
        self._check_open()
        started = time.perf_counter_ns()
        try:
            os.fdatasync(self._fd)
        except OSError:
            self.close()
            raise
        self.last_sync_ns = time.perf_counter_ns() - started
        self.durable_end = self.written_end

    def _check_open(self) -> None:
        if self._fd < 0:
            raise OSError(f"{self.path}: journal writer is closed or failed")

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def cut_torn_tail(path: Path, end: int) -> None:
    """Truncates the journal to `end`, durably, so the torn bytes are never read again."""
    with open(path, "r+b") as file:
        file.truncate(end)
        os.fsync(file.fileno())


def sync_directory(directory: Path) -> None:
    """Makes a created or renamed file's directory entry durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""Snapshots: the whole engine state at a journal position, so recovery replays only the tail.

Each snapshot is its own file, `snapshot-<commands>.bin`, written atomically (temporary
file, fsync, rename, fsync of the directory): a crash leaves either the complete file or
none. The file is `magic | CRC32(body) | body`, the body a msgpack `Snapshot`. A file that
fails its checks is skipped and the next older one is used, so a few are kept.
"""

import os
import struct
import zlib
from pathlib import Path

import msgspec

from engine.journal import sync_directory

MAGIC = b"TCXS"
HEADER = struct.Struct("<4sI")
PREFIX = "snapshot-"
SUFFIX = ".bin"
UNFINISHED = "snapshot.tmp"


class Snapshot(msgspec.Struct, array_like=True, frozen=True):
    commands: int  # commands applied to reach this state: the next one's index
    journal_end: int  # journal offset just past the last record applied: replay starts here
    state: bytes  # the state machine's own snapshot, canonically encoded


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Snapshot).decode


class SnapshotStore:
    __slots__ = ("directory", "keep", "skipped")

    def __init__(self, directory: Path, keep: int = 2):
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        self.directory = directory
        self.keep = keep
        self.skipped: list[Path] = []  # files newest_valid() found damaged

    def save(self, snapshot: Snapshot) -> Path:
        """Writes `snapshot` atomically, then deletes all but the newest `keep` files."""
        self.directory.mkdir(parents=True, exist_ok=True)
        body = _encode(snapshot)
        unfinished = self.directory / UNFINISHED
        with open(unfinished, "wb") as file:
            file.write(HEADER.pack(MAGIC, zlib.crc32(body)))
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
        path = self.directory / f"{PREFIX}{snapshot.commands:020d}{SUFFIX}"
        os.replace(unfinished, path)
        sync_directory(self.directory)
        for old in self._files()[self.keep :]:
            old.unlink()
        return path

    def newest_valid(self) -> Snapshot | None:
        """The newest snapshot whose file is intact; damaged ones are listed in `skipped`."""
        for path in self._files():
            snapshot = _read(path)
            if snapshot is not None:
                return snapshot
            self.skipped.append(path)
        return None

    def _files(self) -> list[Path]:
        """Snapshot files, newest first (the zero-padded count sorts as text)."""
        if not self.directory.exists():
            return []
        return sorted(self.directory.glob(f"{PREFIX}*{SUFFIX}"), reverse=True)


def _read(path: Path) -> Snapshot | None:
    data = path.read_bytes()
    if len(data) < HEADER.size:
        return None
    magic, crc = HEADER.unpack_from(data)
    body = memoryview(data)[HEADER.size :]
    if magic != MAGIC or zlib.crc32(body) != crc:
        return None
    try:
        snapshot = _decode(body)
    except msgspec.DecodeError:
        return None
    if path.name != f"{PREFIX}{snapshot.commands:020d}{SUFFIX}":
        return None
    return snapshot

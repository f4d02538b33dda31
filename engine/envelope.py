"""The stream's wire format: a versioned envelope around a batch of items.

An envelope is the msgpack array `[version, [item, item, ...]]`, the items being the
msgpack-encoded items of one vocabulary: the engine's events or commands (`events.py`,
`commands.py`), or another component's messages carried on a topic of its own (an
`Envelopes` made by that component, which the engine then carries without knowing it).
The version sits in front of the batch so a reader checks it before decoding any item: a
batch written by a newer (or foreign) producer is refused as a whole, with a reason,
instead of being half-understood. One envelope carries many items because the
per-message cost of a broker dwarfs the per-item cost of msgpack.
"""

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import msgspec

from engine.commands import AnyCommand
from engine.events import SCHEMA_VERSION, AnyEvent

T = TypeVar("T")

_ARRAY_OF_TWO = 0x92  # msgpack fixarray header, length 2
_encoder = msgspec.msgpack.Encoder()
_header_decoder = msgspec.msgpack.Decoder(tuple[int, msgspec.Raw])


class EnvelopeError(ValueError):
    """An envelope that cannot be read: the message says why, for the quarantine log."""


def encode_envelope(items: Sequence[Any], version: int = SCHEMA_VERSION) -> bytes:
    """Writes the header by hand so the batch is encoded once, straight into the buffer."""
    buffer = bytearray((_ARRAY_OF_TWO,))
    buffer += _encoder.encode(version)
    _encoder.encode_into(items, buffer, len(buffer))
    return bytes(buffer)


class Envelopes(Generic[T]):
    """One vocabulary's envelopes: the version it writes and reads, and its item type
    (a msgspec type, usually a union of tagged Structs)."""

    __slots__ = ("_decoder", "kind", "version")

    def __init__(self, kind: str, item_type: Any, version: int) -> None:
        self.kind = kind  # what the items are, plural, for error messages
        self.version = version
        self._decoder = msgspec.msgpack.Decoder(list[item_type])

    def encode(self, items: Sequence[T]) -> bytes:
        return encode_envelope(items, self.version)

    def decode(self, payload: bytes) -> list[T]:
        """The batch's items, or EnvelopeError naming what is wrong with the payload."""
        try:
            version, items = _header_decoder.decode(payload)
        except msgspec.DecodeError as error:
            raise EnvelopeError(f"not an envelope: {error}") from None
        if version != self.version:
            raise EnvelopeError(
                f"unknown schema version {version} of {self.kind} (this build reads {self.version})"
            )
        try:
            return self._decoder.decode(items)
        except msgspec.DecodeError as error:
            raise EnvelopeError(
                f"envelope of version {version} holds bad {self.kind}: {error}"
            ) from None


EVENTS = Envelopes("events", AnyEvent, SCHEMA_VERSION)
COMMANDS = Envelopes("commands", AnyCommand, SCHEMA_VERSION)


def decode_envelope(payload: bytes, carries_events: bool) -> list[Any]:
    """The batch's engine events (or commands), or EnvelopeError saying why not."""
    return (EVENTS if carries_events else COMMANDS).decode(payload)

"""The stream's wire format: a versioned envelope around a batch of items.

An envelope is the msgpack array `[version, [item, item, ...]]`, the items being the
array-encoded events or commands of `events.py` / `commands.py`. The version sits in
front of the batch so a reader checks it before decoding any item: a batch written by a
newer (or foreign) producer is refused as a whole, with a reason, instead of being
half-understood. One envelope carries many items because the per-message cost of a
broker dwarfs the per-item cost of msgpack.
"""

from collections.abc import Sequence
from typing import Any

import msgspec

from engine.commands import AnyCommand, Command
from engine.events import SCHEMA_VERSION, AnyEvent, Event

_ARRAY_OF_TWO = 0x92  # msgpack fixarray header, length 2
_encoder = msgspec.msgpack.Encoder()
_header_decoder = msgspec.msgpack.Decoder(tuple[int, msgspec.Raw])
_event_list_decoder = msgspec.msgpack.Decoder(list[AnyEvent])
_command_list_decoder = msgspec.msgpack.Decoder(list[AnyCommand])


class EnvelopeError(ValueError):
    """An envelope that cannot be read: the message says why, for the quarantine log."""


def encode_envelope(items: Sequence[Event | Command], version: int = SCHEMA_VERSION) -> bytes:
    """Writes the header by hand so the batch is encoded once, straight into the buffer."""
    buffer = bytearray((_ARRAY_OF_TWO,))
    buffer += _encoder.encode(version)
    _encoder.encode_into(items, buffer, len(buffer))
    return bytes(buffer)


def decode_envelope(payload: bytes, carries_events: bool) -> list[Any]:
    """The batch's items, or EnvelopeError naming what is wrong with the payload."""
    try:
        version, items = _header_decoder.decode(payload)
    except msgspec.DecodeError as error:
        raise EnvelopeError(f"not an envelope: {error}") from None
    if version != SCHEMA_VERSION:
        raise EnvelopeError(f"unknown schema version {version} (this build reads {SCHEMA_VERSION})")
    decoder = _event_list_decoder if carries_events else _command_list_decoder
    kind = "events" if carries_events else "commands"
    try:
        return decoder.decode(items)
    except msgspec.DecodeError as error:
        raise EnvelopeError(f"envelope of version {version} holds bad {kind}: {error}") from None

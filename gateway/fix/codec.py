"""The tag=value wire format: parse one frame into a Message, encode a Message into one frame.

A frame that cannot be trusted as a FIX message (wrong first three fields, a BodyLength or
CheckSum that does not add up, a tag that is not a number) is garbled: FIX says to ignore it
without consuming a sequence number, so the parser refuses it as a whole.
"""

import re
from collections.abc import Iterable, Mapping

from gateway.fix.accelerator import compiled
from gateway.fix.message import Message
from gateway.fix.tags import BEGIN_STRING, BODY_LENGTH, CHECK_SUM, MSG_TYPE

SOH = b"\x01"
_TAG = re.compile(rb"-?[0-9]{1,9}")
_DIGITS = re.compile(rb"[0-9]{1,9}")
_CHECKSUM = re.compile(rb"[0-9]{3}")
_ENVELOPE = frozenset({BEGIN_STRING, BODY_LENGTH, CHECK_SUM})


class GarbledFrame(ValueError):
    """The frame is not a well-formed FIX message and must be ignored."""


def checksum(data: bytes) -> int:
    return sum(data) % 256


def parse(frame: bytes, data_length: Mapping[int, int]) -> Message:
    """`data_length` maps a length tag to its DATA tag, whose value may contain SOH."""
    if not frame.endswith(SOH):
        raise GarbledFrame("does not end with SOH")
    plain = _split_plain(frame, data_length)
    fields, starts = plain if plain is not None else _any_fields(frame, data_length)
    _check_envelope(frame, fields, starts)
    return Message(fields)


def _plain_fields(
    frame: bytes, data_length: Mapping[int, int]
) -> tuple[list[tuple[int, str]], list[int]] | None:
    """The fields and their byte offsets, by splitting at SOH: the common case of an ASCII
    frame with no data field. None for any other frame, which `_any_fields` reads."""
    if not frame.isascii():
        return None
    fields: list[tuple[int, str]] = []
    starts: list[int] = []
    position = 0
    for piece in frame[:-1].decode().split("\x01"):
        tag_text, equals, value = piece.partition("=")
        if not equals or not tag_text.isdigit() or len(tag_text) > 9:
            return None
        tag = int(tag_text)
        if tag in data_length:
            return None
        fields.append((tag, value))
        starts.append(position)
        position += len(piece) + 1
    return fields, starts


def _any_fields(
    frame: bytes, data_length: Mapping[int, int]
) -> tuple[list[tuple[int, str]], list[int]]:
    fields: list[tuple[int, str]] = []
    starts: list[int] = []
    position = 0
    data_tag: int | None = None
    data_bytes = 0
    while position < len(frame):
        equals = frame.find(b"=", position)
        if equals < 0:
            raise GarbledFrame(f"no '=' after byte {position}")
        raw_tag = frame[position:equals]
        if _TAG.fullmatch(raw_tag) is None:
            raise GarbledFrame(f"tag {raw_tag[:20]!r} is not a number")
        tag = int(raw_tag)
        if tag == data_tag:
            end = equals + 1 + data_bytes
            if frame[end : end + 1] != SOH:
                raise GarbledFrame(f"data field {tag} is not {data_bytes} bytes long")
        else:
            end = frame.find(SOH, equals + 1)
        try:
            value = frame[equals + 1 : end].decode()
        except UnicodeDecodeError as exc:
            raise GarbledFrame(f"value of tag {tag} is not UTF-8") from exc
        data_tag = None
        if tag in data_length and _DIGITS.fullmatch(frame[equals + 1 : end]):
            data_tag, data_bytes = data_length[tag], int(value)
        fields.append((tag, value))
        starts.append(position)
        position = end + 1
    return fields, starts


def _check_envelope(frame: bytes, fields: list[tuple[int, str]], starts: list[int]) -> None:
    tags = [tag for tag, _ in fields]
    if len(tags) < 4 or tags[:3] != [BEGIN_STRING, BODY_LENGTH, MSG_TYPE]:
        raise GarbledFrame("does not begin with 8, 9 and 35")
    if tags[-1] != CHECK_SUM or tags.count(CHECK_SUM) != 1:
        raise GarbledFrame("CheckSum(10) is not the last field, exactly once")
    declared_length = fields[1][1].encode()
    body_start, trailer_start = starts[2], starts[-1]
    if not _DIGITS.fullmatch(declared_length) or int(declared_length) != (
        trailer_start - body_start
    ):
        raise GarbledFrame(f"BodyLength {fields[1][1]!r} is not {trailer_start - body_start}")
    declared_sum = fields[-1][1].encode()
    if not _CHECKSUM.fullmatch(declared_sum) or int(declared_sum) != _checksum(
        frame[:trailer_start]
    ):
        actual = _checksum(frame[:trailer_start])
        raise GarbledFrame(f"CheckSum {fields[-1][1]!r} is not {actual:03d}")


# The accelerator where it is built: the same answers as the functions above, their reference.
_split_plain = compiled.plain_fields if compiled else _plain_fields
_checksum = compiled.checksum if compiled else checksum


def encode(message: Message, begin_string: str) -> bytes:
    """The frame for `message`, with BeginString, a true BodyLength and CheckSum."""
    return encode_fields(message.fields, begin_string)


def encode_fields(fields: Iterable[tuple[int, str]], begin_string: str) -> bytes:
    """`encode` for fields not (yet) in a Message."""
    prefixes = _PREFIXES
    body = "".join(
        [
            f"{prefixes.get(tag) or _prefix(tag)}{value}\x01"
            for tag, value in fields
            if tag not in _ENVELOPE
        ]
    ).encode()
    head = b"8=%s\x019=%d\x01" % (begin_string.encode(), len(body))
    return b"%s%s10=%03d\x01" % (head, body, (_checksum(head) + _checksum(body)) % 256)


def possible_duplicate(frame: bytes, sending_time: str) -> bytes:
    """A frame `encode` made, resent: SendingTime now, PossDupFlag Y and OrigSendingTime
    the first SendingTime, spliced into the stored bytes rather than parsed and encoded
    again (a resend of thousands of reports must be cheap). The header is ours, so the
    first SendingTime in the body is the header's."""
    body_start = frame.index(SOH, frame.index(b"\x019=") + 1) + 1
    body = frame[body_start : len(frame) - 7]  # the trailer is 10=NNN<SOH>
    at = body.index(b"\x0152=") + 1
    end = body.index(SOH, at)
    body = b"%s52=%s\x0143=Y\x01122=%s%s" % (
        body[:at],
        sending_time.encode(),
        body[at + 3 : end],
        body[end:],
    )
    head = b"%s9=%d\x01" % (frame[: frame.index(b"\x019=") + 1], len(body))
    return b"%s%s10=%03d\x01" % (head, body, (sum(head) + sum(body)) % 256)


_PREFIXES: dict[int, str] = {}  # tag -> "tag=": formatting a tag (often an IntEnum) costs more
_MAX_PREFIXES = 4096  # bounded: a tag echoed from a member's message could be any number


def _prefix(tag: int) -> str:
    prefix = f"{int(tag)}="
    if len(_PREFIXES) < _MAX_PREFIXES:
        _PREFIXES[tag] = prefix
    return prefix

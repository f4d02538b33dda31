"""A FIX message: its fields as ordered (tag, value) pairs, values kept as the text that came.

Order matters on the wire (header first, group instances in sequence) and the text of a
value matters to a counterparty (an echoed 38=002000.00 must stay 002000.00), so nothing is
converted until a typed accessor is asked.
"""

import re
from collections.abc import Collection, Iterable

from gateway.fix.tags import MSG_SEQ_NUM, MSG_TYPE
from gateway.fix.timestamps import parse_utc_timestamp

_INTEGER = re.compile(r"-?[0-9]{1,18}")  # ASCII digits that fit 63 bits, as validation has it


class Message:
    __slots__ = ("fields",)

    def __init__(self, fields: Iterable[tuple[int, str]] = ()):
        self.fields: list[tuple[int, str]] = list(fields)

    @classmethod
    def of(cls, msg_type: str, *fields: tuple[int, str]) -> "Message":
        return cls([(MSG_TYPE, msg_type), *fields])

    def get(self, tag: int) -> str | None:
        """The first value of `tag`, or None when absent."""
        for field_tag, value in self.fields:
            if field_tag == tag:
                return value
        return None

    def has(self, tag: int) -> bool:
        return any(field_tag == tag for field_tag, _ in self.fields)

    def get_int(self, tag: int) -> int | None:
        """None when absent or not a plain decimal integer of at most 18 digits."""
        value = self.get(tag)
        if value is None or _INTEGER.fullmatch(value) is None:
            return None
        return int(value)

    def get_flag(self, tag: int) -> bool:
        """A FIX Boolean: only 'Y' is true, and absent means false."""
        return self.get(tag) == "Y"

    def get_timestamp(self, tag: int) -> int | None:
        """ns since the epoch; None when absent or not a valid UTCTimestamp."""
        value = self.get(tag)
        return None if value is None else parse_utc_timestamp(value)

    @property
    def msg_type(self) -> str:
        return self.get(MSG_TYPE) or ""

    @property
    def seq_num(self) -> int | None:
        return self.get_int(MSG_SEQ_NUM)

    def set(self, tag: int, value: str) -> None:
        """Replace the first occurrence of `tag`, or append it."""
        for index, (field_tag, _) in enumerate(self.fields):
            if field_tag == tag:
                self.fields[index] = (tag, value)
                return
        self.fields.append((tag, value))

    def without(self, tags: Collection[int]) -> "Message":
        return Message((tag, value) for tag, value in self.fields if tag not in tags)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and self.fields == other.fields

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "Message(" + "|".join(f"{tag}={value}" for tag, value in self.fields) + ")"

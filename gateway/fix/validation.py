"""Checking a parsed message against the data dictionary, in the order QuickFIX checks.

The first problem found decides the session-level Reject(3): its SessionRejectReason(373)
and, where one field is to blame, RefTagID(371). The order is: header, body and trailer
in sequence; a known MsgType; required fields; then field by field (repeated, empty, badly
formatted, outside its enumeration, unknown, not allowed in this message, group counts).
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from gateway.fix.dictionary import Dictionary, FieldDef, GroupDef, Layout
from gateway.fix.message import Message
from gateway.fix.tags import MSG_TYPE
from gateway.fix.timestamps import parse_utc_timestamp


class SessionRejectReason(IntEnum):
    INVALID_TAG_NUMBER = 0
    REQUIRED_TAG_MISSING = 1
    TAG_NOT_DEFINED_FOR_MESSAGE_TYPE = 2
    TAG_SPECIFIED_WITHOUT_A_VALUE = 4
    VALUE_IS_INCORRECT = 5
    INCORRECT_DATA_FORMAT = 6
    COMPID_PROBLEM = 9
    SENDINGTIME_ACCURACY_PROBLEM = 10
    INVALID_MSGTYPE = 11
    TAG_APPEARS_MORE_THAN_ONCE = 13
    TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER = 14
    INCORRECT_NUMINGROUP_COUNT = 16
    OTHER = 99

    @property
    def text(self) -> str:
        return _TEXT[self]


_TEXT = {
    SessionRejectReason.INVALID_TAG_NUMBER: "Invalid tag number",
    SessionRejectReason.REQUIRED_TAG_MISSING: "Required tag missing",
    SessionRejectReason.TAG_NOT_DEFINED_FOR_MESSAGE_TYPE: "Tag not defined for this message type",
    SessionRejectReason.TAG_SPECIFIED_WITHOUT_A_VALUE: "Tag specified without a value",
    SessionRejectReason.VALUE_IS_INCORRECT: "Value is incorrect (out of range) for this tag",
    SessionRejectReason.INCORRECT_DATA_FORMAT: "Incorrect data format for value",
    SessionRejectReason.COMPID_PROBLEM: "CompID problem",
    SessionRejectReason.SENDINGTIME_ACCURACY_PROBLEM: "SendingTime accuracy problem",
    SessionRejectReason.INVALID_MSGTYPE: "Invalid MsgType",
    SessionRejectReason.TAG_APPEARS_MORE_THAN_ONCE: "Tag appears more than once",
    SessionRejectReason.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER: "Tag specified out of required order",
    SessionRejectReason.INCORRECT_NUMINGROUP_COUNT: (
        "Incorrect NumInGroup count for repeating group"
    ),
    SessionRejectReason.OTHER: "Other",
}


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: SessionRejectReason
    tag: int | None = None  # RefTagID, when one field is to blame
    text: str = ""  # overrides the reason's standard text

    @property
    def explanation(self) -> str:
        return self.text or self.reason.text


_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# Integer types, ASCII digits only. Their checks in `_value_check` also bound the number
# of digits, so no integer field ever reaches `int()` longer than a 64-bit column holds.
_FORMATS = {
    "INT": re.compile(r"-?[0-9]+"),
    "LENGTH": re.compile(r"[0-9]+"),
    "NUMINGROUP": re.compile(r"[0-9]+"),
    "SEQNUM": re.compile(r"[0-9]+"),
    "FLOAT": _DECIMAL,
    "QTY": _DECIMAL,
    "PRICE": _DECIMAL,
    "PRICEOFFSET": _DECIMAL,
    "AMT": _DECIMAL,
    "PERCENTAGE": _DECIMAL,
    "CHAR": re.compile(r".", re.DOTALL),
    "BOOLEAN": re.compile(r"[YN]"),
    "UTCTIMEONLY": re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{3})?"),
    "MONTHYEAR": re.compile(r"[0-9]{4}(0[1-9]|1[0-2])([0-3][0-9]|w[1-5])?"),
}
_DATES = frozenset({"UTCDATEONLY", "LOCALMKTDATE"})
MAX_SEQ_NUM = 2**31 - 1  # beyond it a sequence number is out of range, not merely large
# The most digits an integer field may have: a SEQNUM fits 31 bits, the others 63 bits.
_MAX_DIGITS = {"INT": 18, "LENGTH": 18, "NUMINGROUP": 18, "SEQNUM": 10}
_BOUNDED = {
    "INT": re.compile(r"-?[0-9]{1,18}"),
    "LENGTH": re.compile(r"[0-9]{1,18}"),
    "NUMINGROUP": re.compile(r"[0-9]{1,18}"),
}


class _Rejected(Exception):
    def __init__(self, rejection: Rejection):
        self.rejection = rejection


def _reject(reason: SessionRejectReason, tag: int | None = None) -> _Rejected:
    return _Rejected(Rejection(reason, tag))


class Validator:
    def __init__(self, dictionary: Dictionary):
        self._dictionary = dictionary
        self._header_tags = _all_tags(dictionary.header)
        self._value_checks = {tag: _value_check(field) for tag, field in dictionary.fields.items()}

    def validate(self, message: Message) -> Rejection | None:
        """The first reason to reject `message` at session level, or None when it is valid."""
        try:
            self._check(message)
        except _Rejected as rejected:
            return rejected.rejection
        return None

    def _check(self, message: Message) -> None:
        header, body, trailer = self._sections(message.fields)
        definition = self._dictionary.messages.get(message.msg_type)
        if definition is None:
            raise _reject(SessionRejectReason.INVALID_MSGTYPE)
        for section, layout in (
            (header, self._dictionary.header),
            (body, definition.body),
            (trailer, self._dictionary.trailer),
        ):
            present = {tag for tag, _ in section}
            for tag in layout.required:
                if tag not in present:
                    raise _reject(SessionRejectReason.REQUIRED_TAG_MISSING, tag)
        for section, layout in (
            (header, self._dictionary.header),
            (trailer, self._dictionary.trailer),
            (body, definition.body),
        ):
            self._walk(section, 0, layout, None)

    def _sections(
        self, fields: list[tuple[int, str]]
    ) -> tuple[list[tuple[int, str]], list[tuple[int, str]], list[tuple[int, str]]]:
        """Split into header, body and trailer, refusing a field found after its section."""
        header_tags = self._header_tags
        trailer_tags = self._dictionary.trailer.tags
        sections: tuple[list[tuple[int, str]], ...] = ([], [], [])
        current = 0
        for tag, value in fields:
            section = 0 if tag in header_tags else 2 if tag in trailer_tags else 1
            if section < current:
                raise _reject(SessionRejectReason.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER, tag)
            current = section
            sections[section].append((tag, value))
        return sections[0], sections[1], sections[2]

    def _walk(
        self, fields: list[tuple[int, str]], start: int, layout: Layout, group: GroupDef | None
    ) -> int:
        """Check fields from `start` at one level; returns where this level (instance) ends."""
        seen: set[int] = set()
        index = start
        while index < len(fields):
            tag, value = fields[index]
            if group is not None and (
                tag not in layout.tags or (tag == group.delimiter and index != start)
            ):
                break
            if tag in seen:
                raise _reject(SessionRejectReason.TAG_APPEARS_MORE_THAN_ONCE, tag)
            seen.add(tag)
            self._check_value(tag, value)
            if tag not in self._dictionary.fields:
                raise _reject(SessionRejectReason.INVALID_TAG_NUMBER, tag)
            if tag not in layout.tags:
                raise _reject(SessionRejectReason.TAG_NOT_DEFINED_FOR_MESSAGE_TYPE, tag)
            index += 1
            nested = layout.groups.get(tag)
            if nested is not None:
                index = self._walk_group(fields, index, nested, int(value))
        if group is not None:
            for tag in layout.required:
                if tag not in seen:
                    raise _reject(SessionRejectReason.REQUIRED_TAG_MISSING, tag)
        return index

    def _walk_group(
        self, fields: list[tuple[int, str]], index: int, group: GroupDef, declared: int
    ) -> int:
        instances = 0
        while index < len(fields) and fields[index][0] == group.delimiter:
            index = self._walk(fields, index, group.layout, group)
            instances += 1
        if instances != declared:
            raise _reject(SessionRejectReason.INCORRECT_NUMINGROUP_COUNT, group.counter)
        return index

    def _check_value(self, tag: int, value: str) -> None:
        if value == "":
            raise _reject(SessionRejectReason.TAG_SPECIFIED_WITHOUT_A_VALUE, tag)
        check = self._value_checks.get(tag)
        if check is None or check(value):
            return
        field = self._dictionary.fields[tag]
        if not _well_formed(field, value):
            raise _reject(SessionRejectReason.INCORRECT_DATA_FORMAT, tag)
        if _out_of_range(field, value) or (
            field.enums and tag != MSG_TYPE and not _enumerated(field, value)
        ):
            raise _reject(SessionRejectReason.VALUE_IS_INCORRECT, tag)


def _value_check(field: FieldDef) -> Callable[[str], object]:
    """A field's whole value test in one call, truthy when the value passes: well formed,
    in range, enumerated. Every value of every message meets it, so the common types get
    a test of their own; `_check_value` works out the reason only when one fails."""
    pattern = _BOUNDED.get(field.type) or _FORMATS.get(field.type)
    enums = field.enums if field.tag != MSG_TYPE else frozenset()
    if pattern is not None and field.type != "SEQNUM" and field.type != "MULTIPLEVALUESTRING":
        if not enums:
            return pattern.fullmatch
        return lambda value: value in enums and pattern.fullmatch(value)
    if pattern is None and not enums and field.type not in _DATES:
        if field.type == "UTCTIMESTAMP":
            return parse_utc_timestamp
        return _anything
    return lambda value: (
        _well_formed(field, value)
        and not _out_of_range(field, value)
        and (not enums or _enumerated(field, value))
    )


def _out_of_range(field: FieldDef, value: str) -> bool:
    """A well-formed integer with more digits than its type holds, or a SEQNUM past 31 bits;
    the length is checked first, so `int()` never meets thousands of digits."""
    limit = _MAX_DIGITS.get(field.type)
    if limit is None:
        return False
    if len(value.lstrip("-")) > limit:
        return True
    return field.type == "SEQNUM" and int(value) > MAX_SEQ_NUM


def _anything(value: str) -> bool:
    return True


def _well_formed(field: FieldDef, value: str) -> bool:
    pattern = _FORMATS.get(field.type)
    if pattern is not None:
        return pattern.fullmatch(value) is not None
    if field.type == "UTCTIMESTAMP":
        return parse_utc_timestamp(value) is not None
    if field.type in _DATES:
        try:
            dt.datetime.strptime(value, "%Y%m%d")
        except ValueError:
            return False
        return len(value) == 8
    return True


def _enumerated(field: FieldDef, value: str) -> bool:
    if field.type == "MULTIPLEVALUESTRING":
        return all(part in field.enums for part in value.split(" "))
    return value in field.enums


def _all_tags(layout: Layout) -> frozenset[int]:
    """A level's tags with those of its groups, which belong to the same section."""
    tags = set(layout.tags)
    for group in layout.groups.values():
        tags |= _all_tags(group.layout)
    return frozenset(tags)

"""Application messages as the session layer hands them over: a MsgType and body fields.

A body is a list of `(tag, value)` pairs in wire order, values as text, without the
header and trailer (the session layer adds 8/9/35/34/49/56/52/10). Keeping to plain pairs
lets this application layer plug into any FIX codec.
"""

import re
from typing import NamedTuple

from engine.money import ExcessPrecision, TooLarge, parse_units
from gateway.trading.tags import Tag, label

Fields = list[tuple[int, str]]

_ORDER_NUMBER = re.compile(r"[0-9]{1,18}")
_WHOLE_NUMBER = re.compile(r"[0-9]+")
WHOLE_TONNES = "must be a whole number of tonnes (lot 1)"


class AppMessage(NamedTuple):
    msg_type: str
    fields: Fields


class FieldError(ValueError):
    """An inbound field that is missing or malformed; `text` is what the member reads."""

    def __init__(self, tag: Tag, text: str):
        super().__init__(text)
        self.tag = tag
        self.text = text


class Body:
    """Reads an inbound body by tag. The first occurrence of a tag wins: the messages
    handled here carry no repeating groups whose fields they read."""

    __slots__ = ("_values",)

    def __init__(self, fields: Fields):
        values: dict[int, str] = {}
        for tag, value in fields:
            values.setdefault(tag, value)
        self._values = values

    def get(self, tag: int) -> str:
        """The value, or "" when the tag is absent."""
        return self._values.get(tag, "")

    def has(self, tag: int) -> bool:
        return tag in self._values

    def require(self, tag: Tag) -> str:
        value = self._values.get(tag, "")
        if not value:
            raise FieldError(tag, f"{label(tag)} is required")
        return value

    def quantity(self, tag: Tag) -> int:
        """A whole number of tonnes (the lot is 1 tonne) written as ASCII digits: "10";
        never "10.5", nor "10.0" or "1e1", which a member's software should not be sending
        for a count of lots (issue 13 asks for exactly this refusal)."""
        text = self.require(tag)
        if _WHOLE_NUMBER.fullmatch(text) is None:
            _exact(tag, text, 0, WHOLE_TONNES)  # says why a decimal text is not a quantity
            raise FieldError(tag, f"{label(tag)} {WHOLE_TONNES}, written as digits only")
        return _exact(tag, text, 0, WHOLE_TONNES)

    def price(self, tag: Tag) -> int:
        """CNY with at most two decimals, as fen; a third decimal is refused, not rounded."""
        return _exact(
            tag, self.require(tag), 2, "has more than two decimals (the tick is 0.01 CNY)"
        )


def order_number(text: str) -> int:
    """The exchange's OrderID (37) as a number, 0 when `text` cannot be one of ours: ASCII
    digits that fit 63 bits (`"²".isdigit()` is true, and SQLite holds 64 bits)."""
    if _ORDER_NUMBER.fullmatch(text) is None:
        return 0
    return int(text)


def _exact(tag: Tag, text: str, places: int, excess: str) -> int:
    try:
        return parse_units(text, places)
    except ExcessPrecision:
        raise FieldError(tag, f"{label(tag)} {excess}") from None
    except TooLarge:
        raise FieldError(tag, f"{label(tag)} is too large") from None
    except ValueError:
        raise FieldError(tag, f"{label(tag)} {text[:40]!r} is not a decimal number") from None


def business_reject(ref_msg_type: str, reason: int, text: str, ref_id: str = "") -> AppMessage:
    """BusinessMessageReject (j): a valid message this application will not act on.
    RefSeqNum (45) is the session layer's to add: only it knows the inbound sequence."""
    fields: Fields = [(Tag.RefMsgType, ref_msg_type)]
    if ref_id:
        fields.append((Tag.BusinessRejectRefID, ref_id))
    fields += [(Tag.BusinessRejectReason, str(reason)), (Tag.Text, text)]
    return AppMessage("j", fields)

"""The FIX Trading Community's JSON encoding, for web clients: {"Header": {...}, "Body":
{...}, "Trailer": {...}}, fields by name, values as strings, a repeating group as an array
of objects under its NumInGroup name. BodyLength and CheckSum are left out, as the
encoding says.

It is translated to and from tag=value at the edge, so the session layer sees one format:
inbound JSON becomes a frame with a true BodyLength and CheckSum (JSON that does not
translate is passed on as it came, and the session finds it garbled).
"""

import json
from typing import Any

from gateway.fix.codec import encode, parse
from gateway.fix.dictionary import Dictionary, Layout
from gateway.fix.message import Message
from gateway.fix.tags import BEGIN_STRING, BODY_LENGTH, CHECK_SUM

SECTIONS = ("Header", "Body", "Trailer")


class JsonEncoding:
    def __init__(self, dictionary: Dictionary):
        self._dictionary = dictionary
        self._tag_by_name = {field.name: tag for tag, field in dictionary.fields.items()}

    def to_frame(self, text: str) -> bytes:
        """The tag=value frame for a JSON message; the text's own bytes when it is not one."""
        try:
            document = json.loads(text)
            fields: list[tuple[int, str]] = []
            for section in SECTIONS:
                self._flatten(document.get(section, {}), fields)
        except (ValueError, AttributeError, TypeError, KeyError):
            return text.encode()
        message = Message(fields)
        return encode(message, message.get(BEGIN_STRING) or "")

    def from_frame(self, frame: bytes) -> str:
        message = parse(frame, self._dictionary.data_length)
        header_tags = self._dictionary.header.tags
        trailer_tags = self._dictionary.trailer.tags
        sections: dict[str, list[tuple[int, str]]] = {name: [] for name in SECTIONS}
        for tag, value in message.fields:
            if tag in (BODY_LENGTH, CHECK_SUM):
                continue
            if tag in header_tags:
                sections["Header"].append((tag, value))
            elif tag in trailer_tags:
                sections["Trailer"].append((tag, value))
            else:
                sections["Body"].append((tag, value))
        definition = self._dictionary.messages.get(message.msg_type)
        layouts = {
            "Header": self._dictionary.header,
            "Body": definition.body if definition else Layout(frozenset(), (), {}),
            "Trailer": self._dictionary.trailer,
        }
        document = {
            name: self._nest(fields, 0, layouts[name], None)[0] for name, fields in sections.items()
        }
        return json.dumps(document, ensure_ascii=False)

    def _flatten(self, section: dict[str, Any], fields: list[tuple[int, str]]) -> None:
        for name, value in section.items():
            tag = int(name) if name.isdigit() else self._tag_by_name[name]
            if isinstance(value, list):
                fields.append((tag, str(len(value))))
                for instance in value:
                    self._flatten(instance, fields)
            elif isinstance(value, str):
                fields.append((tag, value))
            else:
                raise TypeError(f"{name}: values are strings or arrays of groups")

    def _nest(
        self, fields: list[tuple[int, str]], index: int, layout: Layout, delimiter: int | None
    ) -> tuple[dict[str, Any], int]:
        """One level as an object, groups as arrays; returns it and where the level ended."""
        level: dict[str, Any] = {}
        start = index
        while index < len(fields):
            tag, value = fields[index]
            if delimiter is not None and (
                tag not in layout.tags or (tag == delimiter and index != start)
            ):
                break
            index += 1
            group = layout.groups.get(tag)
            if group is None:
                level[self._name(tag)] = value
                continue
            instances = []
            while index < len(fields) and fields[index][0] == group.delimiter:
                instance, index = self._nest(fields, index, group.layout, group.delimiter)
                instances.append(instance)
            level[self._name(tag)] = instances
        return level, index

    def _name(self, tag: int) -> str:
        field = self._dictionary.fields.get(tag)
        return field.name if field else str(tag)

"""The FIX 4.4 data dictionary: which tags exist, their types and enums, and each message's layout.

Loaded once from the QuickFIX-format FIX44.xml (shipped beside this module, licence in
spec/LICENSE). Components are flattened into the message that uses them, because the wire
knows only fields and repeating groups; a field is required at message level only when it
and every component enclosing it are required, as QuickFIX reads the same file.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).parent / "spec" / "FIX44.xml"


@dataclass(frozen=True, slots=True)
class FieldDef:
    tag: int
    name: str
    type: str  # the dictionary's type name: INT, PRICE, UTCTIMESTAMP, ...
    enums: frozenset[str]  # empty when any value of the type is allowed


@dataclass(frozen=True, slots=True)
class Layout:
    """The fields allowed at one level of a message (the body, the header, one group instance)."""

    tags: frozenset[int]  # every tag allowed at this level, group counters included
    required: tuple[int, ...]  # in dictionary order, which is the order of the first complaint
    groups: dict[int, "GroupDef"]  # counter tag -> group


@dataclass(frozen=True, slots=True)
class GroupDef:
    counter: int  # the NumInGroup tag
    delimiter: int  # the first field of every instance
    layout: Layout


@dataclass(frozen=True, slots=True)
class MessageDef:
    msg_type: str
    name: str
    admin: bool
    body: Layout


@dataclass(frozen=True, slots=True)
class Dictionary:
    begin_string: str
    fields: dict[int, FieldDef]
    header: Layout
    trailer: Layout
    messages: dict[str, MessageDef]
    data_length: dict[int, int]  # length tag -> the DATA tag whose byte count it gives

    def is_admin(self, msg_type: str) -> bool:
        message = self.messages.get(msg_type)
        return message is not None and message.admin


def load_dictionary(path: Path = DEFAULT_PATH) -> Dictionary:
    root = ET.parse(path).getroot()
    fields = {
        int(node.get("number", "")): FieldDef(
            tag=int(node.get("number", "")),
            name=node.get("name", ""),
            type=node.get("type", ""),
            enums=frozenset(value.get("enum", "") for value in node.iter("value")),
        )
        for node in _child(root, "fields")
    }
    tag_by_name = {field.name: field.tag for field in fields.values()}
    components = {node.get("name", ""): node for node in _child(root, "components")}
    reader = _LayoutReader(tag_by_name, components)
    messages = {
        node.get("msgtype", ""): MessageDef(
            msg_type=node.get("msgtype", ""),
            name=node.get("name", ""),
            admin=node.get("msgcat") == "admin",
            body=reader.layout(node),
        )
        for node in _child(root, "messages")
    }
    data_length = {}
    for field in fields.values():
        if field.type == "DATA":
            for suffix in ("Len", "Length"):
                length_tag = tag_by_name.get(field.name + suffix)
                if length_tag is not None:
                    data_length[length_tag] = field.tag
    return Dictionary(
        begin_string=f"FIX.{root.get('major')}.{root.get('minor')}",
        fields=fields,
        header=reader.layout(_child(root, "header")),
        trailer=reader.layout(_child(root, "trailer")),
        messages=messages,
        data_length=data_length,
    )


def _child(root: ET.Element, name: str) -> ET.Element:
    node = root.find(name)
    if node is None:
        raise ValueError(f"data dictionary has no <{name}> section")
    return node


class _LayoutReader:
    """Flattens <field>, <component> and <group> elements into a Layout."""

    def __init__(self, tag_by_name: dict[str, int], components: dict[str, ET.Element]):
        self._tag_by_name = tag_by_name
        self._components = components

    def layout(self, node: ET.Element) -> Layout:
        tags: list[int] = []
        required: list[int] = []
        groups: dict[int, GroupDef] = {}
        self._collect(node, True, tags, required, groups)
        return Layout(frozenset(tags), tuple(required), groups)

    def _collect(
        self,
        node: ET.Element,
        enclosing_required: bool,
        tags: list[int],
        required: list[int],
        groups: dict[int, GroupDef],
    ) -> None:
        for child in node:
            is_required = enclosing_required and child.get("required") == "Y"
            if child.tag == "field":
                tag = self._tag_by_name[child.get("name", "")]
                tags.append(tag)
                if is_required:
                    required.append(tag)
            elif child.tag == "component":
                self._collect(
                    self._components[child.get("name", "")], is_required, tags, required, groups
                )
            elif child.tag == "group":
                counter = self._tag_by_name[child.get("name", "")]
                tags.append(counter)
                if is_required:
                    required.append(counter)
                instance = self.layout(child)
                groups[counter] = GroupDef(counter, self._first_tag(child), instance)

    def _first_tag(self, node: ET.Element) -> int:
        first = node[0]
        if first.tag == "component":
            return self._first_tag(self._components[first.get("name", "")])
        return self._tag_by_name[first.get("name", "")]

"""The command and event vocabulary survives its binary encoding unchanged."""

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from engine import commands, events

texts = st.text(max_size=12)
ints = st.integers(min_value=-(2**62), max_value=2**62)
entity_lists = st.lists(st.tuples(texts, ints, ints), max_size=3)


def structs_of(union) -> st.SearchStrategy:
    def build(cls):
        fields = {
            f.name: texts
            if f.type is str
            else st.booleans()
            if f.type is bool
            else ints
            if f.type is int
            else entity_lists  # the one composite field: CreateAuction.entities
            for f in msgspec.structs.fields(cls)
        }
        return st.builds(cls, **fields)

    return st.one_of([build(cls) for cls in union.__args__])


@given(structs_of(commands.AnyCommand))
def test_every_command_round_trips(command):
    assert commands.decode_command(commands.encode_command(command)) == command


@given(structs_of(events.AnyEvent))
def test_every_event_round_trips(event):
    assert events.decode_event(events.encode_event(event)) == event


def test_json_edge_encoding_names_the_type():
    trade = events.Trade(7, 1, 3, "TJEA25", 5000, 10, 1, 1, "A1", "c1", 0, 2, "A2", "c2", 5)
    decoded = msgspec.json.decode(events.event_to_json(trade))
    assert decoded["type"] == "trade"
    assert decoded["price"] == 5000
    assert decoded["sell_leaves"] == 5

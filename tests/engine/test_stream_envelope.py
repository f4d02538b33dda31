"""The envelope: every batch comes back as published; anything else is refused with the
reason, never half-read."""

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.commands import MoveCash, NewOrder
from engine.envelope import EnvelopeError, decode_envelope, encode_envelope
from engine.events import SCHEMA_VERSION, Trade
from tests.engine.conftest import make_events


@given(first=st.integers(1, 2**40), count=st.integers(0, 60))
def test_events_round_trip(first: int, count: int) -> None:
    events = make_events(first, count)
    assert decode_envelope(encode_envelope(events), carries_events=True) == events


@given(
    st.lists(
        st.builds(
            NewOrder,
            ts=st.integers(0, 2**63 - 1),
            account=st.text(max_size=8),
            client_order_id=st.text(max_size=20),
            instrument=st.text(max_size=10),
            side=st.integers(1, 2),
            order_type=st.integers(1, 2),
            time_in_force=st.integers(0, 6),
            price=st.integers(0, 10**9),
            quantity=st.integers(1, 10**7),
        ),
        max_size=30,
    )
)
def test_commands_round_trip(commands: list[NewOrder]) -> None:
    assert decode_envelope(encode_envelope(commands), carries_events=False) == commands


@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_refused_or_read_as_a_valid_batch(payload: bytes) -> None:
    try:
        decoded = decode_envelope(payload, carries_events=True)
    except EnvelopeError as error:
        assert str(error)
    else:  # only a well-formed envelope of this version gets through
        assert encode_envelope(decoded) == payload


@pytest.mark.parametrize("version", [0, SCHEMA_VERSION + 1, 2**31])
def test_another_schema_version_is_refused_before_reading_items(version: int) -> None:
    payload = msgspec.msgpack.encode([version, ["not", "events", "at", "all"]])
    with pytest.raises(EnvelopeError, match=f"unknown schema version {version}"):
        decode_envelope(payload, carries_events=True)


def test_commands_on_an_events_topic_are_refused() -> None:
    payload = encode_envelope([MoveCash(1, "A1", 100, 1, "r", "ops")])
    with pytest.raises(EnvelopeError, match="holds bad events"):
        decode_envelope(payload, carries_events=True)


def test_a_truncated_envelope_is_refused() -> None:
    trade = Trade(1, 2, 3, "TJEA2025", 4_000, 5, 1, 6, "A1", "b", 0, 7, "A2", "s", 0)
    with pytest.raises(EnvelopeError, match="not an envelope"):
        decode_envelope(encode_envelope([trade])[:-4], carries_events=True)

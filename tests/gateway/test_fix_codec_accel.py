"""The Cython accelerator against its pure-Python reference (gateway/fix/codec.py), on
hypothesis-generated frames: well-formed, damaged, non-ASCII, with data fields. Where the
accelerator is not built these fail under TCX_REQUIRE_EXT=1 (CI, benches) and are skipped
otherwise."""

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.fix import accelerator, codec
from gateway.fix.codec import GarbledFrame, encode, parse
from gateway.fix.message import Message
from tests.gateway.test_fix_codec import BEGIN, DATA_LENGTH, body_fields

if accelerator.compiled is None:
    if os.environ.get("TCX_REQUIRE_EXT") == "1":
        pytest.fail("the Cython accelerator is not built", pytrace=False)
    pytest.skip("the Cython accelerator is not built", allow_module_level=True)
compiled = accelerator.compiled

damage = st.lists(st.tuples(st.integers(0, 400), st.binary(max_size=4)), max_size=4)


def damaged(fields, changes) -> bytes:
    frame = bytearray(encode(Message.of("D", *fields), BEGIN))
    for position, replacement in changes:
        frame[position : position + len(replacement)] = replacement
    return bytes(frame)


def reference_parse(frame: bytes):
    """parse with the pure-Python split (the CheckSum's sum is compared on its own)."""
    if not frame.endswith(codec.SOH):
        return "garbled"
    try:
        plain = codec._plain_fields(frame, DATA_LENGTH)
        fields, starts = plain if plain is not None else codec._any_fields(frame, DATA_LENGTH)
        codec._check_envelope(frame, fields, starts)
    except GarbledFrame:
        return "garbled"
    return Message(fields).fields


def accelerated_parse(frame: bytes):
    try:
        return parse(frame, DATA_LENGTH).fields
    except GarbledFrame:
        return "garbled"


def test_the_codec_runs_the_accelerator() -> None:
    assert codec._split_plain is compiled.plain_fields and codec._checksum is compiled.checksum
    assert accelerator.in_use() == "FIX codec: Cython accelerator"


@given(body_fields, damage)
def test_plain_fields_answers_as_its_reference(fields, changes) -> None:
    frame = damaged(fields, changes)
    if frame.endswith(codec.SOH):  # both are only called on such frames
        assert compiled.plain_fields(frame, DATA_LENGTH) == codec._plain_fields(frame, DATA_LENGTH)


@given(st.binary(max_size=300).map(lambda raw: raw + codec.SOH))
def test_plain_fields_answers_as_its_reference_on_any_bytes(frame) -> None:
    assert compiled.plain_fields(frame, DATA_LENGTH) == codec._plain_fields(frame, DATA_LENGTH)


@given(st.binary(max_size=500))
def test_checksum_is_its_reference(data) -> None:
    assert compiled.checksum(data) == codec.checksum(data)


@given(body_fields, damage)
def test_parse_with_the_accelerator_is_parse_without(fields, changes) -> None:
    frame = damaged(fields, changes)
    assert accelerated_parse(frame) == reference_parse(frame)


length_fields = st.lists(
    st.tuples(st.sampled_from(sorted(DATA_LENGTH)), st.from_regex(r"[0-9]{1,3}", fullmatch=True)),
    min_size=1,
    max_size=2,
)


@given(body_fields, length_fields)
def test_a_frame_with_a_data_length_field_is_left_to_the_general_reader(fields, lengths) -> None:
    frame = encode(Message.of("D", *fields, *lengths), BEGIN)
    assert compiled.plain_fields(frame, DATA_LENGTH) is None
    assert codec._plain_fields(frame, DATA_LENGTH) is None


@given(body_fields)
def test_encoding_with_the_accelerated_sum_is_encoding_without(fields) -> None:
    """The frame's CheckSum is the one the pure-Python sum gives."""
    frame = codec.encode_fields([(35, "D"), *fields], BEGIN)
    trailer = frame.rindex(b"\x0110=") + 1
    assert frame[trailer:] == b"10=%03d\x01" % codec.checksum(frame[:trailer])

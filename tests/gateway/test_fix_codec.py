"""The tag=value codec: round trips, true BodyLength and CheckSum, garbled frames refused.
simplefix, an independent implementation, checks our framing both ways."""

import simplefix
from hypothesis import given
from hypothesis import strategies as st

from gateway.fix import codec
from gateway.fix.codec import GarbledFrame, checksum, encode, parse
from gateway.fix.message import Message
from tests.gateway.fix_harness import DICTIONARY

BEGIN = DICTIONARY.begin_string
DATA_LENGTH = DICTIONARY.data_length
SOH = b"\x01"

values = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x01"), min_size=1
)
body_fields = st.lists(
    st.tuples(
        st.integers(11, 9999).filter(lambda tag: tag not in DATA_LENGTH and tag != 35), values
    ),
    max_size=20,
)


def garbled(frame: bytes) -> bool:
    try:
        parse(frame, DATA_LENGTH)
    except GarbledFrame:
        return True
    return False


@given(st.sampled_from(["0", "D", "8", "AE"]), body_fields)
def test_encode_then_parse_gives_back_every_field_in_order(
    msg_type: str, fields: list[tuple[int, str]]
) -> None:
    message = Message.of(msg_type, *fields)
    parsed = parse(encode(message, BEGIN), DATA_LENGTH)
    assert parsed.fields[0] == (8, BEGIN)
    assert parsed.fields[1][0] == 9
    assert parsed.fields[2:-1] == message.fields
    assert parsed.fields[-1][0] == 10


@given(body_fields)
def test_body_length_and_checksum_are_those_simplefix_computes(
    fields: list[tuple[int, str]],
) -> None:
    ours = encode(Message.of("D", *fields), BEGIN)
    theirs = simplefix.FixMessage()
    theirs.append_pair(8, BEGIN)
    theirs.append_pair(35, "D")
    for tag, value in fields:
        theirs.append_pair(tag, value.encode())
    assert ours == theirs.encode()


def test_simplefix_frames_parse() -> None:
    theirs = simplefix.FixMessage()
    for tag, value in ((8, BEGIN), (35, "A"), (34, "1"), (98, "0"), (108, "30")):
        theirs.append_pair(tag, value)
    parsed = parse(theirs.encode(), DATA_LENGTH)
    assert parsed.msg_type == "A" and parsed.get_int(108) == 30


@given(body_fields, st.data())
def test_any_single_byte_change_is_garbled_or_a_different_valid_frame(
    fields: list[tuple[int, str]], data: st.DataObject
) -> None:
    frame = encode(Message.of("0", *fields), BEGIN)
    position = data.draw(st.integers(0, len(frame) - 1))
    replacement = data.draw(st.integers(0, 255).filter(lambda byte: byte != frame[position]))
    changed = frame[:position] + bytes([replacement]) + frame[position + 1 :]
    assert garbled(changed)  # CheckSum catches every single-byte change


@given(body_fields, st.data())
def test_every_truncation_is_garbled(fields: list[tuple[int, str]], data: st.DataObject) -> None:
    frame = encode(Message.of("0", *fields), BEGIN)
    assert garbled(frame[: data.draw(st.integers(0, len(frame) - 1))])


def test_data_field_may_carry_soh_when_its_length_precedes_it() -> None:
    message = Message.of("0", (95, "7"), (96, "a\x01b=c\x01d"))
    assert parse(encode(message, BEGIN), DATA_LENGTH).get(96) == "a\x01b=c\x01d"


def test_envelope_rules() -> None:
    good = encode(Message.of("0", (34, "2")), BEGIN)
    assert good.startswith(b"8=FIX.4.4\x019=10\x0135=0\x01")
    assert not garbled(good)
    assert garbled(good.replace(b"9=10\x0135=0", b"35=0\x019=10"))
    assert garbled(good.replace(b"9=10", b"9=11"))
    assert garbled(good.replace(b"34=2", b"3x=2"))
    assert garbled(good[:-1])
    assert garbled(b"")
    body = b"35=0\x0134=2\x01"
    head = b"8=FIX.4.4\x019=%d\x01" % len(body)
    assert not garbled(head + body + b"10=%03d\x01" % checksum(head + body))
    assert garbled(head + body + b"10=%d\x01" % (checksum(head + body) + 256))


def test_negative_and_zero_tags_parse_so_validation_can_name_them() -> None:
    message = parse(encode(Message.of("0", (0, "HI"), (-1, "HI")), BEGIN), DATA_LENGTH)
    assert message.get(0) == "HI" and message.get(-1) == "HI"


def test_non_utf8_value_is_garbled() -> None:
    body = b"35=0\x0158=\xff\x01"
    head = b"8=FIX.4.4\x019=%d\x01" % len(body)
    assert garbled(head + body + b"10=%03d\x01" % checksum(head + body))


def _read_with(reader, frame: bytes):
    try:
        return reader(frame, DATA_LENGTH)
    except GarbledFrame:
        return "garbled"


@given(
    body_fields,
    st.lists(st.tuples(st.integers(0, 400), st.binary(max_size=3)), max_size=3),
)
def test_the_plain_fast_path_reads_as_the_general_parser(fields, damage):
    """Where `_plain_fields` answers, it answers as the general reader does, on well-formed
    frames and on frames with bytes overwritten."""
    frame = bytearray(encode(Message.of("D", *fields), BEGIN))
    for position, replacement in damage:
        frame[position : position + len(replacement)] = replacement
    if not frame.endswith(SOH):  # parse refuses these before either reader
        return
    plain = _read_with(codec._plain_fields, bytes(frame))
    if plain is not None:
        assert plain == _read_with(codec._any_fields, bytes(frame))

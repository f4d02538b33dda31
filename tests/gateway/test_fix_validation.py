"""Dictionary checks and the SessionRejectReason each problem earns."""

import pytest

from gateway.fix.message import Message
from gateway.fix.validation import MAX_SEQ_NUM, SessionRejectReason, Validator
from tests.gateway.fix_harness import DICTIONARY

R = SessionRejectReason
VALIDATOR = Validator(DICTIONARY)
TIME = "20260921-09:30:00.123"
HEADER = "8=FIX.4.4|9=0|{type}|34=2|49=TW44|52=" + TIME + "|56=ISLD|"
ORDER = "11=A|21=1|38=10|40=2|44=71.5|54=1|55=CEA|60=" + TIME + "|"


def message(text: str) -> Message:
    fields = [field.split("=", 1) for field in text.strip("|").split("|")]
    return Message([(int(tag), value) for tag, value in fields] + [(10, "000")])


def check(msg_type: str, body: str) -> tuple[SessionRejectReason, int | None] | None:
    rejection = VALIDATOR.validate(message(HEADER.format(type=f"35={msg_type}") + body))
    return None if rejection is None else (rejection.reason, rejection.tag)


def test_dictionary_shape() -> None:
    assert DICTIONARY.begin_string == "FIX.4.4"
    assert DICTIONARY.header.required == (8, 9, 35, 49, 56, 34, 52)
    assert DICTIONARY.messages["D"].body.required == (11, 54, 60, 40)
    assert 55 in DICTIONARY.messages["D"].body.tags  # from the Instrument component
    assert DICTIONARY.messages["D"].body.groups[386].delimiter == 336
    assert DICTIONARY.data_length[95] == 96 and DICTIONARY.data_length[93] == 89
    assert DICTIONARY.is_admin("0") and not DICTIONARY.is_admin("D")
    assert DICTIONARY.fields[54].enums >= {"1", "2"}


@pytest.mark.parametrize(
    ("msg_type", "body", "expected"),
    [
        ("D", ORDER, None),
        ("0", "", None),
        ("0", "999=HI|", (R.INVALID_TAG_NUMBER, 999)),
        ("0", "0=HI|", (R.INVALID_TAG_NUMBER, 0)),
        ("0", "55=CEA|", (R.TAG_NOT_DEFINED_FOR_MESSAGE_TYPE, 55)),
        ("D", ORDER.replace("11=A|", ""), (R.REQUIRED_TAG_MISSING, 11)),
        ("D", ORDER.replace("60=" + TIME + "|", ""), (R.REQUIRED_TAG_MISSING, 60)),
        ("D", ORDER + "1=|", (R.TAG_SPECIFIED_WITHOUT_A_VALUE, 1)),
        ("D", ORDER.replace("54=1", "54=Q"), (R.VALUE_IS_INCORRECT, 54)),
        ("D", ORDER.replace("38=10", "38=+10"), (R.INCORRECT_DATA_FORMAT, 38)),
        ("D", ORDER.replace("38=10", "38=1e3"), (R.INCORRECT_DATA_FORMAT, 38)),
        ("D", ORDER.replace("44=71.5", "44=.5"), None),
        ("D", ORDER.replace("54=1", "54=12"), (R.INCORRECT_DATA_FORMAT, 54)),
        ("D", ORDER + "126=20260921|", (R.INCORRECT_DATA_FORMAT, 126)),
        ("D", ORDER + "126=20260931-10:00:00|", (R.INCORRECT_DATA_FORMAT, 126)),
        ("D", ORDER + "432=20260921|", None),
        ("D", ORDER + "432=2026092|", (R.INCORRECT_DATA_FORMAT, 432)),
        ("D", ORDER + "114=X|", (R.INCORRECT_DATA_FORMAT, 114)),
        ("D", ORDER + "18=1 2 G|", None),
        ("D", ORDER + "18=1 !|", (R.VALUE_IS_INCORRECT, 18)),
        ("D", ORDER + "40=1|", (R.TAG_APPEARS_MORE_THAN_ONCE, 40)),
        ("D", ORDER + "386=2|336=A|336=B|", None),
        ("D", ORDER + "386=3|336=A|336=B|", (R.INCORRECT_NUMINGROUP_COUNT, 386)),
        ("D", ORDER + "386=1|625=X|", (R.INCORRECT_NUMINGROUP_COUNT, 386)),
        ("D", ORDER + "386=x|", (R.INCORRECT_DATA_FORMAT, 386)),
        ("D", ORDER + "453=1|448=BRK|447=D|452=1|802=1|523=S|803=1|", None),
        ("D", ORDER + "453=1|448=BRK|802=2|523=S|", (R.INCORRECT_NUMINGROUP_COUNT, 802)),
        ("2", f"7=1|16={MAX_SEQ_NUM}|", None),
        ("2", f"7=1|16={MAX_SEQ_NUM + 1}|", (R.VALUE_IS_INCORRECT, 16)),
        ("*", "", (R.INVALID_MSGTYPE, None)),
    ],
)
def test_body_checks(
    msg_type: str, body: str, expected: tuple[SessionRejectReason, int | None] | None
) -> None:
    assert check(msg_type, body) == expected


def test_header_field_after_the_body_is_out_of_order() -> None:
    text = "8=FIX.4.4|9=0|35=D|11=A|34=2|49=TW44|52=" + TIME + "|56=ISLD|"
    rejection = VALIDATOR.validate(message(text + ORDER.replace("11=A|", "")))
    assert rejection is not None
    assert (rejection.reason, rejection.tag) == (R.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER, 34)
    assert rejection.explanation == "Tag specified out of required order"


def test_missing_header_field_is_named() -> None:
    rejection = VALIDATOR.validate(message("8=FIX.4.4|9=0|35=0|34=2|49=TW44|52=" + TIME))
    assert rejection is not None and (rejection.reason, rejection.tag) == (
        R.REQUIRED_TAG_MISSING,
        56,
    )


def test_first_problem_in_message_order_wins() -> None:
    assert check("D", ORDER.replace("54=1", "54=Q") + "999=X|") == (R.VALUE_IS_INCORRECT, 54)

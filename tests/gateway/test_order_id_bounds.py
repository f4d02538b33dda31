"""An OrderID (37) that cannot be one of ours (too many digits for a 64-bit column,
thousands of digits, digits that are not ASCII) is an unknown order: an OrderCancelReject
or a status reject, never an exception that drops the connection."""

import pytest

from engine.reference import load_reference_data
from gateway.members import hash_password, parse_directory
from gateway.trading.member_application import MemberApplication
from gateway.trading.tags import Tag

TS = 1_790_000_000_000_000_000
DIRECTORY = parse_directory(
    {
        "members": {"M01": {"accounts": ["A1"]}},
        "sessions": {
            "OE": {"member": "M01", "type": "order_entry", "password": hash_password("pw")}
        },
    }
)
NOT_OURS = ["9" * 20, "9" * 5_000, "²", "١٢"]
COMMON = [(Tag.ClOrdID, "c2"), (Tag.OrigClOrdID, "c1"), (Tag.Account, "A1"), (Tag.Symbol, "TJEA25"),
          (Tag.Side, "2"), (Tag.TransactTime, "20260921-14:13:20.000")]  # fmt: skip
REPLACE = [(Tag.OrderQty, "5"), (Tag.OrdType, "2"), (Tag.Price, "50.00")]


@pytest.fixture
def app() -> MemberApplication:
    return MemberApplication(DIRECTORY, load_reference_data())


@pytest.mark.parametrize("order_id", NOT_OURS)
@pytest.mark.parametrize(("msg_type", "response_to"), [("F", "1"), ("G", "2")])
def test_a_cancel_or_replace_of_such_an_order_is_an_unknown_order(
    app, order_id, msg_type, response_to
):
    extra = REPLACE if msg_type == "G" else []
    outcome = app.on_message(
        DIRECTORY.sessions["OE"], msg_type, [(Tag.OrderID, order_id), *COMMON, *extra], TS
    )
    assert outcome.command is None
    reject = dict(outcome.reply.fields)
    assert outcome.reply.msg_type == "9"
    assert (reject[Tag.CxlRejResponseTo], reject[Tag.CxlRejReason]) == (response_to, "1")


@pytest.mark.parametrize("order_id", NOT_OURS)
def test_a_status_request_for_such_an_order_is_a_status_reject(app, order_id):
    fields = [(Tag.OrderID, order_id), (Tag.ClOrdID, "c1"), (Tag.Symbol, "TJEA25"), (Tag.Side, "2")]
    outcome = app.on_message(DIRECTORY.sessions["OE"], "H", fields, TS)
    report = dict(outcome.reply.fields)
    assert (outcome.reply.msg_type, report[Tag.ExecType], report[Tag.OrdRejReason]) == (
        "8",
        "I",
        "5",
    )

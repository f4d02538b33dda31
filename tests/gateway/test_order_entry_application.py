"""The whole application layer as the session layer sees it: rate limit, what each session
type may send, dispatch to order entry / order status / security list, and events out."""

import pytest

from engine import events
from engine.commands import MassCancel, NewOrder
from engine.orders import MassCancelScope
from engine.reference import load_reference_data
from gateway.members import hash_password, parse_directory
from gateway.trading.member_application import MemberApplication
from gateway.trading.tags import Tag

TS = 1_790_000_000_000_000_000
HASH = hash_password("pw")
DIRECTORY = parse_directory(
    {
        "members": {"M01": {"accounts": ["A1"]}},
        "sessions": {
            "OE": {
                "member": "M01",
                "type": "order_entry",
                "password": HASH,
                "messages_per_second": 2,
                "cancel_on_disconnect": True,
            },
            "OE2": {"member": "M01", "type": "order_entry", "password": HASH},
            "DC": {"member": "M01", "type": "drop_copy", "password": HASH},
            "MD": {
                "member": "M01",
                "type": "market_data",
                "password": HASH,
                "cancel_on_disconnect": True,
            },
        },
    }
)
ORDER = [
    (Tag.ClOrdID, "c1"),
    (Tag.Account, "A1"),
    (Tag.Symbol, "TJEA25"),
    (Tag.Side, "2"),
    (Tag.TransactTime, "20260921-14:13:20.000"),
    (Tag.OrderQty, "5"),
    (Tag.OrdType, "2"),
    (Tag.Price, "50.00"),
]
SECURITY_LIST_REQUEST = [(Tag.SecurityReqID, "r1"), (Tag.SecurityListRequestType, "4")]
STATUS_REQUEST = [(Tag.ClOrdID, "c1"), (Tag.Symbol, "TJEA25"), (Tag.Side, "2")]


@pytest.fixture
def app() -> MemberApplication:
    return MemberApplication(DIRECTORY, load_reference_data(), logout_multiple=3)


def session(name: str):
    return DIRECTORY.sessions[name]


def test_new_order_becomes_a_command(app):
    outcome = app.on_message(session("OE"), "D", ORDER, TS)
    assert outcome.command == NewOrder(TS, "A1", "c1", "TJEA25", 2, 2, 0, 5000, 5, "OE")
    assert outcome.reply is None
    assert outcome.logout == ""


def test_immediate_reject_is_a_reply_copied_to_drop_copy(app):
    outcome = app.on_message(session("OE"), "D", [*ORDER, (Tag.StopPx, "1")], TS)
    assert outcome.command is None
    assert outcome.reply.msg_type == "8"
    assert dict(outcome.reply.fields)[Tag.OrdRejReason] == "11"
    (copy,) = outcome.copies
    assert copy.session_id == "DC"
    assert copy.message.fields == [*outcome.reply.fields, (Tag.CopyMsgIndicator, "Y")]


def test_business_reject_is_not_copied(app):
    outcome = app.on_message(session("OE"), "D", ORDER[1:], TS)
    assert outcome.reply.msg_type == "j"
    assert outcome.copies == ()


def test_unsupported_message_type_is_business_rejected(app):
    outcome = app.on_message(session("OE"), "AB", [(Tag.ClOrdID, "x")], TS)
    reject = dict(outcome.reply.fields)
    assert outcome.reply.msg_type == "j"
    assert reject[Tag.BusinessRejectReason] == "3"
    assert reject[Tag.RefMsgType] == "AB"
    assert reject[Tag.BusinessRejectRefID] == "x"
    assert "MsgType AB is not offered" in reject[Tag.Text]


@pytest.mark.parametrize(
    ("name", "msg_type", "fields"),
    [
        ("DC", "D", ORDER),
        ("DC", "q", ORDER),
        ("MD", "F", ORDER),
        ("MD", "H", STATUS_REQUEST),
    ],
)
def test_read_only_sessions_may_not_trade(app, name, msg_type, fields):
    outcome = app.on_message(session(name), msg_type, fields, TS)
    assert outcome.command is None
    reject = dict(outcome.reply.fields)
    assert reject[Tag.BusinessRejectReason] == "6"
    assert (
        f"a {session(name).type.value} session may not send MsgType {msg_type}"
        == (reject[Tag.Text])
    )


@pytest.mark.parametrize("name", ["OE", "DC", "MD"])
def test_every_session_type_may_ask_for_the_security_list(app, name):
    outcome = app.on_message(session(name), "x", SECURITY_LIST_REQUEST, TS)
    assert outcome.reply.msg_type == "y"
    assert dict(outcome.reply.fields[:3])[Tag.SecurityRequestResult] == "0"


def test_order_status_from_the_events_seen(app):
    app.on_event(events.OrderAccepted(1, TS, 7, "A1", "c1", "TJEA25", 2, 2, 0, 5000, 5))
    for name in ("OE", "DC"):
        report = dict(app.on_message(session(name), "H", STATUS_REQUEST, TS).reply.fields)
        assert (report[Tag.ExecType], report[Tag.OrdStatus], report[Tag.OrderID]) == ("I", "0", "7")


def test_events_become_deliveries_and_move_the_security_list_band(app):
    deliveries = app.on_event(
        events.OrderAccepted(1, TS, 7, "A1", "c1", "TJEA25", 2, 2, 0, 5000, 5)
    )
    assert sorted(d.session_id for d in deliveries) == ["DC", "OE", "OE2"]
    app.on_event(events.ReferencePriceSet(2, TS, "TJEA25", 6000, 5400, 6600, "sup"))
    listing = app.on_message(session("MD"), "x", SECURITY_LIST_REQUEST, TS).reply
    assert "ref=60.00 band=54.00-66.00" in listing.fields[-1][1]


def order(client_order_id: str) -> list:
    """ORDER with a ClOrdID of its own: the gateway refuses one used today."""
    return [(Tag.ClOrdID, client_order_id), *ORDER[1:]]


def test_over_the_rate_limit_rejects_then_far_over_logs_out(app):
    outcomes = [app.on_message(session("OE"), "D", order(f"c{n}"), TS) for n in range(7)]
    assert [o.command is not None for o in outcomes[:2]] == [True, True]
    for outcome in outcomes[2:6]:
        reject = dict(outcome.reply.fields)
        assert reject[Tag.BusinessRejectReason] == "0"
        assert reject[Tag.Text] == "over the limit of 2 messages/s: not processed"
    assert outcomes[6].logout == "message rate far above the limit of 2/s"
    assert outcomes[6].reply is None and outcomes[6].command is None
    # another session of the same member has its own budget
    assert app.on_message(session("OE2"), "D", order("c7"), TS).command is not None


def test_rate_limit_recovers_with_time(app):
    for n in range(3):
        app.on_message(session("OE"), "D", order(f"c{n}"), TS)
    assert app.on_message(session("OE"), "D", order("c3"), TS + 500_000_000).command is not None


def test_cancel_on_disconnect(app):
    assert app.on_disconnect(session("OE"), TS) == MassCancel(
        TS, f"disconnect-OE-{TS}", MassCancelScope.MEMBER, member="M01"
    )
    assert app.on_disconnect(session("OE2"), TS) is None  # not configured
    assert app.on_disconnect(session("MD"), TS) is None  # has no orders to cancel


def test_a_resend_request_takes_from_the_same_rate_as_orders(app):
    assert app.on_message(session("OE"), "D", ORDER, TS).command is not None
    assert app.admit(session("OE"), TS).name == "PASS"
    assert app.admit(session("OE"), TS).name == "REJECT"  # 2/s: the order and the resend
    outcome = app.on_message(session("OE"), "D", [*ORDER[1:], (Tag.ClOrdID, "c9")], TS)
    assert outcome.command is None  # the resend's token is gone for orders too

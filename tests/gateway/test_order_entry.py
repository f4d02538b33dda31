"""Inbound D / F / G / q -> engine commands, or the gateway's own specific rejection."""

import pytest

from engine import events
from engine.commands import AmendOrder, CancelOrder, MassCancel, NewOrder
from engine.orders import MassCancelScope, OrderType, Side, TimeInForce
from engine.reasons import TEXT, Reason
from gateway.members import hash_password, parse_directory
from gateway.trading.app_messages import AppMessage
from gateway.trading.execution_reports import ExecutionReports
from gateway.trading.order_entry import USED_TODAY, OrderEntry
from gateway.trading.order_views import OrderViews
from gateway.trading.tags import Tag

TS = 1_790_000_000_123_456_789  # 2026-09-21T14:13:20.123Z
HASH = hash_password("pw")
DIRECTORY = parse_directory(
    {
        "members": {
            "M01": {"accounts": ["A1", "A2"]},
            "M02": {"accounts": ["B1"]},
            "SUP": {"role": "supervisor", "accounts": ["S1"]},
        },
        "sessions": {
            "M01-OE": {"member": "M01", "type": "order_entry", "password": HASH},
            "SUP-OE": {"member": "SUP", "type": "order_entry", "password": HASH},
        },
    }
)
M01 = DIRECTORY.sessions["M01-OE"]
SUPERVISOR = DIRECTORY.sessions["SUP-OE"]


def fields(base: dict, **changes) -> list[tuple[int, str]]:
    """`base` with fields changed by FIX name; None removes one."""
    merged = dict(base)
    for name, value in changes.items():
        if value is None:
            merged.pop(Tag[name], None)
        else:
            merged[Tag[name]] = value
    return list(merged.items())


NEW_ORDER = {
    Tag.ClOrdID: "c1",
    Tag.Account: "A1",
    Tag.Symbol: "TJEA25",
    Tag.Side: "1",
    Tag.TransactTime: "20260921-14:53:20.000",
    Tag.OrderQty: "100",
    Tag.OrdType: "2",
    Tag.Price: "50.01",
    Tag.TimeInForce: "0",
}
CANCEL = {
    Tag.OrigClOrdID: "c1",
    Tag.ClOrdID: "c2",
    Tag.Account: "A1",
    Tag.Symbol: "TJEA25",
    Tag.Side: "1",
    Tag.TransactTime: "20260921-14:53:20.000",
}
REPLACE = {**CANCEL, Tag.OrderQty: "80", Tag.OrdType: "2", Tag.Price: "49.99"}
MASS_CANCEL = {
    Tag.ClOrdID: "m1",
    Tag.MassCancelRequestType: "7",
    Tag.TransactTime: "20260921-14:53:20.000",
}


@pytest.fixture
def entry() -> OrderEntry:
    return OrderEntry(DIRECTORY, OrderViews())


def as_dict(message: AppMessage) -> dict[int, str]:
    assert len({tag for tag, _ in message.fields}) == len(message.fields), "repeated tag"
    return dict(message.fields)


# --- NewOrderSingle (D) ---


def test_limit_day_order_becomes_new_order(entry):
    command = entry.translate(M01, "D", fields(NEW_ORDER), TS)
    assert command == NewOrder(
        TS, "A1", "c1", "TJEA25", Side.BUY, OrderType.LIMIT, TimeInForce.DAY, 5001, 100, M01.id
    )


@pytest.mark.parametrize(
    ("changes", "order_type", "tif", "price", "quantity"),
    [
        ({"TimeInForce": None}, OrderType.LIMIT, TimeInForce.DAY, 5001, 100),
        ({"TimeInForce": "3"}, OrderType.LIMIT, TimeInForce.IOC, 5001, 100),
        ({"TimeInForce": "4", "Price": "50"}, OrderType.LIMIT, TimeInForce.FOK, 5000, 100),
        ({"OrdType": "1", "Price": None, "TimeInForce": None}, 1, TimeInForce.IOC, 0, 100),
        ({"OrdType": "1", "Price": None, "TimeInForce": "4"}, 1, TimeInForce.FOK, 0, 100),
        ({"OrderQty": "7", "Price": ".5"}, OrderType.LIMIT, TimeInForce.DAY, 50, 7),
    ],
)
def test_supported_order_kinds(entry, changes, order_type, tif, price, quantity):
    command = entry.translate(M01, "D", fields(NEW_ORDER, Side="2", **changes), TS)
    assert isinstance(command, NewOrder)
    assert (command.side, command.order_type, command.time_in_force) == (2, order_type, tif)
    assert (command.price, command.quantity) == (price, quantity)


@pytest.mark.parametrize(
    ("changes", "reason", "text"),
    [
        ({"Account": None}, 15, "Account (1) is required"),
        ({"Account": "B1"}, 15, TEXT[Reason.UNKNOWN_ACCOUNT]),
        ({"Account": "nobody"}, 15, TEXT[Reason.UNKNOWN_ACCOUNT]),
        ({"Symbol": None}, 1, "Symbol (55) is required"),
        ({"Side": "5"}, 11, "Side (54) must be 1 (buy) or 2 (sell)"),
        ({"OrdType": "3"}, 11, "OrdType (40) must be 1 (market) or 2 (limit)"),
        ({"TimeInForce": "1"}, 11, "TimeInForce (59) must be 0 (day), 3 (IOC) or 4 (FOK)"),
        ({"TimeInForce": "6"}, 11, "TimeInForce (59) must be 0 (day), 3 (IOC) or 4 (FOK)"),
        ({"OrdType": "1", "Price": None}, 11, "a market order is immediate"),
        ({"OrdType": "1", "TimeInForce": "3"}, 11, "a market order (OrdType 40=1) must not"),
        ({"Price": None}, 11, "a limit order (OrdType 40=2) needs Price (44)"),
        ({"Price": "50.001"}, 99, "Price (44) has more than two decimals"),
        ({"Price": "abc"}, 99, "Price (44) 'abc' is not a decimal number"),
        ({"Price": "1e3"}, 99, "Price (44) '1e3' is not a decimal number"),
        ({"Price": "NaN"}, 99, "is not a decimal number"),
        ({"Price": "1" * 30}, 99, "Price (44) is too large"),
        ({"OrderQty": "10.5"}, 13, "OrderQty (38) must be a whole number of tonnes"),
        ({"OrderQty": None}, 13, "OrderQty (38) is required"),
        ({"OrderQty": "9" * 20}, 13, "OrderQty (38) is too large"),
        ({"StopPx": "49.00"}, 11, "StopPx (99): stop orders are not offered"),
        ({"MinQty": "10"}, 11, "MinQty (110): minimum-quantity orders are not offered"),
        ({"MaxFloor": "10"}, 11, "MaxFloor (111): iceberg orders are not offered"),
        ({"MaxShow": "10"}, 11, "MaxShow (210): iceberg orders are not offered"),
        ({"ExpireDate": "20260922"}, 11, "ExpireDate (432): good-till-date"),
        ({"ExpireTime": "20260922-07:00:00"}, 11, "ExpireTime (126): good-till-date"),
    ],
)
def test_bad_new_order_is_rejected_with_its_reason(entry, changes, reason, text):
    reply = entry.translate(M01, "D", fields(NEW_ORDER, **changes), TS)
    assert isinstance(reply, AppMessage)
    assert reply.msg_type == "8"
    report = as_dict(reply)
    assert report[Tag.ExecType] == "8"
    assert report[Tag.OrdStatus] == "8"
    assert report[Tag.OrdRejReason] == str(reason)
    assert text in report[Tag.Text]
    assert report[Tag.OrderID] == "NONE"
    assert report[Tag.ClOrdID] == "c1"
    assert (report[Tag.CumQty], report[Tag.LeavesQty], report[Tag.AvgPx]) == ("0", "0", "0")
    assert report[Tag.TransactTime] == "20260921-14:13:20.123"


def test_reject_echoes_what_the_member_sent(entry):
    reply = entry.translate(M01, "D", fields(NEW_ORDER, Price="50.001"), TS)
    report = as_dict(reply)
    assert report[Tag.Account] == "A1"
    assert report[Tag.Symbol] == "TJEA25"
    assert report[Tag.Side] == "1"
    assert report[Tag.OrderQty] == "100"
    assert report[Tag.Price] == "50.001"


def test_immediate_rejects_have_distinct_exec_ids(entry):
    first = as_dict(entry.translate(M01, "D", fields(NEW_ORDER, Account="B1"), TS))
    second = as_dict(entry.translate(M01, "D", fields(NEW_ORDER, Account="B1"), TS))
    assert first[Tag.ExecID] != second[Tag.ExecID]


@pytest.mark.parametrize("msg_type", ["D", "F", "G", "q"])
def test_missing_cl_ord_id_is_a_business_reject(entry, msg_type):
    base = {"D": NEW_ORDER, "F": CANCEL, "G": REPLACE, "q": MASS_CANCEL}[msg_type]
    reply = entry.translate(M01, msg_type, fields(base, ClOrdID=None), TS)
    assert reply.msg_type == "j"
    reject = as_dict(reply)
    assert reject[Tag.RefMsgType] == msg_type
    assert reject[Tag.BusinessRejectReason] == "5"
    assert reject[Tag.Text] == "ClOrdID (11) is required"


def test_order_entry_refuses_message_types_it_does_not_handle(entry):
    with pytest.raises(ValueError, match="does not handle MsgType 'V'"):
        entry.translate(M01, "V", fields(NEW_ORDER), TS)


# --- OrderCancelRequest (F) ---


def test_cancel_by_client_id_and_by_order_id(entry):
    assert entry.translate(M01, "F", fields(CANCEL), TS) == CancelOrder(
        TS, "A1", "c2", "TJEA25", "c1", 0, M01.id
    )
    by_order_id = entry.translate(M01, "F", fields(CANCEL, OrigClOrdID=None, OrderID="42"), TS)
    assert by_order_id == CancelOrder(TS, "A1", "c2", "TJEA25", "", 42, M01.id)


@pytest.mark.parametrize(
    ("changes", "reason", "text"),
    [
        ({"Account": "B1"}, 99, TEXT[Reason.UNKNOWN_ACCOUNT]),
        ({"Account": None}, 99, "Account (1) is required"),
        ({"OrderID": "X17"}, 1, "OrderID (37) 'X17' is not an order of ours"),
        ({"OrderID": "0"}, 1, "OrderID (37) '0' is not an order of ours"),
        ({"OrigClOrdID": None}, 99, "OrigClOrdID (41) or OrderID (37) is required"),
        ({"Symbol": None}, 99, "Symbol (55) is required"),
    ],
)
def test_bad_cancel_is_rejected(entry, changes, reason, text):
    reply = entry.translate(M01, "F", fields(CANCEL, **changes), TS)
    assert reply.msg_type == "9"
    reject = as_dict(reply)
    assert reject[Tag.CxlRejResponseTo] == "1"
    assert reject[Tag.CxlRejReason] == str(reason)
    assert reject[Tag.Text] == text
    assert reject[Tag.ClOrdID] == "c2"
    assert reject[Tag.OrdStatus] == "8"
    assert reject[Tag.OrigClOrdID] == ("NONE" if "OrigClOrdID" in changes else "c1")


def test_cancel_reject_reports_the_known_orders_status():
    views = OrderViews()
    reports = ExecutionReports(DIRECTORY, views)
    reports.apply(events.OrderAccepted(1, TS, 9, "A1", "c1", "TJEA25", 1, 2, 0, 5000, 10))
    entry = OrderEntry(DIRECTORY, views)
    reject = as_dict(entry.translate(M01, "F", fields(CANCEL, Symbol=None), TS))
    assert reject[Tag.OrdStatus] == "0"
    # the same order named through another member's account stays unknown
    other = as_dict(entry.translate(M01, "F", fields(CANCEL, Account="B1"), TS))
    assert other[Tag.OrdStatus] == "8"


def test_a_cl_ord_id_is_used_once_a_day_per_account():
    """FIX's rule, kept here since the engine only knows its live orders' ids: an order
    that is done (here an IOC that expired at once) still holds its ClOrdID for the day,
    and so does a request the engine has not answered yet."""
    views = OrderViews()
    reports = ExecutionReports(DIRECTORY, views)
    entry = OrderEntry(DIRECTORY, views)
    assert isinstance(entry.translate(M01, "D", fields(NEW_ORDER), TS), NewOrder)
    resent = as_dict(entry.translate(M01, "D", fields(NEW_ORDER), TS))  # not yet answered
    assert (resent[Tag.OrdRejReason], resent[Tag.Text]) == ("6", USED_TODAY)

    reports.apply(events.OrderAccepted(1, TS, 9, "A1", "c1", "TJEA25", 1, 2, 3, 5001, 100))
    reports.apply(events.OrderCancelled(2, TS, 9, "A1", "c1", "TJEA25", 1, 5001, 100, 0, 3))
    done = as_dict(entry.translate(M01, "D", fields(NEW_ORDER), TS))
    assert (done[Tag.OrdRejReason], done[Tag.Text]) == ("6", USED_TODAY)
    replace = as_dict(entry.translate(M01, "G", fields(REPLACE, ClOrdID="c1"), TS))
    assert (replace[Tag.CxlRejReason], replace[Tag.Text]) == ("6", USED_TODAY)
    assert isinstance(entry.translate(M01, "D", fields(NEW_ORDER, Account="A2"), TS), NewOrder)

    # a refused order does not hold its ClOrdID: the member may correct and resend it
    assert isinstance(entry.translate(M01, "D", fields(NEW_ORDER, ClOrdID="c5"), TS), NewOrder)
    reports.apply(events.OrderRejected(3, TS, "A1", "c5", "TJEA25", 1, 5001, 100, 13, "cash"))
    assert isinstance(entry.translate(M01, "D", fields(NEW_ORDER, ClOrdID="c5"), TS), NewOrder)

    reports.apply(events.DayClosed(4, TS, "2026-09-21", "TJEA25", *[0] * 11))
    assert isinstance(entry.translate(M01, "D", fields(NEW_ORDER), TS), NewOrder)  # a new day


# --- OrderCancelReplaceRequest (G) ---


def test_replace_becomes_amend(entry):
    assert entry.translate(M01, "G", fields(REPLACE), TS) == AmendOrder(
        TS, "A1", "c2", "TJEA25", "c1", 4999, 80, 0, M01.id
    )
    again = fields(REPLACE, ClOrdID="c3", TimeInForce="0", OrderID="7")
    assert entry.translate(M01, "G", again, TS) == (
        AmendOrder(TS, "A1", "c3", "TJEA25", "c1", 4999, 80, 7, M01.id)
    )


@pytest.mark.parametrize(
    ("changes", "reason", "text"),
    [
        ({"Account": "S1"}, 99, TEXT[Reason.UNKNOWN_ACCOUNT]),
        ({"OrdType": "1"}, 99, "only a resting limit order can be replaced"),
        ({"TimeInForce": "3"}, 99, "a resting order is a day order"),
        ({"Price": "49.999"}, 99, "Price (44) has more than two decimals"),
        ({"Price": None}, 99, "Price (44) is required"),
        ({"OrderQty": "0.5"}, 99, "OrderQty (38) must be a whole number of tonnes"),
        ({"MaxFloor": "10"}, 99, "MaxFloor (111): iceberg orders are not offered"),
        ({"OrderID": "-3"}, 1, "OrderID (37) '-3' is not an order of ours"),
    ],
)
def test_bad_replace_is_rejected(entry, changes, reason, text):
    reply = entry.translate(M01, "G", fields(REPLACE, **changes), TS)
    assert reply.msg_type == "9"
    reject = as_dict(reply)
    assert reject[Tag.CxlRejResponseTo] == "2"
    assert reject[Tag.CxlRejReason] == str(reason)
    assert text in reject[Tag.Text]


# --- OrderMassCancelRequest (q) ---


@pytest.mark.parametrize(
    ("session", "changes", "expected"),
    [
        (M01, {}, MassCancel(TS, "m1", MassCancelScope.MEMBER, member="M01")),
        (
            M01,
            {"MassCancelAccount": "A2"},
            MassCancel(TS, "m1", MassCancelScope.ACCOUNT, account="A2"),
        ),
        (
            M01,
            {"MassCancelRequestType": "1", "Symbol": "CCER"},
            MassCancel(TS, "m1", MassCancelScope.MEMBER, member="M01", instrument="CCER"),
        ),
        (
            M01,
            {"MassCancelRequestType": "1", "Symbol": "CCER", "MassCancelAccount": "A1"},
            MassCancel(TS, "m1", MassCancelScope.ACCOUNT, account="A1", instrument="CCER"),
        ),
        (
            M01,
            {"Symbol": "CCER"},  # 530=7 cancels all orders: a Symbol does not narrow it
            MassCancel(TS, "m1", MassCancelScope.MEMBER, member="M01"),
        ),
        (
            SUPERVISOR,
            {"MassCancelRequestType": "1", "Symbol": "CCER"},
            MassCancel(TS, "m1", MassCancelScope.INSTRUMENT, member="SUP", instrument="CCER"),
        ),
        (
            SUPERVISOR,
            {},
            MassCancel(TS, "m1", MassCancelScope.MEMBER, member="SUP"),
        ),
    ],
)
def test_mass_cancel_scopes(entry, session, changes, expected):
    assert entry.translate(session, "q", fields(MASS_CANCEL, **changes), TS) == expected


@pytest.mark.parametrize(
    ("changes", "reason", "text"),
    [
        ({"MassCancelRequestType": "3"}, "0", "MassCancelRequestType (530) must be 1"),
        ({"MassCancelRequestType": "1"}, "1", "Symbol (55) is required"),
        ({"Side": "1"}, "99", "a Side (54) filter is not offered"),
        ({"MassCancelAccount": "B1"}, "99", TEXT[Reason.UNKNOWN_ACCOUNT]),
    ],
)
def test_bad_mass_cancel_is_rejected(entry, changes, reason, text):
    reply = entry.translate(M01, "q", fields(MASS_CANCEL, **changes), TS)
    assert reply.msg_type == "r"
    report = as_dict(reply)
    assert report[Tag.MassCancelResponse] == "0"
    assert report[Tag.MassCancelRejectReason] == reason
    assert text in report[Tag.Text]
    assert report[Tag.ClOrdID] == "m1"
    assert report[Tag.MassCancelRequestType] == changes.get("MassCancelRequestType", "7")

"""Engine events -> execution reports, order status answers and their routing."""

import pytest

from engine import events
from engine.orders import CancelCause, MassCancelScope
from engine.reasons import TEXT, Reason
from gateway.members import hash_password, parse_directory
from gateway.trading.app_messages import AppMessage
from gateway.trading.execution_reports import ExecutionReports, avg_px
from gateway.trading.tags import Tag

TS = 1_790_000_000_000_000_000
HASH = hash_password("pw")
DIRECTORY = parse_directory(
    {
        "members": {
            "M01": {"accounts": ["A1", "A2"]},
            "M02": {"accounts": ["B1"]},
            "SUP": {"role": "supervisor"},
        },
        "sessions": {
            "M01-OE": {"member": "M01", "type": "order_entry", "password": HASH},
            "M01-DC": {"member": "M01", "type": "drop_copy", "password": HASH},
            "M01-MD": {"member": "M01", "type": "market_data", "password": HASH},
            "M02-OE": {"member": "M02", "type": "order_entry", "password": HASH},
            "SUP-DC": {"member": "SUP", "type": "drop_copy", "password": HASH},
        },
    }
)


def accepted(seq, order_id, account="A1", client_id="c1", side=1, price=5000, qty=100, **kw):
    values = dict(order_type=2, time_in_force=0) | kw
    return events.OrderAccepted(
        seq,
        TS + seq,
        order_id,
        account,
        client_id,
        "TJEA25",
        side,
        values["order_type"],
        values["time_in_force"],
        price,
        qty,
    )


def trade(seq, quantity, price, buy=(1, "A1", "c1", 0), sell=(2, "B1", "s1", 0), trade_id=None):
    return events.Trade(
        seq,
        TS + seq,
        trade_id or seq * 10,
        "TJEA25",
        price,
        quantity,
        1,
        *buy,
        *sell,
    )


def cancelled(seq, order_id, cause, cancelled_qty, filled=0, client_id="c1", request_id=""):
    return events.OrderCancelled(
        seq,
        TS + seq,
        order_id,
        "A1",
        client_id,
        "TJEA25",
        1,
        5000,
        cancelled_qty,
        filled,
        cause,
        request_id,
    )


def to(deliveries, session_id) -> list[dict[int, str]]:
    return [dict(d.message.fields) for d in deliveries if d.session_id == session_id]


def only(deliveries, session_id="M01-OE") -> dict[int, str]:
    (report,) = to(deliveries, session_id)
    return report


@pytest.fixture
def reports() -> ExecutionReports:
    return ExecutionReports(DIRECTORY)


def test_accepted_is_new_and_goes_to_the_members_sessions_and_drop_copies(reports):
    deliveries = reports.apply(accepted(5, 1))
    assert sorted(d.session_id for d in deliveries) == ["M01-DC", "M01-OE", "SUP-DC"]
    assert all(d.message.msg_type == "8" for d in deliveries)
    report = only(deliveries)
    assert report == {
        Tag.OrderID: "1",
        Tag.ClOrdID: "c1",
        Tag.ExecID: "5",
        Tag.ExecType: "0",
        Tag.OrdStatus: "0",
        Tag.Account: "A1",
        Tag.Symbol: "TJEA25",
        Tag.Side: "1",
        Tag.OrderQty: "100",
        Tag.OrdType: "2",
        Tag.Price: "50.00",
        Tag.TimeInForce: "0",
        Tag.LeavesQty: "100",
        Tag.CumQty: "0",
        Tag.AvgPx: "0",
        Tag.TransactTime: "20260921-14:13:20.000",
    }
    assert only(deliveries, "M01-DC") == report | {Tag.CopyMsgIndicator: "Y"}
    assert only(deliveries, "SUP-DC") == report | {Tag.CopyMsgIndicator: "Y"}
    assert Tag.CopyMsgIndicator not in report


def test_market_order_report_has_no_price(reports):
    report = only(reports.apply(accepted(1, 1, order_type=1, time_in_force=3, price=5500)))
    assert Tag.Price not in report
    assert (report[Tag.OrdType], report[Tag.TimeInForce]) == ("1", "3")


def test_trade_reports_each_side_to_its_member(reports):
    reports.apply(accepted(1, 1, qty=100))
    reports.apply(accepted(2, 2, account="B1", client_id="s1", side=2, qty=30))
    deliveries = reports.apply(trade(3, 30, 5000, buy=(1, "A1", "c1", 70), sell=(2, "B1", "s1", 0)))
    buy = only(deliveries, "M01-OE")
    sell = only(deliveries, "M02-OE")
    assert (buy[Tag.ExecType], buy[Tag.OrdStatus]) == ("F", "1")
    assert (sell[Tag.ExecType], sell[Tag.OrdStatus]) == ("F", "2")
    assert (buy[Tag.LastQty], buy[Tag.LastPx]) == ("30", "50.00")
    assert (buy[Tag.CumQty], buy[Tag.LeavesQty], buy[Tag.AvgPx]) == ("30", "70", "50.00")
    assert (sell[Tag.CumQty], sell[Tag.LeavesQty]) == ("30", "0")
    assert buy[Tag.TrdMatchID] == sell[Tag.TrdMatchID] == "30"
    assert (buy[Tag.ExecID], sell[Tag.ExecID]) == ("3B", "3S")
    assert sorted(d.session_id for d in deliveries) == [
        "M01-DC",
        "M01-OE",
        "M02-OE",
        "SUP-DC",
        "SUP-DC",
    ]


def test_avg_px_over_fills_at_several_prices(reports):
    reports.apply(accepted(1, 1, price=5010, qty=30))
    reports.apply(accepted(2, 2, account="B1", client_id="s1", side=2, price=5000, qty=30))
    reports.apply(trade(3, 10, 5000, buy=(1, "A1", "c1", 20), sell=(2, "B1", "s1", 20)))
    last = only(reports.apply(trade(4, 20, 5003, buy=(1, "A1", "c1", 0), sell=(2, "B1", "s1", 0))))
    assert (last[Tag.CumQty], last[Tag.LeavesQty], last[Tag.AvgPx]) == ("30", "0", "50.02")
    assert last[Tag.OrdStatus] == "2"


@pytest.mark.parametrize(
    ("notional", "cum", "text"),
    [
        (0, 0, "0"),
        (5000, 1, "50.00"),
        (150_060, 3, "500.20"),
        (15_002, 3, "50.006667"),  # 50.00666... rounds up at the sixth decimal
        (1, 32, "0.000312"),  # 0.0003125: half to even, down
        (3, 32, "0.000938"),  # 0.0009375: half to even, up
        (12_345, 8, "15.43125"),  # exact within six decimals
    ],
)
def test_avg_px_text(notional, cum, text):
    assert avg_px(notional, cum) == text


def test_both_sides_of_one_member_get_two_distinct_reports(reports):
    reports.apply(accepted(1, 1, qty=10))
    reports.apply(accepted(2, 2, account="A2", client_id="s1", side=2, qty=10))
    deliveries = reports.apply(trade(3, 10, 5000, sell=(2, "A2", "s1", 0)))
    own = to(deliveries, "M01-OE")
    assert [r[Tag.Side] for r in own] == ["1", "2"]
    assert [r[Tag.ExecID] for r in own] == ["3B", "3S"]


def test_requested_cancel_answers_the_request_and_chains_client_ids(reports):
    reports.apply(accepted(1, 1, qty=100))
    reports.apply(accepted(2, 2, account="B1", client_id="s1", side=2, qty=40))
    reports.apply(trade(3, 40, 5000, buy=(1, "A1", "c1", 60), sell=(2, "B1", "s1", 0)))
    report = only(reports.apply(cancelled(4, 1, CancelCause.REQUESTED, 60, 40, request_id="x9")))
    assert (report[Tag.ExecType], report[Tag.OrdStatus]) == ("4", "4")
    assert (report[Tag.ClOrdID], report[Tag.OrigClOrdID]) == ("x9", "c1")
    assert (report[Tag.CumQty], report[Tag.LeavesQty], report[Tag.AvgPx]) == ("40", "0", "50.00")
    assert report[Tag.Text] == "cancelled at your request"


@pytest.mark.parametrize(
    ("cause", "exec_type", "text"),
    [
        (CancelCause.MASS_CANCEL, "4", "cancelled by mass cancel m7"),
        (CancelCause.SELF_TRADE, "4", "cancelled by self-trade prevention"),
        (CancelCause.IOC_REMAINDER, "C", "immediate-or-cancel remainder expired"),
        (CancelCause.FOK_UNFILLED, "C", "fill-or-kill order could not be filled in full"),
        (CancelCause.EXPIRED, "C", "day order expired at the end of the trading day"),
    ],
)
def test_other_cancel_causes(reports, cause, exec_type, text):
    reports.apply(accepted(1, 1, qty=100))
    report = only(reports.apply(cancelled(2, 1, cause, 100, request_id="m7")))
    assert (report[Tag.ExecType], report[Tag.OrdStatus]) == (exec_type, exec_type)
    assert report[Tag.ClOrdID] == "c1"
    assert Tag.OrigClOrdID not in report
    assert text in report[Tag.Text]
    assert (report[Tag.LeavesQty], report[Tag.CumQty]) == ("0", "0")


def test_amend_is_replaced_with_the_new_terms(reports):
    reports.apply(accepted(1, 1, qty=100))
    reports.apply(accepted(2, 2, account="B1", client_id="s1", side=2, qty=10))
    reports.apply(trade(3, 10, 5000, buy=(1, "A1", "c1", 90), sell=(2, "B1", "s1", 0)))
    amended = events.OrderAmended(4, TS, 1, "A1", "c2", "c1", "TJEA25", 1, 4990, 50, 40, False)
    report = only(reports.apply(amended))
    assert (report[Tag.ExecType], report[Tag.OrdStatus]) == ("5", "1")
    assert (report[Tag.ClOrdID], report[Tag.OrigClOrdID]) == ("c2", "c1")
    assert (report[Tag.OrderQty], report[Tag.Price]) == ("50", "49.90")
    assert (report[Tag.CumQty], report[Tag.LeavesQty]) == ("10", "40")


def test_amend_of_unfilled_order_is_new(reports):
    reports.apply(accepted(1, 1, qty=100))
    amended = events.OrderAmended(2, TS, 1, "A1", "c2", "c1", "TJEA25", 1, 5000, 60, 60, True)
    report = only(reports.apply(amended))
    assert (report[Tag.ExecType], report[Tag.OrdStatus], report[Tag.LeavesQty]) == ("5", "0", "60")


@pytest.mark.parametrize(
    ("reason", "code", "text"),
    [
        (Reason.INSUFFICIENT_CASH, "0", ""),
        (Reason.OUT_OF_BAND, "99", "price 60.00 outside band 45.00-55.00"),
        (Reason.EXCHANGE_CLOSED, "2", ""),
        (Reason.UNKNOWN_INSTRUMENT, "1", ""),
        (Reason.DUPLICATE_CLIENT_ORDER_ID, "6", ""),
        (Reason.QUANTITY_TOO_LARGE, "3", ""),
    ],
)
def test_engine_rejection(reports, reason, code, text):
    rejected = events.OrderRejected(7, TS, "A2", "c1", "TJEA25", 2, 6000, 10, reason, text)
    report = only(reports.apply(rejected))
    assert (report[Tag.ExecType], report[Tag.OrdStatus]) == ("8", "8")
    assert report[Tag.OrdRejReason] == code
    assert report[Tag.Text] == (text or TEXT[reason])
    assert (report[Tag.OrderID], report[Tag.ExecID]) == ("NONE", "7")
    assert (report[Tag.Price], report[Tag.OrderQty], report[Tag.Side]) == ("60.00", "10", "2")
    assert (report[Tag.CumQty], report[Tag.LeavesQty]) == ("0", "0")


@pytest.mark.parametrize(
    ("is_amend", "reason", "code", "response_to"),
    [
        (False, Reason.UNKNOWN_ORDER, "1", "1"),
        (True, Reason.INSUFFICIENT_CASH, "2", "2"),
        (True, Reason.AMEND_BELOW_FILLED, "99", "2"),
        (False, Reason.NOT_YOUR_ORDER, "1", "1"),
    ],
)
def test_cancel_rejected(reports, is_amend, reason, code, response_to):
    reports.apply(accepted(1, 1, qty=100))
    rejected = events.CancelRejected(2, TS, "A1", "c2", "c1", "TJEA25", is_amend, reason, "", 1)
    deliveries = reports.apply(rejected)
    assert {d.message.msg_type for d in deliveries} == {"9"}
    reject = only(deliveries)
    assert reject[Tag.CxlRejReason] == code
    assert reject[Tag.CxlRejResponseTo] == response_to
    shown = Reason.UNKNOWN_ORDER if reason is Reason.NOT_YOUR_ORDER else reason
    assert reject[Tag.Text] == TEXT[shown]
    assert (reject[Tag.OrderID], reject[Tag.ClOrdID], reject[Tag.OrigClOrdID]) == ("1", "c2", "c1")
    assert reject[Tag.OrdStatus] == "0"


def test_cancel_rejected_for_an_unknown_order_says_rejected(reports):
    rejected = events.CancelRejected(2, TS, "A1", "c2", "zz", "TJEA25", False, 11, "", 0)
    reject = only(reports.apply(rejected))
    assert (reject[Tag.OrderID], reject[Tag.OrdStatus]) == ("NONE", "8")


def test_another_accounts_live_order_is_answered_as_an_unknown_one(reports):
    reports.apply(accepted(1, 1, account="B1", client_id="c1"))
    answers = []
    for seq, reason in ((2, Reason.NOT_YOUR_ORDER), (3, Reason.UNKNOWN_ORDER)):
        refused = events.CancelRejected(seq, TS, "A1", "c2", "", "TJEA25", False, reason, "", 1)
        answers.append(only(reports.apply(refused)))
    assert answers[0] == answers[1]
    assert (answers[0][Tag.CxlRejReason], answers[0][Tag.Text]) == ("1", TEXT[Reason.UNKNOWN_ORDER])


def test_cancel_rejected_never_shows_another_accounts_order_status(reports):
    reports.apply(accepted(1, 1, account="B1", client_id="c1"))
    rejected = events.CancelRejected(2, TS, "A1", "c2", "c1", "TJEA25", False, 12, "", 1)
    assert only(reports.apply(rejected))[Tag.OrdStatus] == "8"


def test_mass_cancel_done(reports):
    done = events.MassCancelDone(9, TS, "m1", MassCancelScope.MEMBER, "", "M01", "", 3)
    report = only(reports.apply(done))
    assert reports.apply(done) == []  # redelivered: nothing twice
    assert report[Tag.MassCancelRequestType] == report[Tag.MassCancelResponse] == "7"
    assert (report[Tag.TotalAffectedOrders], report[Tag.ClOrdID]) == ("3", "m1")
    assert report[Tag.OrderID] == "9"
    assert Tag.MassCancelRejectReason not in report


def test_mass_cancel_of_one_instrument_routed_by_account(reports):
    done = events.MassCancelDone(9, TS, "m1", MassCancelScope.ACCOUNT, "B1", "", "CCER", 1)
    deliveries = reports.apply(done)
    report = only(deliveries, "M02-OE")
    assert to(deliveries, "M01-OE") == []
    assert report[Tag.MassCancelRequestType] == report[Tag.MassCancelResponse] == "1"
    assert report[Tag.Symbol] == "CCER"


def test_mass_cancel_refused_by_the_engine(reports):
    done = events.MassCancelDone(
        9, TS, "m1", MassCancelScope.MEMBER, "", "M01", "XX", 0, Reason.UNKNOWN_INSTRUMENT, ""
    )
    report = only(reports.apply(done))
    assert report[Tag.MassCancelResponse] == "0"
    assert report[Tag.MassCancelRejectReason] == "1"
    assert report[Tag.Text] == TEXT[Reason.UNKNOWN_INSTRUMENT]


def test_supervisor_instrument_mass_cancel_answers_the_supervisor(reports):
    done = events.MassCancelDone(9, TS, "m1", MassCancelScope.INSTRUMENT, "", "SUP", "CCER", 4)
    assert [d.session_id for d in reports.apply(done)] == ["SUP-DC"]


def test_redelivered_events_send_nothing(reports):
    assert reports.apply(accepted(3, 1))
    assert reports.apply(accepted(3, 1)) == []
    assert reports.apply(accepted(2, 7)) == []
    assert reports.last_seq == 3


def test_account_no_member_owns_is_counted_not_delivered(reports):
    assert reports.apply(accepted(1, 1, account="Z9")) == []
    assert reports.unrouted == 1


def test_trade_for_an_order_never_seen_still_reports_the_known_side(reports):
    reports.apply(accepted(1, 2, account="B1", client_id="s1", side=2, qty=10))
    deliveries = reports.apply(trade(2, 10, 5000, buy=(99, "A1", "c1", 0), sell=(2, "B1", "s1", 0)))
    assert reports.orphans == 1
    assert to(deliveries, "M01-OE") == []
    assert only(deliveries, "M02-OE")[Tag.OrdStatus] == "2"


# --- OrderStatusRequest (H) ---


def status(reports, member="M01", **fields) -> dict[int, str]:
    message = reports.order_status(member, [(Tag[k], v) for k, v in fields.items()], TS)
    assert isinstance(message, AppMessage) and message.msg_type == "8"
    return dict(message.fields)


def test_order_status_by_client_id_order_id_or_without_account(reports):
    reports.apply(accepted(1, 1, account="A2", client_id="c1", qty=100))
    reports.apply(accepted(2, 2, account="B1", client_id="s1", side=2, qty=25))
    reports.apply(trade(3, 25, 5001, buy=(1, "A2", "c1", 75), sell=(2, "B1", "s1", 0)))
    by_client = status(reports, ClOrdID="c1", Account="A2", Symbol="TJEA25", Side="1")
    by_order_id = status(reports, ClOrdID="c1", OrderID="1", OrdStatusReqID="q5")
    without_account = status(reports, ClOrdID="c1")
    for report in (by_client, by_order_id, without_account):
        assert (report[Tag.ExecType], report[Tag.OrdStatus], report[Tag.ExecID]) == ("I", "1", "0")
        assert (report[Tag.CumQty], report[Tag.LeavesQty], report[Tag.AvgPx]) == (
            "25",
            "75",
            "50.01",
        )
    assert by_order_id[Tag.OrdStatusReqID] == "q5"


def test_order_status_of_unknown_or_foreign_order_is_rejected_unknown(reports):
    reports.apply(accepted(1, 1, account="B1", client_id="s1"))
    for report in (
        status(reports, ClOrdID="nope", Account="A1", Symbol="TJEA25", Side="1"),
        status(reports, ClOrdID="s1", OrderID="1", Symbol="TJEA25", Side="1"),
        status(reports, ClOrdID="s1", Account="B1", Symbol="TJEA25", Side="1"),
    ):
        assert (report[Tag.ExecType], report[Tag.OrdStatus]) == ("I", "8")
        assert report[Tag.OrdRejReason] == "5"
        assert report[Tag.Text].startswith("unknown order")
    assert status(reports, member="M02", ClOrdID="s1")[Tag.OrdStatus] == "0"


def test_cancel_request_id_finds_the_order_afterwards(reports):
    reports.apply(accepted(1, 1))
    reports.apply(cancelled(2, 1, CancelCause.REQUESTED, 100, request_id="x9"))
    report = status(reports, ClOrdID="x9", Account="A1")
    assert (report[Tag.OrdStatus], report[Tag.ClOrdID], report[Tag.OrigClOrdID]) == (
        "4",
        "x9",
        "c1",
    )


def test_day_close_forgets_the_instruments_orders(reports):
    reports.apply(accepted(1, 1))
    reports.apply(cancelled(2, 1, CancelCause.EXPIRED, 100))
    assert status(reports, ClOrdID="c1", Account="A1")[Tag.OrdStatus] == "C"
    day_closed = events.DayClosed(
        3, TS, "2026-09-21", "TJEA25", 0, 0, 0, 5000, True, 0, 0, 1, 5000, 4500, 5500
    )
    assert reports.apply(day_closed) == []
    assert len(reports.views) == 0 and len(reports.views.done) == 0
    assert status(reports, ClOrdID="c1", Account="A1")[Tag.OrdStatus] == "8"

"""The FIX side of block trades without a network: every AR and AE the gateway sends for
the engine's block events passes the FIX 4.4 dictionary on the wire, goes to the right
members and their drop copies, and every malformed AE is refused at once with
TradeReportRejectReason 4 and a Text naming the field."""

import pytest

from engine.commands import AcceptBlock, DeclineBlock, ReportBlock, WithdrawBlock
from engine.reference import load_reference_data
from gateway.fix.message import Message
from gateway.members import Directory, Member, Role, Session, SessionType
from gateway.trading.block_trade_reports import BlockTradeReports
from gateway.trading.execution_reports import ExecutionReports
from tests.engine.test_block_trades import AFTERNOON, opened, report
from tests.gateway.test_fix_market_data import wire

REFERENCE = load_reference_data()


def directory() -> Directory:
    members = {
        "MS": Member("MS", "Seller", Role.MEMBER, frozenset({"S1", "S2", "S3"})),
        "MB": Member("MB", "Buyer", Role.MEMBER, frozenset({"B1", "B2"})),
    }
    sessions = {
        "MS-OE": Session("MS-OE", "MS", SessionType.ORDER_ENTRY, ""),
        "MB-OE": Session("MB-OE", "MB", SessionType.ORDER_ENTRY, ""),
        "MB-DC": Session("MB-DC", "MB", SessionType.DROP_COPY, ""),
    }
    return Directory(members, sessions)


@pytest.fixture
def desk() -> BlockTradeReports:
    logins = directory()
    return BlockTradeReports(logins, REFERENCE, ExecutionReports(logins))


def delivered(desk: BlockTradeReports, events) -> list[tuple[str, Message]]:
    return [
        (d.session_id, wire(Message.of(d.message.msg_type, *d.message.fields)))
        for event in events
        for d in desk.apply(event)
    ]


def values(message: Message, *tags: int) -> tuple:
    return tuple(message.get(tag) for tag in tags)


def test_every_outbound_block_message_is_valid_fix_and_reaches_both_sides(desk):
    sequencer = opened(REFERENCE)
    sent = delivered(desk, sequencer.apply(report()))
    assert [(to, m.msg_type) for to, m in sent] == [
        ("MS-OE", "AR"),
        ("MB-OE", "AE"),
        ("MB-DC", "AE"),
    ]
    assert values(sent[1][1], 856, 818, 797) == ("1", "1", None)
    assert sent[2][1].get(797) == "Y"
    sent = delivered(desk, sequencer.apply(AcceptBlock(AFTERNOON + 1, "MB", "a1", 1)))
    assert [(to, m.msg_type) for to, m in sent] == [
        ("MB-OE", "AR"),
        ("MB-DC", "AR"),
        ("MB-OE", "AE"),
        ("MB-DC", "AE"),
        ("MS-OE", "AE"),
    ]
    confirmation = sent[-1][1]
    assert values(confirmation, 150, 856, 828, 880, 32, 31) == (
        "F", "2", "1", "1", "200000", "50.00",
    )  # fmt: skip
    assert desk.open == {}
    declined = [("MB-OE", "AR"), ("MB-DC", "AR"), ("MS-OE", "AE")]
    withdrawn = [("MS-OE", "AR"), ("MB-OE", "AE"), ("MB-DC", "AE")]
    for command, kinds in (
        (DeclineBlock(AFTERNOON + 3, "MB", "d1", 2), declined),
        (WithdrawBlock(AFTERNOON + 5, "MS", "w1", 3), withdrawn),
    ):
        delivered(
            desk, sequencer.apply(report(ts=command.ts - 1, report_id=f"r{command.block_id}"))
        )
        assert [(to, m.msg_type) for to, m in delivered(desk, sequencer.apply(command))] == kinds
    refused = delivered(desk, sequencer.apply(report(quantity=10)))
    assert [(to, values(m, 35, 939, 751)) for to, m in refused] == [("MS-OE", ("AR", "1", "99"))]
    cross = delivered(desk, sequencer.apply(report(report_id="x", counterparty="S2", cross=True)))
    assert [(to, m.msg_type) for to, m in cross] == [("MS-OE", "AR"), ("MS-OE", "AE")]


def test_open_allegations_are_listed_for_both_members(desk):
    sequencer = opened(REFERENCE)
    delivered(desk, sequencer.apply(report()))
    for member, kind in (("MB", "1"), ("MS", "0")):
        ack, listed = [
            wire(Message.of(m.msg_type, *m.fields))
            for m in desk.request(member, [(568, "q"), (569, "2")], AFTERNOON)
        ]
        assert values(ack, 35, 568, 748, 749) == ("AQ", "q", "1", "0")
        assert values(listed, 35, 856, 818, 912, 568) == ("AE", kind, "1", "Y", "q")
    (ack,) = desk.request("MX", [(568, "q2"), (569, "2")], AFTERNOON)
    assert dict(ack.fields)[748] == "0"


SUBMIT = [
    (571, "r1"), (856, "0"), (828, "1"), (55, "TJEA25"), (32, "200000"), (31, "50.00"),
    (552, "2"), (54, "2"), (37, "NONE"), (1, "S1"), (54, "1"), (37, "NONE"), (1, "B1"),
]  # fmt: skip


def replaced(tag: int, value: str | None) -> list[tuple[int, str]]:
    fields = [(t, v) for t, v in SUBMIT if t != tag]
    return fields if value is None else [(tag, value), *fields]


@pytest.mark.parametrize(
    "fields, text",
    [
        (replaced(828, None), "TrdType (828) must be 1"),
        (replaced(828, "0"), "TrdType (828) must be 1"),
        (replaced(856, "4"), "TradeReportType (856) must be 0"),
        ([*SUBMIT[:-4], (552, "1")], "needs two sides"),
        ([*SUBMIT[:-3], (54, "2"), (37, "NONE"), (1, "B1")], "one buy and one sell"),
        (replaced(32, "2e5"), "LastQty (32)"),
        (replaced(32, "100000.5"), "whole number of tonnes"),
        (replaced(31, "50.001"), "more than two decimals"),
        (replaced(55, None), "Symbol (55) is required"),
        ([(571, "a"), (856, "2"), (828, "1")], "TradeReportRefID (572) is required"),
        ([(571, "a"), (856, "2"), (828, "1"), (572, "B7")], "must be the block id"),
    ],
)
def test_a_malformed_report_is_refused_at_once_naming_the_field(desk, fields, text):
    session = directory().sessions["MS-OE"]
    refusal = desk.translate(session, fields, AFTERNOON)
    assert refusal.msg_type == "AR"
    answer = dict(refusal.fields)
    assert (answer[939], answer[751]) == ("1", "4")
    assert text in answer[58]


def test_a_good_report_becomes_the_command(desk):
    command = desk.translate(directory().sessions["MS-OE"], SUBMIT, AFTERNOON)
    assert command == ReportBlock(AFTERNOON, "MS", "r1", "TJEA25", 2, "S1", "B1", 200_000, 5000)
    accept = [(571, "a"), (856, "2"), (828, "1"), (572, "A7")]
    assert desk.translate(directory().sessions["MB-OE"], accept, AFTERNOON) == AcceptBlock(
        AFTERNOON, "MB", "a", 7
    )

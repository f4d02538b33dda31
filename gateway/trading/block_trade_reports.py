"""Block trades over FIX: TradeCaptureReport (AE) in, TradeCaptureReportAck (AR) and AE out.

Inbound AE, by TradeReportType (856), with TrdType (828) 1 (block) always:
  0 submit   two sides (NoSides 552 = 2), each Side (54), OrderID (37) and Account (1);
             the first side is the reporter's own. When the member may act for both
             accounts it is a cross, otherwise an allegation to the second account.
  2 accept / 3 decline   TradeReportRefID (572) names the allegation by the exchange's
             block id (the SecondaryTradeReportID, 818, of the alleged AE; "A<id>" too).
  6 cancel   the reporter withdraws its allegation, named the same way.
TradeReportID (571) is the member's own id for every report, unique per member and day.

Outbound (TradeReportTransType 487 is "0" on every report; FIX 4.4 gives it no values):
| event         | to                                 | message                                     |
|---------------|------------------------------------|---------------------------------------------|
| BlockAlleged  | reporter                           | AR 856=0, TrdRptStatus 939=0, ExecType 0    |
|               | counterparty's member              | AE 856=1 (alleged), 571 "A<block id>"       |
| BlockTrade    | the accepting member               | AR 856=2, 939=0, ExecType F                 |
|               | both members                       | AE 856=2, ExecType F, TrdMatchID 880 = the  |
|               |                                    | trade id, 571 "T<trade id>"                 |
| BlockClosed   | the member that declined/withdrew  | AR 856=3 or 6, 939=0, ExecType 4            |
|               | the other member (both for expiry  | AE 856=3 (declined) or 6 (withdrawn,        |
|               | or a supervisor's cancellation)    | expired, cancelled) with Text (58)          |
| BlockRejected | the member that sent the report    | AR 939=1, TradeReportRejectReason 751, Text |
Every message also goes to the member's drop-copy sessions (CopyMsgIndicator 797=Y).
A block has no order: OrderID (37), which the dictionary requires in each side, carries
the block id. ExecIDs derive from the event's sequence number, so a replay repeats them;
the acceptor stores every message, so resend and PossDup work as for execution reports.

TradeCaptureReportRequest (AD) asks for the member's open allegations (after a
reconnect): a TradeCaptureReportRequestAck (AQ) with their count, then one AE each
(856=1 for those alleged to the member, 856=0 for its own awaiting an answer).
"""

from enum import IntEnum

from engine import events
from engine.block_trades import BlockCause
from engine.commands import AcceptBlock, Command, DeclineBlock, ReportBlock, WithdrawBlock
from engine.money import format_cny
from engine.orders import Side
from engine.reasons import TEXT, Reason, trade_report_reject_reason
from engine.reference import ReferenceData
from gateway.fix.timestamps import format_utc_timestamp
from gateway.members import Directory, Session
from gateway.trading.app_messages import AppMessage, Body, FieldError, Fields
from gateway.trading.execution_reports import Delivery, ExecutionReports
from gateway.trading.tags import Tag


class BlockTag(IntEnum):
    """The FIX 4.4 tags of trade capture reports, beyond the order-entry ones."""

    TradeDate = 75
    TradeReportTransType = 487
    NoSides = 552
    TradeRequestID = 568
    TradeRequestType = 569
    PreviouslyReported = 570
    TradeReportID = 571
    TradeReportRefID = 572
    MatchStatus = 573
    TotNumTradeReports = 748
    TradeRequestResult = 749
    TradeRequestStatus = 750
    TradeReportRejectReason = 751
    SecondaryTradeReportID = 818
    TradeReportType = 856
    TrdType = 828
    LastRptRequested = 912
    TrdRptStatus = 939


SUBMIT, ALLEGED, ACCEPT, DECLINE, CANCEL = "0", "1", "2", "3", "6"
BLOCK_TRADE = "1"  # TrdType
_CLOSED_TYPE = {
    BlockCause.DECLINED: DECLINE,
    BlockCause.WITHDRAWN: CANCEL,
    BlockCause.EXPIRED: CANCEL,
    BlockCause.CANCELLED: CANCEL,
}
_CLOSED_TEXT = {
    BlockCause.DECLINED: "block allegation declined by the counterparty",
    BlockCause.WITHDRAWN: "block allegation withdrawn by the reporter",
    BlockCause.EXPIRED: "block allegation expired unaccepted",
    BlockCause.CANCELLED: "block allegation cancelled by the supervisor",
}


class BlockTradeReports:
    """Translates members' AEs into block commands and block events into AR / AE, and
    keeps the open allegations (from the events) to answer AD."""

    def __init__(self, directory: Directory, reference: ReferenceData, copies: ExecutionReports):
        self.directory = directory
        self.calendar = reference.calendar
        self.copies = copies  # routes a message to a member's sessions and drop copies
        self.open: dict[int, events.BlockAlleged] = {}
        self.last_seq = 0

    # -- inbound -------------------------------------------------------------------------

    def translate(self, session: Session, fields: Fields, ts: int) -> Command | AppMessage:
        """An AE as an engine command, or the AR that refuses it at once."""
        body = Body(fields)
        report_id = body.get(BlockTag.TradeReportID)
        try:
            return self._command(session.member, body, _sides(fields), ts)
        except FieldError as error:
            return _refusal(report_id, body, Reason.BAD_BLOCK_REPORT, error.text)

    def _command(self, member: str, body: Body, sides: list[tuple[str, str]], ts: int) -> Command:
        report_id = body.require(BlockTag.TradeReportID)
        if body.get(BlockTag.TrdType) != BLOCK_TRADE:
            raise FieldError(BlockTag.TrdType, "TrdType (828) must be 1 (block trade)")
        kind = body.get(BlockTag.TradeReportType) or SUBMIT
        if kind == SUBMIT:
            if len(sides) != 2 or {side for side, _ in sides} != {"1", "2"}:
                raise FieldError(
                    BlockTag.NoSides,
                    "a block report needs two sides (NoSides 552 = 2), one buy and one sell, "
                    "each with its Account (1): yours first",
                )
            (side, account), (_, counterparty) = sides
            return ReportBlock(
                ts,
                member,
                report_id,
                body.require(Tag.Symbol),
                int(side),
                account,
                counterparty,
                body.quantity(Tag.LastQty),
                body.price(Tag.LastPx),
                self.directory.may_act_for(member, counterparty),
            )
        answer = {ACCEPT: AcceptBlock, DECLINE: DeclineBlock, CANCEL: WithdrawBlock}.get(kind)
        if answer is None:
            raise FieldError(
                BlockTag.TradeReportType,
                "TradeReportType (856) must be 0 (submit), 2 (accept), 3 (decline) or 6 (cancel)",
            )
        return answer(ts, member, report_id, _block_id(body))

    def request(self, member: str, fields: Fields, ts: int) -> list[AppMessage]:
        """AD -> AQ, then the member's open allegations as AEs."""
        body = Body(fields)
        request_id = body.get(BlockTag.TradeRequestID)
        mine = [
            alleged
            for alleged in self.open.values()
            if member in (alleged.member, alleged.counterparty_member)
        ]
        ack = AppMessage(
            "AQ",
            [
                (BlockTag.TradeRequestID, request_id),
                (BlockTag.TradeRequestType, body.get(BlockTag.TradeRequestType) or "0"),
                (BlockTag.TotNumTradeReports, str(len(mine))),
                (BlockTag.TradeRequestResult, "0"),
                (BlockTag.TradeRequestStatus, "1" if not mine else "0"),
                (Tag.Symbol, "[N/A]"),
            ],
        )
        reports = []
        for number, alleged in enumerate(mine, 1):
            kind = SUBMIT if alleged.member == member else ALLEGED
            head: Fields = [
                (BlockTag.TradeRequestID, request_id),
                (BlockTag.TotNumTradeReports, str(len(mine))),
                (BlockTag.LastRptRequested, "Y" if number == len(mine) else "N"),
            ]
            reports.append(self._alleged(alleged, kind, head))
        return [ack, *reports]

    # -- outbound ------------------------------------------------------------------------

    def apply(self, event: events.Event) -> list[Delivery]:
        if event.seq <= self.last_seq:
            return []
        kind = type(event)
        if kind is events.BlockAlleged:
            self.last_seq = event.seq
            self.open[event.block_id] = event
            ack = self._ack(event, event.report_id, SUBMIT, "0", event.block_id)
            return self._to(event.member, ack) + self._to(
                event.counterparty_member, self._alleged(event, ALLEGED)
            )
        if kind is events.BlockTrade:
            self.last_seq = event.seq
            self.open.pop(event.block_id, None)
            return self._traded(event)
        if kind is events.BlockClosed:
            self.last_seq = event.seq
            self.open.pop(event.block_id, None)
            return self._closed(event)
        if kind is events.BlockRejected:
            self.last_seq = event.seq
            body = Body([(Tag.Symbol, event.instrument)])
            refusal = _refusal(event.report_id, body, event.reason, event.text, event.block_id)
            return self._to(event.member, refusal)
        return []

    def _to(self, member: str, message: AppMessage) -> list[Delivery]:
        if member not in self.directory.members:
            return []  # a supervisor's command, or a member unknown to this gateway
        return self.copies.route_member(member, message)

    def _ack(
        self, event: events.Event, report_id: str, kind: str, exec_type: str, block_id: int
    ) -> AppMessage:
        return AppMessage(
            "AR",
            [
                (BlockTag.TradeReportID, report_id),
                (BlockTag.TradeReportTransType, "0"),
                (BlockTag.TradeReportType, kind),
                (BlockTag.TrdType, BLOCK_TRADE),
                (Tag.ExecType, exec_type),
                (BlockTag.TrdRptStatus, "0"),
                (BlockTag.SecondaryTradeReportID, str(block_id)),
                (Tag.ExecID, f"{event.seq}K"),
                (Tag.Symbol, event.instrument),
                (Tag.TransactTime, format_utc_timestamp(event.ts)),
            ],
        )

    def _alleged(
        self, event: events.BlockAlleged, kind: str, head: Fields | None = None
    ) -> AppMessage:
        fields: Fields = [
            (BlockTag.TradeReportID, f"A{event.block_id}"),
            (BlockTag.TradeReportTransType, "0"),
            (BlockTag.TradeReportType, kind),
            *(head or []),
            (BlockTag.TrdType, BLOCK_TRADE),
            (BlockTag.SecondaryTradeReportID, str(event.block_id)),
            (Tag.ExecID, f"{event.seq}A"),
            (BlockTag.PreviouslyReported, "N"),
            (Tag.Symbol, event.instrument),
            (Tag.LastQty, str(event.quantity)),
            (Tag.LastPx, format_cny(event.price)),
            (BlockTag.TradeDate, self._trade_date(event.ts)),
            (Tag.TransactTime, format_utc_timestamp(event.ts)),
            *_side_group(event),
            (Tag.Text, f"accept by {format_utc_timestamp(event.expires)} UTC"),
        ]
        return AppMessage("AE", fields)

    def _traded(self, trade: events.BlockTrade) -> list[Delivery]:
        deliveries: list[Delivery] = []
        if not trade.cross:
            acceptor = trade.sell_member if trade.initiator_side == Side.BUY else trade.buy_member
            ack = self._ack(trade, trade.acceptor_report_id, ACCEPT, "F", trade.block_id)
            deliveries += self._to(acceptor, ack)
        else:
            initiator = trade.buy_member if trade.initiator_side == Side.BUY else trade.sell_member
            ack = self._ack(trade, trade.initiator_report_id, SUBMIT, "F", trade.block_id)
            deliveries += self._to(initiator, ack)
        confirmation = AppMessage(
            "AE",
            [
                (BlockTag.TradeReportID, f"T{trade.trade_id}"),
                (BlockTag.TradeReportTransType, "0"),
                (BlockTag.TradeReportType, ACCEPT),
                (BlockTag.TrdType, BLOCK_TRADE),
                (Tag.ExecType, "F"),
                (BlockTag.SecondaryTradeReportID, str(trade.block_id)),
                (Tag.TrdMatchID, str(trade.trade_id)),
                (Tag.ExecID, f"{trade.seq}T"),
                (BlockTag.PreviouslyReported, "N"),
                (Tag.Symbol, trade.instrument),
                (Tag.LastQty, str(trade.quantity)),
                (Tag.LastPx, format_cny(trade.price)),
                (BlockTag.TradeDate, self._trade_date(trade.ts)),
                (Tag.TransactTime, format_utc_timestamp(trade.ts)),
                (BlockTag.MatchStatus, "0"),
                *_sides_of(
                    trade.block_id,
                    (Side.BUY, trade.buy_account),
                    (Side.SELL, trade.sell_account),
                ),
            ],
        )
        members = dict.fromkeys((trade.buy_member, trade.sell_member))
        for member in members:
            deliveries += self._to(member, confirmation)
        return deliveries

    def _closed(self, event: events.BlockClosed) -> list[Delivery]:
        """The member that declined or withdrew gets the AR of its report, the other side
        the AE notice; an expiry or a supervisor's cancellation goes to both as a notice."""
        cause = BlockCause(event.cause)
        text = _CLOSED_TEXT[cause] + (f": {event.text}" if event.text else "")
        notice = AppMessage(
            "AE",
            [
                (BlockTag.TradeReportID, f"A{event.block_id}"),
                (BlockTag.TradeReportTransType, "0"),
                (BlockTag.TradeReportType, _CLOSED_TYPE[cause]),
                (BlockTag.TrdType, BLOCK_TRADE),
                (BlockTag.SecondaryTradeReportID, str(event.block_id)),
                (Tag.ExecID, f"{event.seq}C"),
                (BlockTag.PreviouslyReported, "N"),
                (Tag.Symbol, event.instrument),
                (Tag.LastQty, str(event.quantity)),
                (Tag.LastPx, format_cny(event.price)),
                (BlockTag.TradeDate, self._trade_date(event.ts)),
                (Tag.TransactTime, format_utc_timestamp(event.ts)),
                *_side_group(event),
                (Tag.Text, text),
            ],
        )
        if cause == BlockCause.DECLINED:
            ack = self._ack(event, event.closing_report_id, DECLINE, "4", event.block_id)
            return self._to(event.counterparty_member, ack) + self._to(event.member, notice)
        if cause == BlockCause.WITHDRAWN:
            ack = self._ack(event, event.closing_report_id, CANCEL, "4", event.block_id)
            return self._to(event.member, ack) + self._to(event.counterparty_member, notice)
        return self._to(event.member, notice) + self._to(event.counterparty_member, notice)

    def _trade_date(self, ts: int) -> str:
        return self.calendar.trading_date(ts).strftime("%Y%m%d")


def _side_group(event: events.BlockAlleged | events.BlockClosed) -> Fields:
    """The reporter's side first, then the counterparty's."""
    other = Side.SELL if event.side == Side.BUY else Side.BUY
    return _sides_of(event.block_id, (event.side, event.account), (other, event.counterparty))


def _sides_of(block_id: int, *sides: tuple[int, str]) -> Fields:
    """NoSides with each side's Side, OrderID (the block id: a block has no order) and
    Account."""
    fields: Fields = [(BlockTag.NoSides, str(len(sides)))]
    for side, account in sides:
        fields += [(Tag.Side, str(int(side))), (Tag.OrderID, str(block_id)), (Tag.Account, account)]
    return fields


def _sides(fields: Fields) -> list[tuple[str, str]]:
    """(Side, Account) of each NoSides instance, in order (a side opens with Side 54)."""
    sides: list[list[str]] = []
    for tag, value in fields:
        if tag == Tag.Side:
            sides.append([value, ""])
        elif tag == Tag.Account and sides:
            sides[-1][1] = value
    return [(side, account) for side, account in sides]


def _block_id(body: Body) -> int:
    text = body.require(BlockTag.TradeReportRefID).removeprefix("A")
    if not text.isdigit():
        raise FieldError(
            BlockTag.TradeReportRefID,
            "TradeReportRefID (572) must be the block id of the allegation (its "
            "SecondaryTradeReportID 818)",
        )
    return int(text)


def _refusal(report_id: str, body: Body, reason: int, text: str, block_id: int = 0) -> AppMessage:
    fields: Fields = [
        (BlockTag.TradeReportID, report_id or "NONE"),
        (BlockTag.TradeReportTransType, "0"),
        (BlockTag.TrdType, BLOCK_TRADE),
        (Tag.ExecType, "8"),
        (BlockTag.TrdRptStatus, "1"),
        (BlockTag.TradeReportRejectReason, str(trade_report_reject_reason(reason))),
    ]
    if block_id:
        fields.append((BlockTag.TradeReportRefID, str(block_id)))
    fields += [
        (Tag.Symbol, body.get(Tag.Symbol) or "[N/A]"),
        (Tag.Text, text or TEXT[Reason(reason)]),
    ]
    return AppMessage("AR", fields)

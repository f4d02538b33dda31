"""The member's side of block trades (协议大宗交易) over FIX: TradeCaptureReport (AE) out,
TradeCaptureReportAck (AR) and AE in (docs/block-trades.md has the flow).

    report_id = await client.blocks.propose("S1", "TJEA25", Side.SELL, 200_000, "50.00", "B1")
    ack = await client.answer(report_id)   # a BlockReport: acknowledged (with its block id)
                                           # or refused (TradeReportRejectReason and Text)
    ...the counterparty: await client.answer(await client.blocks.accept(ack.block_id))

Every block report that arrives (alleged to you, confirmations, declines, expiries) also
comes out of `client.execution_reports()`, beside the execution reports.
"""

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from engine.money import format_cny, parse_cny
from engine.orders import Side
from gateway.fix.message import Message
from gateway.fix.timestamps import format_utc_timestamp
from gateway.trading.block_trade_reports import (
    ACCEPT,
    ALLEGED,
    BLOCK_TRADE,
    CANCEL,
    DECLINE,
    SUBMIT,
    BlockTag,
)
from gateway.trading.tags import Tag

EXCHANGE_TIMEZONE = ZoneInfo("Asia/Shanghai")
Request = Callable[[str, str, list[tuple[int, str]]], Awaitable[None]]
Resolve = Callable[[str, object], None]


@dataclass(frozen=True, slots=True)
class BlockReport:
    """One AR or AE about a block trade, as the exchange sent it."""

    msg_type: str  # "AR" (the answer to one of your reports) or "AE" (news of a block)
    report_id: str  # TradeReportID (571): yours on an AR, the exchange's on an AE
    report_type: str  # TradeReportType (856): 0 submit, 1 alleged, 2 accept, 3 decline, 6 cancel
    block_id: str  # the exchange's block id (818): name the allegation by it
    symbol: str
    quantity: int | None
    price: str | None
    sides: tuple[tuple[str, str], ...]  # (buy/sell, account) of each side
    refused: bool  # TrdRptStatus (939) 1
    reject_reason: str  # TradeReportRejectReason (751)
    trade_id: str  # TrdMatchID (880), on a confirmation
    exec_type: str
    text: str
    possible_duplicate: bool

    @property
    def kind(self) -> str:
        """What happened, in a word a person reads."""
        if self.refused:
            return "refused"
        if self.msg_type == "AR":
            return {SUBMIT: "reported", ACCEPT: "accepted", DECLINE: "declined"}.get(
                self.report_type, "withdrawn"
            )
        if self.exec_type == "F":
            return "traded"
        return {SUBMIT: "open", ALLEGED: "alleged", DECLINE: "declined"}.get(
            self.report_type, "ended"
        )


def block_report(message: Message) -> BlockReport:
    fields = message.fields
    sides: list[tuple[str, str]] = []
    for tag, value in fields:
        if tag == Tag.Side:
            sides.append(("buy" if value == "1" else "sell", ""))
        elif tag == Tag.Account and sides:
            sides[-1] = (sides[-1][0], value)
    quantity = message.get(Tag.LastQty)
    return BlockReport(
        msg_type=message.msg_type,
        report_id=message.get(BlockTag.TradeReportID) or "",
        report_type=message.get(BlockTag.TradeReportType) or "",
        block_id=message.get(BlockTag.SecondaryTradeReportID)
        or message.get(BlockTag.TradeReportRefID)
        or "",
        symbol=message.get(Tag.Symbol) or "",
        quantity=int(quantity) if quantity else None,
        price=message.get(Tag.LastPx),
        sides=tuple(sides),
        refused=message.get(BlockTag.TrdRptStatus) == "1",
        reject_reason=message.get(BlockTag.TradeReportRejectReason) or "",
        trade_id=message.get(Tag.TrdMatchID) or "",
        exec_type=message.get(Tag.ExecType) or "",
        text=message.get(Tag.Text) or "",
        possible_duplicate=message.get_flag(43),
    )


def describe_block(report: BlockReport) -> str:
    """One line: what happened to which block, its terms and the accounts."""
    parts = [f"Block {report.kind:<9} {report.block_id or report.report_id}"]
    if report.quantity:
        parts.append(f"{report.quantity} {report.symbol} @ {report.price}")
    parts += [f"{side} {account}" for side, account in report.sides if account]
    if report.trade_id:
        parts.append(f"trade {report.trade_id}")
    if report.text:
        reason = f" (TradeReportRejectReason {report.reject_reason})" if report.refused else ""
        parts.append(report.text + reason)
    if report.possible_duplicate:
        parts.append("(recovered)")
    return "  ".join(parts)


class BlockTrades:
    """Block trade requests of one MemberClient; answers come back through its `answer`."""

    def __init__(self, request: Request, resolve: Resolve, new_id: Callable[[], str]) -> None:
        self._request = request
        self._resolve = resolve
        self._new_id = new_id
        self._listings: dict[str, list[BlockReport]] = {}

    async def propose(
        self,
        account: str,
        symbol: str,
        side: Side,
        quantity: int,
        price: str | Decimal,
        counterparty: str,
        report_id: str | None = None,
    ) -> str:
        """An allegation: your account's side, the counterparty's account on the other.
        Returns the TradeReportID; its answer is an AR (reported, or refused)."""
        return await self._submit(account, symbol, side, quantity, price, counterparty, report_id)

    async def cross(
        self,
        account: str,
        symbol: str,
        side: Side,
        quantity: int,
        price: str | Decimal,
        other_account: str,
        report_id: str | None = None,
    ) -> str:
        """Both sides between two of your member's accounts: it trades at once if the
        checks pass (never inside one control group)."""
        return await self._submit(account, symbol, side, quantity, price, other_account, report_id)

    async def accept(self, block_id: str, report_id: str | None = None) -> str:
        return await self._answer(ACCEPT, block_id, report_id)

    async def decline(self, block_id: str, report_id: str | None = None) -> str:
        return await self._answer(DECLINE, block_id, report_id)

    async def withdraw(self, block_id: str, report_id: str | None = None) -> str:
        """Takes back your own allegation before the counterparty accepts it."""
        return await self._answer(CANCEL, block_id, report_id)

    async def open(self) -> str:
        """TradeCaptureReportRequest (AD) for the open allegations of your member (yours
        and those alleged to you); `answer` returns them as a list of BlockReport."""
        request = self._new_id()
        self._listings[request] = []
        await self._request(
            "AD",
            request,
            [(BlockTag.TradeRequestID, request), (BlockTag.TradeRequestType, "2")],
        )
        return request

    def on_message(self, message: Message) -> BlockReport | None:
        """An AR, AE or AQ from the exchange: resolves what it answers; returns the report
        to pass on to the feeds (None for the parts of a listing)."""
        request = message.get(BlockTag.TradeRequestID)
        if message.msg_type == "AQ":
            if message.get(BlockTag.TotNumTradeReports) in ("0", None):
                self._resolve(request, self._listings.pop(request, []))
            return None
        report = block_report(message)
        if request in self._listings:
            self._listings[request].append(report)
            if message.get_flag(BlockTag.LastRptRequested):
                self._resolve(request, self._listings.pop(request))
            return None
        if message.msg_type == "AR":
            self._resolve(report.report_id, report)
        return report

    async def _submit(
        self,
        account: str,
        symbol: str,
        side: Side,
        quantity: int,
        price: str | Decimal,
        counterparty: str,
        report_id: str | None,
    ) -> str:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise ValueError(f"quantity {quantity!r} is not a positive whole number of tonnes")
        side = Side(side)
        other = Side.SELL if side == Side.BUY else Side.BUY
        report_id = report_id or self._new_id()
        body = [
            *self._head(report_id, SUBMIT),
            (Tag.Symbol, symbol),
            (Tag.LastQty, str(quantity)),
            (Tag.LastPx, format_cny(parse_cny(price))),
            *self._dates(),
            (BlockTag.NoSides, "2"),
            *_side(side, account),
            *_side(other, counterparty),
        ]
        await self._request("AE", report_id, body)
        return report_id

    async def _answer(self, kind: str, block_id: str, report_id: str | None) -> str:
        """Accept, decline or withdraw: the allegation is named by its block id; the
        dictionary's required fields are sent with placeholders the exchange ignores."""
        report_id = report_id or self._new_id()
        body = [
            *self._head(report_id, kind),
            (BlockTag.TradeReportRefID, str(block_id)),
            (Tag.LastQty, "0"),
            (Tag.LastPx, "0"),
            *self._dates(),
            (BlockTag.NoSides, "1"),
            *_side(Side.BUY, ""),
        ]
        await self._request("AE", report_id, body)
        return report_id

    @staticmethod
    def _head(report_id: str, kind: str) -> list[tuple[int, str]]:
        return [
            (BlockTag.TradeReportID, report_id),
            (BlockTag.TradeReportTransType, "0"),
            (BlockTag.TradeReportType, kind),
            (BlockTag.TrdType, BLOCK_TRADE),
            (BlockTag.PreviouslyReported, "N"),
        ]

    @staticmethod
    def _dates() -> list[tuple[int, str]]:
        """TradeDate (the exchange's local date) and TransactTime: required, not used."""
        now = time.time_ns()
        local = dt.datetime.fromtimestamp(now / 1e9, EXCHANGE_TIMEZONE)
        return [
            (BlockTag.TradeDate, local.strftime("%Y%m%d")),
            (Tag.TransactTime, format_utc_timestamp(now)),
        ]


def _side(side: Side, account: str) -> list[tuple[int, str]]:
    fields = [(Tag.Side, str(int(side))), (Tag.OrderID, "NONE")]
    if account:
        fields.append((Tag.Account, account))
    return fields

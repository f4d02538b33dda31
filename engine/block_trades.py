"""Block trades (协议大宗交易): two named parties agree price and quantity off the book and
report it; it trades when both have confirmed (carbon-lifecycle.md §1).

An initiator reports its side and the counterparty's account (an allegation), or both
sides when both accounts are its own (a cross). The checks: size at least the
instrument's `block_min_quantity`, price on the tick and within the block band around
the reference price, the block session of a trading day, the market and the instrument
not halted, the member acting for its own account, a known counterparty outside the
initiator's control group, and neither account under an enforcement restriction that
refuses its side (engine/restrictions.py; checked again at acceptance). The initiator's
cash or tonnes are then reserved through the same `Holds` as a book order (position
limits and T+1 included), under a hold id drawn from the order ids so the two never
collide. The counterparty's acceptance reserves its side and both reservations become
the trade at once (`holds.fill` at the block commission rate). A decline, a withdrawal,
a supervisor's cancellation or the expiry (after `block_accept_timeout`, or at the end
of the block session) frees the initiator's reservation. Expiry needs time, which
arrives on commands: a `ClockTick` from the engine service, or any block command of a
later time (see `_lapse`).

A block trade is never a book trade: the listing's open, high, low and close are not
touched by it.
"""

from enum import IntEnum
from typing import TYPE_CHECKING

import msgspec

from engine.commands import (
    AcceptBlock,
    CancelBlock,
    ClockTick,
    Command,
    DeclineBlock,
    ReportBlock,
    WithdrawBlock,
)
from engine.events import BlockAlleged, BlockClosed, BlockRejected, BlockTrade, Event
from engine.orders import Side
from engine.reasons import TEXT, Reason
from engine.reference import NS_PER_SECOND, price_band
from engine.restrictions import Action

if TYPE_CHECKING:
    from engine.sequencer import Account, Sequencer


class BlockCause(IntEnum):
    """Why an allegation ended without a trade."""

    DECLINED = 1
    WITHDRAWN = 2
    EXPIRED = 3
    CANCELLED = 4  # by a supervisor


class BlockAction(IntEnum):
    """What a refused block command was trying to do."""

    REPORT = 1
    ACCEPT = 2
    DECLINE = 3
    WITHDRAW = 4
    CANCEL = 5


TRADED = 0  # the `closed` entry of an allegation that traded

_ACTIONS = {
    ReportBlock: BlockAction.REPORT,
    AcceptBlock: BlockAction.ACCEPT,
    DeclineBlock: BlockAction.DECLINE,
    WithdrawBlock: BlockAction.WITHDRAW,
    CancelBlock: BlockAction.CANCEL,
}


class Allegation(msgspec.Struct, array_like=True):
    """An open allegation: the initiator's side is reserved under `hold_id`."""

    block_id: int
    member: str
    report_id: str
    instrument: str
    side: int
    account: str
    counterparty: str
    counterparty_member: str
    quantity: int
    price: int
    hold_id: int
    expires: int


class _State(msgspec.Struct, array_like=True):
    next_block_id: int
    allegations: list[Allegation]  # in block id order
    closed: list[tuple[int, int]]  # today's ended allegations: block id, cause (0 traded)
    report_ids: list[str]  # "member/report id" used today, sorted


class BlockTrades:
    """The sequencer's block desk: open allegations and today's report ids and outcomes."""

    __slots__ = ("allegations", "closed", "engine", "next_block_id", "report_ids")

    def __init__(self, engine: "Sequencer") -> None:
        self.engine = engine
        self.next_block_id = 1
        self.allegations: dict[int, Allegation] = {}  # open ones, in block id order
        self.closed: dict[int, int] = {}  # block id -> BlockCause, or TRADED
        self.report_ids: set[str] = set()

    def handlers(self) -> dict[type, object]:
        return {
            ReportBlock: self._report,
            AcceptBlock: self._accept,
            DeclineBlock: self._decline,
            WithdrawBlock: self._withdraw,
            CancelBlock: self._cancel,
            ClockTick: self._tick,
        }

    def next_expiry(self) -> int:
        """When the next open allegation lapses (ns), 0 when none is open: the engine
        service issues a ClockTick once its clock passes it."""
        return min((a.expires for a in self.allegations.values()), default=0)

    # --- reporting ----------------------------------------------------------------------

    def _report(self, c: ReportBlock) -> list[Event]:
        events = self._lapse(c.ts)
        reason, text = self._report_refusal(c), ""
        if not reason:
            other = Side.SELL if c.side == Side.BUY else Side.BUY
            reason, text = self._restricted(c.ts, (c.account, c.side), (c.counterparty, other))
        if not reason:
            reason = self._reserve_initiator(c)
        if reason:
            events.append(self._rejected(c, c.account, c.instrument, 0, reason, text))
            return events
        engine = self.engine
        self.report_ids.add(_report_key(c.member, c.report_id))
        block_id = self.next_block_id
        self.next_block_id = block_id + 1
        hold_id = engine.next_order_id - 1  # _reserve_initiator drew it (and the cross's)
        counterparty = engine.accounts[c.counterparty]
        if c.cross:
            self.closed[block_id] = TRADED
            events.append(
                self._trade(c.ts, block_id, c, c.side, hold_id - 1, hold_id, c.member, "")
            )
            return events
        window = engine.reference.calendar.block_bounds(c.ts)
        timeout = engine.reference.rules.block_accept_timeout * NS_PER_SECOND
        expires = min(c.ts + timeout, window[1]) if window else c.ts
        allegation = Allegation(
            block_id,
            c.member,
            c.report_id,
            c.instrument,
            c.side,
            c.account,
            c.counterparty,
            counterparty.member,
            c.quantity,
            c.price,
            hold_id,
            expires,
        )
        self.allegations[block_id] = allegation
        events.append(
            BlockAlleged(
                engine._seq(),
                c.ts,
                block_id,
                c.member,
                c.report_id,
                c.instrument,
                c.side,
                c.account,
                c.counterparty,
                counterparty.member,
                c.quantity,
                c.price,
                expires,
            )
        )
        return events

    def _report_refusal(self, c: ReportBlock) -> int:
        """The checks of §1 in the order a member would fix them; one reason each."""
        engine = self.engine
        listing = engine.listings.get(c.instrument)
        if listing is None:
            return Reason.UNKNOWN_INSTRUMENT
        if c.side not in (Side.BUY, Side.SELL):
            return Reason.BAD_BLOCK_REPORT
        account = engine.accounts.get(c.account)
        if account is None or account.member != c.member:
            return Reason.UNKNOWN_ACCOUNT
        reason = self._report_id_refusal(c.member, c.report_id) or self._session_refusal(
            c.ts, c.instrument
        )
        if reason:
            return reason
        instrument = listing.instrument
        if type(c.quantity) is not int or c.quantity <= 0 or c.quantity % instrument.lot:
            return Reason.BAD_QUANTITY
        if c.quantity < instrument.block_min_quantity:
            return Reason.BELOW_BLOCK_MINIMUM
        if not listing.reference_price:
            return Reason.NO_REFERENCE_PRICE
        if type(c.price) is not int or c.price <= 0:
            return Reason.BAD_PRICE
        if c.price % instrument.tick:
            return Reason.OFF_TICK
        low, high = price_band(listing.reference_price, instrument.block_band_bps, instrument.tick)
        if not low <= c.price <= high:
            return Reason.OUT_OF_BLOCK_BAND
        counterparty = engine.accounts.get(c.counterparty)
        if counterparty is None:
            return Reason.UNKNOWN_ACCOUNT if c.cross else Reason.UNKNOWN_COUNTERPARTY
        if c.cross and counterparty.member != c.member:
            return Reason.UNKNOWN_ACCOUNT  # a cross is between the member's own accounts
        if _one_owner(c.account, account, c.counterparty, counterparty):
            return Reason.SAME_CONTROL_GROUP
        if not c.cross and counterparty.member == c.member:
            return Reason.ALLEGATION_TO_OWN_ACCOUNT
        return Reason.OK

    def _restricted(self, ts: int, *sides: tuple[str, int]) -> tuple[int, str]:
        """The first of the (account, side) pairs an enforcement restriction refuses
        (engine/restrictions.py), with a text naming the account; (OK, "") when none."""
        restrictions = self.engine.restrictions
        if not restrictions.by_account:
            return Reason.OK, ""
        for account, side in sides:
            reason = restrictions.refusal(account, Action(side), ts)
            if reason:
                return reason, f"{account}: {restrictions.text(account, reason, ts)}"
        return Reason.OK, ""

    def _session_refusal(self, ts: int, symbol: str) -> int:
        engine = self.engine
        window = engine.reference.calendar.block_bounds(ts)
        if window is None or not window[0] <= ts < window[1]:
            return Reason.BLOCK_SESSION_CLOSED
        if engine.market_halted or engine.listings[symbol].halted:
            return Reason.HALTED
        return Reason.OK

    def _reserve_initiator(self, c: ReportBlock) -> int:
        """Reserves the initiator's side (both sides for a cross, buy then sell) under
        fresh hold ids; on a refusal nothing stays reserved."""
        engine = self.engine
        bps = engine.reference.rules.block_commission_bps
        if not c.cross:
            return self._hold(c.account, c.instrument, c.side, c.quantity, c.price, bps)
        if c.side == Side.BUY:
            buyer, seller = c.account, c.counterparty
        else:
            buyer, seller = c.counterparty, c.account
        reason = self._hold(buyer, c.instrument, Side.BUY, c.quantity, c.price, bps)
        if reason:
            return reason
        reason = self._hold(seller, c.instrument, Side.SELL, c.quantity, c.price, bps)
        if reason:
            engine.next_order_id -= 1
            engine.holds.release(engine.next_order_id)
        return reason

    def _hold(self, account: str, symbol: str, side: int, quantity: int, price: int, bps: int):
        engine = self.engine
        hold_id = engine.next_order_id
        reason = engine.holds.reserve(hold_id, account, symbol, side, quantity, price, bps)
        if not reason:
            engine.next_order_id = hold_id + 1
        return reason

    # --- the counterparty's answer, the initiator's withdrawal, a supervisor's cancel ---

    def _accept(self, c: AcceptBlock) -> list[Event]:
        """Both accounts must still be free to trade: a restriction imposed on either since
        the report refuses the acceptance, and the allegation stays open."""
        events = self._lapse(c.ts)
        allegation, reason = self._addressed(c)
        text = ""
        if not reason:
            reason = self._session_refusal(c.ts, allegation.instrument)
        if not reason:
            counter_side = Side.SELL if allegation.side == Side.BUY else Side.BUY
            reason, text = self._restricted(
                c.ts,
                (allegation.counterparty, counter_side),
                (allegation.account, allegation.side),
            )
        if not reason:
            reason = self._hold(
                allegation.counterparty,
                allegation.instrument,
                counter_side,
                allegation.quantity,
                allegation.price,
                self.engine.reference.rules.block_commission_bps,
            )
        if reason:
            events.append(self._refusal(c, allegation, reason, text))
            return events
        del self.allegations[c.block_id]
        self.closed[c.block_id] = TRADED
        self.report_ids.add(_report_key(c.member, c.report_id))
        counter_hold = self.engine.next_order_id - 1
        if allegation.side == Side.BUY:
            buy_hold, sell_hold = allegation.hold_id, counter_hold
        else:
            buy_hold, sell_hold = counter_hold, allegation.hold_id
        events.append(
            self._trade(
                c.ts,
                c.block_id,
                allegation,
                allegation.side,
                buy_hold,
                sell_hold,
                allegation.counterparty_member,
                c.report_id,
            )
        )
        return events

    def _decline(self, c: DeclineBlock) -> list[Event]:
        events = self._lapse(c.ts)
        allegation, reason = self._addressed(c)
        if reason:
            events.append(self._refusal(c, allegation, reason))
            return events
        self.report_ids.add(_report_key(c.member, c.report_id))
        events.append(self._close(c.ts, allegation, BlockCause.DECLINED, c.member, "", c.report_id))
        return events

    def _withdraw(self, c: WithdrawBlock) -> list[Event]:
        events = self._lapse(c.ts)
        allegation, reason = self._find(c.block_id)
        if not reason and allegation.member != c.member:
            reason = Reason.NOT_YOUR_BLOCK
        if not reason:
            reason = self._report_id_refusal(c.member, c.report_id)
        if reason:
            events.append(self._refusal(c, allegation, reason))
            return events
        self.report_ids.add(_report_key(c.member, c.report_id))
        events.append(
            self._close(c.ts, allegation, BlockCause.WITHDRAWN, c.member, "", c.report_id)
        )
        return events

    def _cancel(self, c: CancelBlock) -> list[Event]:
        events = self._lapse(c.ts)
        allegation, reason = self._find(c.block_id)
        if not reason and not c.comment.strip():
            reason = Reason.COMMENT_REQUIRED
        if reason:
            events.append(self._refusal(c, allegation, reason))
            return events
        events.append(self._close(c.ts, allegation, BlockCause.CANCELLED, c.actor, c.comment))
        return events

    def _tick(self, c: ClockTick) -> list[Event]:
        return self._lapse(c.ts)

    def end_day(self, ts: int, events: list[Event]) -> None:
        """The day is over: every open allegation expires, and report ids start afresh."""
        for allegation in list(self.allegations.values()):
            events.append(self._close(ts, allegation, BlockCause.EXPIRED, "", ""))
        self.closed.clear()
        self.report_ids.clear()

    # --- shared steps ---------------------------------------------------------------------

    def _find(self, block_id: int) -> tuple[Allegation | None, int]:
        allegation = self.allegations.get(block_id)
        if allegation is not None:
            return allegation, Reason.OK
        cause = self.closed.get(block_id)
        if cause is None:
            return None, Reason.UNKNOWN_BLOCK
        return None, Reason.BLOCK_ALREADY_TRADED if cause == TRADED else Reason.BLOCK_NOT_OPEN

    def _addressed(self, c: AcceptBlock | DeclineBlock) -> tuple[Allegation | None, int]:
        """The open allegation an accept or decline names, if it is the member's to answer."""
        allegation, reason = self._find(c.block_id)
        if reason:
            return allegation, reason
        if allegation.member == c.member:
            return allegation, Reason.OWN_ALLEGATION
        if allegation.counterparty_member != c.member:
            return allegation, Reason.NOT_YOUR_BLOCK
        return allegation, self._report_id_refusal(c.member, c.report_id)

    def _report_id_refusal(self, member: str, report_id: str) -> int:
        if not report_id:
            return Reason.BAD_BLOCK_REPORT
        if _report_key(member, report_id) in self.report_ids:
            return Reason.DUPLICATE_TRADE_REPORT_ID
        return Reason.OK

    def _lapse(self, ts: int) -> list[Event]:
        """Expires, in block id order, every allegation due by `ts`: any command carries
        time, so an acceptance after the deadline finds the allegation expired even if no
        ClockTick came between."""
        return [
            self._close(ts, allegation, BlockCause.EXPIRED, "", "")
            for allegation in list(self.allegations.values())
            if allegation.expires <= ts
        ]

    def _close(
        self,
        ts: int,
        allegation: Allegation,
        cause: int,
        actor: str,
        text: str,
        closing_report_id: str = "",
    ) -> BlockClosed:
        del self.allegations[allegation.block_id]
        self.closed[allegation.block_id] = cause
        self.engine.holds.release(allegation.hold_id)
        return BlockClosed(
            self.engine._seq(),
            ts,
            allegation.block_id,
            cause,
            allegation.member,
            allegation.report_id,
            allegation.side,
            allegation.account,
            allegation.counterparty,
            allegation.counterparty_member,
            allegation.instrument,
            allegation.quantity,
            allegation.price,
            actor,
            text,
            closing_report_id,
        )

    def _trade(
        self,
        ts: int,
        block_id: int,
        report: Allegation | ReportBlock,
        initiator_side: int,
        buy_hold: int,
        sell_hold: int,
        acceptor_member: str,
        acceptor_report_id: str,
    ) -> BlockTrade:
        """Both sides are reserved: they become the trade, and the holds are done."""
        engine = self.engine
        holds = engine.holds
        holds.fill(
            buy_hold,
            sell_hold,
            report.quantity,
            report.price,
            engine.reference.rules.block_commission_bps,
        )
        holds.release(buy_hold)
        holds.release(sell_hold)
        if initiator_side == Side.BUY:
            buyer, buyer_member = report.account, report.member
            seller, seller_member = report.counterparty, acceptor_member
        else:
            buyer, buyer_member = report.counterparty, acceptor_member
            seller, seller_member = report.account, report.member
        trade_id = engine.next_trade_id
        engine.next_trade_id = trade_id + 1
        return BlockTrade(
            engine._seq(),
            ts,
            trade_id,
            block_id,
            report.instrument,
            report.price,
            report.quantity,
            buyer,
            buyer_member,
            seller,
            seller_member,
            report.report_id,
            acceptor_report_id,
            initiator_side,
            type(report) is ReportBlock,
        )

    def _rejected(
        self,
        c: Command,
        account: str,
        instrument: str,
        block_id: int,
        reason: int,
        text: str = "",
    ) -> BlockRejected:
        return BlockRejected(
            self.engine._seq(),
            c.ts,
            _ACTIONS[type(c)],
            getattr(c, "member", "") or getattr(c, "actor", ""),
            getattr(c, "report_id", ""),
            block_id,
            account,
            instrument,
            reason,
            text or TEXT[reason],
        )

    def _refusal(
        self, c: Command, allegation: Allegation | None, reason: int, text: str = ""
    ) -> BlockRejected:
        instrument = "" if allegation is None else allegation.instrument
        return self._rejected(c, "", instrument, c.block_id, reason, text)

    # --- state ----------------------------------------------------------------------------

    def snapshot(self) -> bytes:
        return msgspec.msgpack.encode(
            _State(
                self.next_block_id,
                list(self.allegations.values()),
                sorted(self.closed.items()),
                sorted(self.report_ids),
            )
        )

    def restore(self, data: bytes) -> None:
        state = msgspec.msgpack.decode(data, type=_State) if data else _State(1, [], [], [])
        self.next_block_id = state.next_block_id
        self.allegations = {a.block_id: a for a in state.allegations}
        self.closed = dict(state.closed)
        self.report_ids = set(state.report_ids)


def _report_key(member: str, report_id: str) -> str:
    return f"{member}/{report_id}"


def _one_owner(name: str, account: "Account", other_name: str, other: "Account") -> bool:
    """One account, or two of one control group: a trade between them changes no owner."""
    return name == other_name or (
        bool(account.control_group) and account.control_group == other.control_group
    )

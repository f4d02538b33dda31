"""The sequencer: the exchange's single-threaded, deterministic state machine.

One command in, its events out, each stamped with the next global sequence number. No
I/O and no clock: a command's `ts` is the time, so replaying the journal through a fresh
sequencer rebuilds the same state (compare `state_hash`). An order is checked, then its
cost is reserved through `Holds`, and only then does it reach the book; every trade is
passed to `holds.fill` and every order leaving the book to `holds.release`.

A refused command emits one rejection naming its `Reason` and changes nothing else.
"""

import hashlib
import operator
from collections.abc import Sequence

import msgspec

from engine.auctions import Auctions
from engine.block_trades import BlockTrades
from engine.book import Fill
from engine.closing_price import closing_price
from engine.commands import (
    AmendOrder,
    CancelOrder,
    Command,
    EndOfDay,
    Halt,
    LiftRestriction,
    MassCancel,
    MoveCash,
    MoveHolding,
    NewOrder,
    OpenAccount,
    RestrictAccount,
    Resume,
    SetControlGroup,
    SetReferencePrice,
)
from engine.events import (
    AccountOpened,
    AccountRestricted,
    CancelRejected,
    CashMoved,
    CommandRejected,
    ControlGroupSet,
    DayClosed,
    Event,
    HoldingMoved,
    MassCancelDone,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderRejected,
    ReferencePriceSet,
    RestrictionLifted,
    Trade,
    TradingStatus,
)
from engine.holds import Holds
from engine.listing import Listing
from engine.order import Order
from engine.orders import CancelCause, MassCancelScope, OrderType, Side, TimeInForce
from engine.reasons import TEXT, Reason
from engine.reference import ReferenceData
from engine.restrictions import REASON_OF_MODE, Restriction, Restrictions
from engine.sessions import Sessions
from engine.trading_dates import trading_day

_BUY = Side.BUY.value
_SELL = Side.SELL.value
_LIMIT = OrderType.LIMIT.value
_MARKET = OrderType.MARKET.value
_DAY = TimeInForce.DAY.value
_IOC = TimeInForce.IOC.value
_FOK = TimeInForce.FOK.value
_REQUESTED = CancelCause.REQUESTED.value
_MASS_CANCEL = CancelCause.MASS_CANCEL.value
_IOC_REMAINDER = CancelCause.IOC_REMAINDER.value
_FOK_UNFILLED = CancelCause.FOK_UNFILLED.value
_SELF_TRADE = CancelCause.SELF_TRADE.value
_EXPIRED = CancelCause.EXPIRED.value
_OK = Reason.OK.value  # a plain int: reading an enum member costs ~50 ns, this runs per order
_SIDES = frozenset((_BUY, _SELL))
_ORDER_TYPES = frozenset((_LIMIT, _MARKET))
_TIMES_IN_FORCE = frozenset((_DAY, _IOC, _FOK))
_RESTRICTION_REASONS = frozenset(REASON_OF_MODE.values())
PRUNE_FLOOR = 1024  # client order ids an account keeps before its first pruning


class Account:
    """What the sequencer knows of an account: its member, its self-trade `owner` and the
    client order ids of its live orders (id -> exchange order id).

    A client order id must not name two live orders of one account: a cancel or amend
    finds its order by it. Uniqueness over the whole trading day, as FIX has it, is the
    gateway's to enforce (gateway/trading/order_views.py): it already keeps every order of the day
    off the heap, while here memory follows the book. Entries of done orders are not
    removed one by one on the hot path; `client_ids` is pruned once it has doubled since
    the last pruning, which keeps it within twice the live orders (plus PRUNE_FLOOR)."""

    __slots__ = ("client_ids", "control_group", "member", "owner", "prune_at")

    def __init__(self, member: str, control_group: str, owner: str) -> None:
        self.member = member
        self.control_group = control_group
        self.owner = owner
        self.client_ids: dict[str, int] = {}
        self.prune_at = PRUNE_FLOOR  # prune `client_ids` when it grows past this


class _Snapshot(msgspec.Struct, array_like=True):
    next_seq: int
    next_order_id: int
    next_trade_id: int
    market_halted: bool
    # symbol, reference price, halted, open, high, low, volume, turnover
    listings: list[tuple[str, int, bool, int, int, int, int, int]]
    # order id, account, client order id, instrument, side, price, leaves, filled;
    # per instrument, bids then asks, each in priority order
    orders: list[tuple[int, str, str, str, int, int, int, int]]
    # account, member, control group, {client order id: order id}; accounts in the order
    # they were opened and client ids in the order they were used: the journal replays
    # them in that order and `restore` keeps it, so the encoding is canonical without
    # sorting. The client ids are encoded as the dict itself, a msgpack map, rather than
    # as a list of pairs: a busy day has 100,000s of them and one tuple each was a
    # third of a snapshot's time.
    accounts: list[tuple[str, str, str, dict[str, int]]]
    references: list[str]
    holds: bytes
    closed_through: str = ""  # the last trading date closed (YYYY-MM-DD)
    restrictions: bytes = b""  # engine/restrictions.py
    auctions: bytes = b""  # engine/auctions.py
    blocks: bytes = b""  # block allegations (engine/block_trades.py)


class Sequencer:
    def __init__(self, reference: ReferenceData, holds: Holds, next_seq: int = 1) -> None:
        self.reference = reference
        self.holds = holds
        self.next_seq = next_seq
        self.prevention = int(reference.rules.self_trade_prevention)
        self.by_control_group = reference.rules.self_trade_scope == "control_group"
        self.listings = {
            symbol: Listing(instrument)
            for symbol, instrument in sorted(reference.instruments.items())
        }
        self.accounts: dict[str, Account] = {}
        # live orders on the books, in ascending id order (expiry and mass cancels go
        # in that order, so a restored sequencer must see the same)
        self.orders: dict[int, Order] = {}
        self.references: set[str] = set()  # cash and holding movements booked
        self.market_halted = False
        self.closed_through = ""  # the last trading date an EndOfDay closed
        self.next_order_id = 1
        self.next_trade_id = 1
        self.sessions = Sessions(reference.calendar)
        self.restrictions = Restrictions()
        self._handlers = {
            NewOrder: self._new_order,
            CancelOrder: self._cancel,
            AmendOrder: self._amend,
            MassCancel: self._mass_cancel,
            Halt: self._halt,
            Resume: self._halt,
            SetReferencePrice: self._set_reference_price,
            EndOfDay: self._end_of_day,
            OpenAccount: self._open_account,
            SetControlGroup: self._set_control_group,
            MoveCash: self._move_cash,
            MoveHolding: self._move_holding,
            RestrictAccount: self._restrict,
            LiftRestriction: self._lift,
        }
        self.auctions = Auctions(self)
        self._handlers.update(self.auctions.handlers)
        self.blocks = BlockTrades(self)
        self._handlers.update(self.blocks.handlers())

    def apply(self, command: Command) -> list[Event]:
        """Applies one command; returns its events, already sequence-numbered."""
        return self._handlers[type(command)](command)

    def _seq(self) -> int:
        seq = self.next_seq
        self.next_seq = seq + 1
        return seq

    # --- orders -----------------------------------------------------------------------

    def _order_refusal(
        self,
        ts: int,
        listing: Listing,
        account: Account,
        client_order_id: str,
        quantity: int,
        price: int,
        priced: bool,
    ) -> int:
        """The checks a new order and an amend share (`priced`: a limit, not a market
        order). One function, not one per rule: this runs for every order."""
        sessions = self.sessions
        if not (sessions.open_from <= ts < sessions.open_until or sessions.is_open(ts)):
            return Reason.EXCHANGE_CLOSED
        if listing.halted or self.market_halted:
            return Reason.HALTED
        client_ids = account.client_ids
        if client_order_id in client_ids and client_ids[client_order_id] in self.orders:
            return Reason.DUPLICATE_CLIENT_ORDER_ID  # a fresh id costs one lookup, as before
        instrument = listing.instrument
        if type(quantity) is not int or quantity <= 0 or quantity % instrument.lot:
            return Reason.BAD_QUANTITY
        if quantity > instrument.max_order_quantity:
            return Reason.QUANTITY_TOO_LARGE
        if not listing.reference_price:
            return Reason.NO_REFERENCE_PRICE
        if priced:
            if type(price) is not int or price <= 0:
                return Reason.BAD_PRICE
            if price % instrument.tick:
                return Reason.OFF_TICK
            if not listing.band_low <= price <= listing.band_high:
                return Reason.OUT_OF_BAND
        return _OK

    def _new_order(self, c: NewOrder) -> list[Event]:
        # Each field is read once into a local: this runs for most commands.
        name, client_order_id, symbol, side, quantity, ts = (
            c.account,
            c.client_order_id,
            c.instrument,
            c.side,
            c.quantity,
            c.ts,
        )
        order_type, time_in_force, price = c.order_type, c.time_in_force, c.price
        listing = self.listings.get(symbol)
        account = self.accounts.get(name)
        if listing is None:
            reason = Reason.UNKNOWN_INSTRUMENT
        elif account is None:
            reason = Reason.UNKNOWN_ACCOUNT
        elif (
            side not in _SIDES
            or order_type not in _ORDER_TYPES
            or time_in_force not in _TIMES_IN_FORCE
        ):
            reason = Reason.UNSUPPORTED_ORDER
        else:
            reason = self._order_refusal(
                ts, listing, account, client_order_id, quantity, price, order_type == _LIMIT
            )
            if not reason and self.restrictions.by_account:
                reason = self.restrictions.refusal(name, side, ts)  # Action.BUY/SELL = Side
        if not reason:
            if order_type == _LIMIT:
                limit = price
            else:  # a market order is an IOC (or FOK) limited at the band edge
                limit = listing.band_high if side == _BUY else listing.band_low
                time_in_force = _FOK if time_in_force == _FOK else _IOC
            order_id = self.next_order_id
            reason = self.holds.reserve(order_id, name, symbol, side, quantity, limit)
        if reason:
            return [
                OrderRejected(
                    self._seq(),
                    ts,
                    name,
                    client_order_id,
                    symbol,
                    side,
                    price,
                    quantity,
                    reason,
                    self._refusal_text(name, reason, ts),
                    c.session,
                )
            ]
        self.next_order_id = order_id + 1
        account.client_ids[client_order_id] = order_id
        if len(account.client_ids) > account.prune_at:
            self._prune(account)
        order = Order(order_id, name, account.owner, client_order_id, symbol, side, limit, quantity)
        seq = self.next_seq  # _seq() inlined: the hot path
        self.next_seq = seq + 1
        events: list[Event] = [
            OrderAccepted(
                seq,
                ts,
                order_id,
                name,
                client_order_id,
                symbol,
                side,
                order_type,
                time_in_force,
                limit,
                quantity,
                c.session,
            )
        ]
        if (
            time_in_force == _FOK
            and listing.book.fillable(order, limit, self.prevention) < quantity
        ):
            self._leave(order, _FOK_UNFILLED, "", ts, events)
            return events
        self._execute(order, listing, time_in_force == _DAY, ts, events)
        return events

    def _execute(
        self, order: Order, listing: Listing, rests: bool, ts: int, events: list[Event]
    ) -> None:
        """Matches `order` (already accepted, its cost reserved) and then rests what is
        left if `rests`, or cancels it."""
        book = listing.book
        leaves_before = order.leaves
        fills, stopped = book.match(order, order.price, self.prevention)
        if fills:
            self._trade(order, leaves_before, fills, listing, ts, events)
        if rests and order.leaves and not stopped:
            book.add(order)
            self.orders[order.order_id] = order  # an amended order keeps its place
            return
        self.orders.pop(order.order_id, None)  # an amended order that is done
        if not order.leaves:
            self.holds.release(order.order_id)
        else:
            self._leave(order, _SELF_TRADE if stopped else _IOC_REMAINDER, "", ts, events)

    def _trade(
        self,
        incoming: Order,
        leaves_before: int,
        fills: Sequence[Fill],
        listing: Listing,
        ts: int,
        events: list[Event],
    ) -> None:
        """Emits the trades (and self-trade cancels) of one match, in the order they happened."""
        holds = self.holds
        orders = self.orders
        leaves = leaves_before
        aggressor = incoming.side
        instrument = incoming.instrument
        for resting, quantity in fills:
            if not quantity:  # self-trade prevention already took it off the book
                del orders[resting.order_id]
                self._leave(resting, _SELF_TRADE, "", ts, events)
                continue
            leaves -= quantity
            price = resting.price
            if aggressor == _BUY:
                buy, buy_leaves, sell, sell_leaves = incoming, leaves, resting, resting.leaves
            else:
                buy, buy_leaves, sell, sell_leaves = resting, resting.leaves, incoming, leaves
            holds.fill(buy.order_id, sell.order_id, quantity, price)
            listing.record_trade(price, quantity)
            trade_id = self.next_trade_id
            self.next_trade_id = trade_id + 1
            seq = self.next_seq  # _seq() inlined: the hot path
            self.next_seq = seq + 1
            events.append(
                Trade(
                    seq,
                    ts,
                    trade_id,
                    instrument,
                    price,
                    quantity,
                    aggressor,
                    buy.order_id,
                    buy.account,
                    buy.client_order_id,
                    buy_leaves,
                    sell.order_id,
                    sell.account,
                    sell.client_order_id,
                    sell_leaves,
                )
            )
            if not resting.leaves:
                del orders[resting.order_id]
                holds.release(resting.order_id)

    def _cancel_resting(
        self,
        order: Order,
        cause: int,
        request_id: str,
        ts: int,
        events: list[Event],
        session: str = "",
    ) -> None:
        self.listings[order.instrument].book.remove(order)
        del self.orders[order.order_id]
        self._leave(order, cause, request_id, ts, events, session)

    def _leave(
        self,
        order: Order,
        cause: int,
        request_id: str,
        ts: int,
        events: list[Event],
        session: str = "",
    ) -> None:
        """`order`, no longer on the book, gives up its open quantity and reservation."""
        self.holds.release(order.order_id)
        seq = self.next_seq  # _seq() inlined: the hot path
        self.next_seq = seq + 1
        events.append(
            OrderCancelled(
                seq,
                ts,
                order.order_id,
                order.account,
                order.client_order_id,
                order.instrument,
                order.side,
                order.price,
                order.leaves,
                order.filled,
                cause,
                request_id,
                session,
            )
        )

    def _find(self, c: CancelOrder | AmendOrder) -> tuple[Order | None, int]:
        """The live order a cancel or amend names, by exchange id or by any client id it
        has carried today."""
        account = self.accounts.get(c.account)
        if account is None:
            return None, Reason.UNKNOWN_ACCOUNT
        if c.order_id:
            order = self.orders.get(c.order_id)
            if order is not None and order.account != c.account:
                return order, Reason.NOT_YOUR_ORDER
        else:
            order = self.orders.get(account.client_ids.get(c.orig_client_order_id, 0))
        if order is None or order.instrument != c.instrument:
            return None, Reason.UNKNOWN_ORDER
        return order, _OK

    def _prune(self, account: Account) -> None:
        """Drops the ids of done orders; amortised over the inserts that doubled the map."""
        account.client_ids = self._live_client_ids(account)
        account.prune_at = max(PRUNE_FLOOR, 2 * len(account.client_ids))

    def _live_client_ids(self, account: Account) -> dict[str, int]:
        orders = self.orders
        return {cid: order_id for cid, order_id in account.client_ids.items() if order_id in orders}

    def _cancel_rejected(
        self, c: CancelOrder | AmendOrder, order: Order | None, reason: int
    ) -> list[Event]:
        return [
            CancelRejected(
                self._seq(),
                c.ts,
                c.account,
                c.client_order_id,
                c.orig_client_order_id,
                c.instrument,
                type(c) is AmendOrder,
                reason,
                self._refusal_text(c.account, reason, c.ts),
                order.order_id if order is not None else 0,
                c.session,
            )
        ]

    def _cancel(self, c: CancelOrder) -> list[Event]:
        """Accepted at any time, halted or closed: a member can always step back."""
        order, reason = self._find(c)
        if reason:
            return self._cancel_rejected(c, order, reason)
        events: list[Event] = []
        self._cancel_resting(order, _REQUESTED, c.client_order_id, c.ts, events, c.session)
        return events

    def _amend_refusal(self, c: AmendOrder, order: Order) -> int:
        reason = self._order_refusal(
            c.ts,
            self.listings[order.instrument],
            self.accounts[c.account],
            c.client_order_id,
            c.quantity,
            c.price,
            True,
        )
        if not reason and self.restrictions.by_account:
            reason = self.restrictions.refusal(c.account, order.side, c.ts)
        if reason:
            return reason
        if c.quantity <= order.filled:
            return Reason.AMEND_BELOW_FILLED
        return self.holds.amend(order.order_id, c.quantity - order.filled, c.price)

    def _amend(self, c: AmendOrder) -> list[Event]:
        """Lowering the quantity keeps time priority; a price change or an increase goes
        to the back of the level, and a new price that crosses trades at once."""
        order, reason = self._find(c)
        if not reason:
            reason = self._amend_refusal(c, order)
        if reason:
            return self._cancel_rejected(c, order, reason)
        leaves = c.quantity - order.filled
        keeps_priority = c.price == order.price and leaves <= order.leaves
        orig_client_order_id = order.client_order_id
        account = self.accounts[c.account]
        account.client_ids[c.client_order_id] = order.order_id
        if len(account.client_ids) > account.prune_at:
            self._prune(account)
        order.client_order_id = c.client_order_id
        listing = self.listings[order.instrument]
        if not keeps_priority:
            listing.book.remove(order)
        order.price = c.price
        order.leaves = leaves
        events: list[Event] = [
            OrderAmended(
                self._seq(),
                c.ts,
                order.order_id,
                order.account,
                c.client_order_id,
                orig_client_order_id,
                order.instrument,
                order.side,
                c.price,
                c.quantity,
                leaves,
                keeps_priority,
                c.session,
            )
        ]
        if not keeps_priority:
            self._execute(order, listing, True, c.ts, events)
        return events

    def _mass_cancel_refusal(self, c: MassCancel) -> int:
        if c.instrument and c.instrument not in self.listings:
            return Reason.UNKNOWN_INSTRUMENT
        if c.scope == MassCancelScope.ACCOUNT:
            return Reason.OK if c.account in self.accounts else Reason.UNKNOWN_ACCOUNT
        if c.scope == MassCancelScope.MEMBER:
            members = {account.member for account in self.accounts.values()}
            return Reason.OK if c.member in members else Reason.UNKNOWN_ACCOUNT
        if c.scope == MassCancelScope.INSTRUMENT:
            return Reason.OK if c.instrument else Reason.UNKNOWN_INSTRUMENT
        return Reason.UNSUPPORTED_ORDER

    def _mass_cancel(self, c: MassCancel) -> list[Event]:
        """Cancels, oldest first, the live orders of an account, of a member's accounts
        or of an instrument (`instrument`, when given, narrows the first two)."""
        reason = self._mass_cancel_refusal(c)
        events: list[Event] = []
        if not reason:
            for order in list(self.orders.values()):
                if c.instrument and order.instrument != c.instrument:
                    continue
                if c.scope == MassCancelScope.ACCOUNT and order.account != c.account:
                    continue
                if (
                    c.scope == MassCancelScope.MEMBER
                    and self.accounts[order.account].member != c.member
                ):
                    continue
                self._cancel_resting(order, _MASS_CANCEL, c.client_order_id, c.ts, events)
        events.append(
            MassCancelDone(
                self._seq(),
                c.ts,
                c.client_order_id,
                c.scope,
                c.account,
                c.member,
                c.instrument,
                len(events),
                reason,
                TEXT[reason] if reason else "",
            )
        )
        return events

    # --- supervision --------------------------------------------------------------------

    def _command_rejected(
        self, c: Command, account: str, reference: str, reason: int
    ) -> list[Event]:
        return [
            CommandRejected(
                self._seq(),
                c.ts,
                c.__struct_config__.tag,
                account,
                reference,
                getattr(c, "actor", ""),
                reason,
                TEXT[reason],
            )
        ]

    def _halt(self, c: Halt | Resume) -> list[Event]:
        halted = type(c) is Halt
        if not c.instrument:
            self.market_halted = halted
        elif c.instrument in self.listings:
            self.listings[c.instrument].halted = halted
        else:
            return self._command_rejected(c, "", "", Reason.UNKNOWN_INSTRUMENT)
        return [TradingStatus(self._seq(), c.ts, c.instrument, halted, c.actor, c.reason)]

    def _set_reference_price(self, c: SetReferencePrice) -> list[Event]:
        """Resting orders stay where they are even if the new band excludes them; new
        orders and amends are checked against the new band."""
        listing = self.listings.get(c.instrument)
        if listing is None:
            reason = Reason.UNKNOWN_INSTRUMENT
        elif type(c.price) is not int or c.price <= 0:
            reason = Reason.BAD_PRICE
        elif c.price % listing.instrument.tick:
            reason = Reason.OFF_TICK
        else:
            reason = Reason.OK
        if reason:
            return self._command_rejected(c, "", "", reason)
        listing.set_reference_price(c.price, listing.resting())
        return [
            ReferencePriceSet(
                self._seq(),
                c.ts,
                c.instrument,
                c.price,
                listing.band_low,
                listing.band_high,
                c.actor,
            )
        ]

    def _end_of_day(self, c: EndOfDay) -> list[Event]:
        """Expires the day orders, fixes each close, rolls reference prices and bands. A day
        closes once: closing it again would roll bands and T+1 twice."""
        if trading_day(c.trading_date, self.reference.calendar) is None:
            return self._command_rejected(c, "", c.trading_date, Reason.NOT_A_TRADING_DAY)
        if c.trading_date <= self.closed_through:
            return self._command_rejected(c, "", c.trading_date, Reason.DAY_ALREADY_CLOSED)
        self.closed_through = c.trading_date
        events: list[Event] = []
        self.blocks.end_day(c.ts, events)
        expired = dict.fromkeys(self.listings, 0)
        for order in list(self.orders.values()):
            self._cancel_resting(order, _EXPIRED, "", c.ts, events)
            expired[order.instrument] += 1
        min_close_volume = self.reference.rules.min_close_volume
        for symbol, listing in self.listings.items():
            close, carried_over = closing_price(
                listing.turnover,
                listing.volume,
                listing.reference_price,
                listing.instrument.tick,
                min_close_volume,
            )
            listing.set_reference_price(close, [])
            events.append(
                DayClosed(
                    self._seq(),
                    c.ts,
                    c.trading_date,
                    symbol,
                    listing.open,
                    listing.high,
                    listing.low,
                    close,
                    carried_over,
                    listing.volume,
                    listing.turnover,
                    expired[symbol],
                    close,
                    listing.band_low,
                    listing.band_high,
                )
            )
            self.auctions.day_closed(c.trading_date, symbol, listing.volume, listing.turnover)
            listing.start_day()
        for account in self.accounts.values():
            account.client_ids.clear()
        self.holds.roll_day()
        self.restrictions.expire(c.ts)
        return events

    # --- accounts and registry movements -------------------------------------------------

    def _owner(self, account: str, control_group: str) -> str:
        """Who self-trade prevention compares (the NUL keeps groups and accounts apart)."""
        if self.by_control_group and control_group:
            return "\0" + control_group
        return account

    def _open_account(self, c: OpenAccount) -> list[Event]:
        if c.account in self.accounts:
            reason = Reason.ACCOUNT_EXISTS
        elif type(c.allocation) is not int or c.allocation < 0:
            reason = Reason.BAD_AMOUNT
        else:
            reason = self.holds.open_account(c.account, c.kind, c.allocation)
        if reason:
            return self._command_rejected(c, c.account, "", reason)
        self.accounts[c.account] = Account(
            c.member, c.control_group, self._owner(c.account, c.control_group)
        )
        self.auctions.account_opened(c.account, c.kind)
        return [
            AccountOpened(
                self._seq(),
                c.ts,
                c.account,
                c.member,
                c.kind,
                c.control_group,
                c.allocation,
                c.actor,
            )
        ]

    def _set_control_group(self, c: SetControlGroup) -> list[Event]:
        account = self.accounts.get(c.account)
        if account is None:
            return self._command_rejected(c, c.account, "", Reason.UNKNOWN_ACCOUNT)
        account.control_group = c.control_group
        account.owner = self._owner(c.account, c.control_group)
        for order in self.orders.values():
            if order.account == c.account:
                order.owner = account.owner
        return [ControlGroupSet(self._seq(), c.ts, c.account, c.control_group, c.actor)]

    def _movement_refusal(self, c: MoveCash | MoveHolding, amount: int) -> int:
        if c.account not in self.accounts:
            return Reason.UNKNOWN_ACCOUNT
        if type(amount) is not int or amount <= 0:
            return Reason.BAD_AMOUNT
        if c.reference in self.references:
            return Reason.DUPLICATE_REFERENCE
        return Reason.OK

    def _move_cash(self, c: MoveCash) -> list[Event]:
        reason = self._movement_refusal(c, c.amount) or self.holds.move_cash(
            c.account, c.amount, c.kind
        )
        if reason:
            return self._command_rejected(c, c.account, c.reference, reason)
        self.references.add(c.reference)
        return [CashMoved(self._seq(), c.ts, c.account, c.amount, c.kind, c.reference, c.actor)]

    def _move_holding(self, c: MoveHolding) -> list[Event]:
        if c.instrument not in self.listings:
            reason = Reason.UNKNOWN_INSTRUMENT
        else:
            reason = self._movement_refusal(c, c.quantity) or self.holds.move_holding(
                c.account, c.instrument, c.quantity, c.kind
            )
        if reason:
            return self._command_rejected(c, c.account, c.reference, reason)
        self.references.add(c.reference)
        return [
            HoldingMoved(
                self._seq(),
                c.ts,
                c.account,
                c.instrument,
                c.quantity,
                c.kind,
                c.reference,
                c.actor,
            )
        ]

    # --- enforcement restrictions ---------------------------------------------------------

    def _refusal_text(self, account: str, reason: int, ts: int) -> str:
        """The member's text: a restriction's says until when it holds."""
        if reason in _RESTRICTION_REASONS:
            return self.restrictions.text(account, Reason(reason), ts)
        return TEXT[reason]

    def _restrict(self, c: RestrictAccount) -> list[Event]:
        restriction = Restriction(
            c.reference, c.account, c.mode, c.until, c.reason.strip(), c.actor, c.ts
        )
        reason = self.restrictions.imposal_refusal(restriction, c.account in self.accounts)
        if reason:
            return self._command_rejected(c, c.account, c.reference, reason)
        self.restrictions.impose(restriction)
        return [
            AccountRestricted(
                self._seq(),
                c.ts,
                c.account,
                c.mode,
                c.until,
                restriction.reason,
                c.reference,
                c.actor,
            )
        ]

    def _lift(self, c: LiftRestriction) -> list[Event]:
        reason = self.restrictions.lifting_refusal(c.account, c.reference, c.reason, c.ts)
        if reason:
            return self._command_rejected(c, c.account, c.reference, reason)
        lifted = self.restrictions.lift(c.account, c.reference)
        return [
            RestrictionLifted(
                self._seq(), c.ts, c.account, lifted.mode, c.reason.strip(), c.reference, c.actor
            )
        ]

    # --- snapshots ------------------------------------------------------------------------

    def _state(self) -> _Snapshot:
        return _Snapshot(
            next_seq=self.next_seq,
            next_order_id=self.next_order_id,
            next_trade_id=self.next_trade_id,
            market_halted=self.market_halted,
            listings=[
                (
                    symbol,
                    listing.reference_price,
                    listing.halted,
                    listing.open,
                    listing.high,
                    listing.low,
                    listing.volume,
                    listing.turnover,
                )
                for symbol, listing in self.listings.items()
            ],
            orders=[
                row
                for listing in self.listings.values()
                for row in map(_order_row, listing.resting())
            ],
            accounts=[
                (
                    name,
                    account.member,
                    account.control_group,
                    dict(sorted(self._live_client_ids(account).items())),  # canonical
                )
                for name, account in self.accounts.items()
            ],
            references=sorted(self.references),
            holds=self.holds.snapshot(),
            closed_through=self.closed_through,
            restrictions=self.restrictions.snapshot(),
            auctions=self.auctions.snapshot(),
            blocks=self.blocks.snapshot(),
        )

    def snapshot(self) -> bytes:
        """All state, canonically encoded, holds included."""
        return msgspec.msgpack.encode(self._state())

    def state_hash(self) -> str:
        """sha256 over the snapshot without the sequence counter, so that a refused
        command (which only emits a numbered rejection) leaves the hash unchanged."""
        state = msgspec.structs.replace(self._state(), next_seq=0)
        return hashlib.sha256(msgspec.msgpack.encode(state)).hexdigest()

    def restore(self, data: bytes) -> None:
        state = msgspec.msgpack.decode(data, type=_Snapshot)
        self.next_seq = state.next_seq
        self.next_order_id = state.next_order_id
        self.next_trade_id = state.next_trade_id
        self.market_halted = state.market_halted
        self.closed_through = state.closed_through
        self.references = set(state.references)
        self.accounts = {}
        for name, member, control_group, client_ids in state.accounts:
            account = Account(member, control_group, self._owner(name, control_group))
            account.client_ids = client_ids
            self.accounts[name] = account
        resting: dict[str, list[Order]] = {symbol: [] for symbol in self.listings}
        for order_id, name, client_order_id, symbol, side, price, leaves, filled in state.orders:
            order = Order(
                order_id,
                name,
                self.accounts[name].owner,
                client_order_id,
                symbol,
                side,
                price,
                leaves,
            )
            order.filled = filled
            resting[symbol].append(order)
        for symbol, reference_price, halted, open_, high, low, volume, turnover in state.listings:
            listing = self.listings[symbol]
            listing.set_reference_price(reference_price, resting[symbol])
            listing.halted = halted
            listing.open, listing.high, listing.low = open_, high, low
            listing.volume, listing.turnover = volume, turnover
        orders = [order for symbol in resting for order in resting[symbol]]
        self.orders = {order.order_id: order for order in sorted(orders, key=_order_id)}
        self.holds.restore(state.holds)
        self.restrictions.restore(state.restrictions)
        if state.auctions:
            self.auctions.restore(state.auctions)
        self.blocks.restore(state.blocks)


# An order's row in a snapshot, built in C (a snapshot holds every resting order).
_order_row = operator.attrgetter(
    "order_id", "account", "client_order_id", "instrument", "side", "price", "leaves", "filled"
)


def _order_id(order: Order) -> int:
    return order.order_id

"""Government allowance auctions in the engine: creation, sealed bids, clock, clearing.

An auction (carbon-lifecycle.md §2) moves scheduled -> announced -> open -> closed ->
cleared -> settled, or to cancelled before it settles. Every move is a journaled
command: a supervisor's (create, clear, cancel), a bidder's (bid, amend, withdraw) or the
engine service's `AuctionClock`, so replaying the journal moves each auction at the same
point. Bids are checked against the command's own time, so a bid is accepted exactly
when open <= ts < close whether or not the clock has ticked yet.

The volume is reserved from the government auction account at creation (a sell
reservation in the holds), and each bid's full value from the bidder's cash (a buy
reservation), so clearing never fails for want of tonnes or cash: each allotment is
delivered DvP inside the holds (`Holds.allot`) and booked by settlement from its
`BidAllotted` event; what was not won, and the difference to the clearing price, is
released. Caps are checked across the bidder's bids and its control group's at every
change, and again by clearing (auction_clearing.py).
"""

from enum import IntEnum, IntFlag
from typing import TYPE_CHECKING

import msgspec

from engine.auction_clearing import Bid, TieRule, Undersubscription, clear
from engine.commands import (
    AmendBid,
    AuctionClock,
    CancelAuction,
    ClearAuction,
    CreateAuction,
    PlaceBid,
    WithdrawBid,
)
from engine.events import (
    AuctionCleared,
    AuctionCreated,
    AuctionResults,
    AuctionStatus,
    BidAccepted,
    BidAllotted,
    BidAmended,
    BidChangeRejected,
    BidRejected,
    BidWithdrawn,
    Event,
)
from engine.orders import AccountKind, Side
from engine.reasons import Reason
from engine.restrictions import Action

if TYPE_CHECKING:
    from engine.sequencer import Sequencer

BASIS_POINTS = 10_000
CLOCK = "clock"  # the actor of the clock's moves


class AuctionState(IntEnum):
    SCHEDULED = 0  # created, not yet public
    ANNOUNCED = 1
    OPEN = 2
    CLOSED = 3
    CLEARED = 4
    SETTLED = 5
    CANCELLED = 6


class Eligibility(IntFlag):
    COMPLIANCE = 1  # compliance entities named in the auction's entity list
    SHORTFALL_ONLY = 2  # ... and of those only the ones with a shortfall (Tianjin 2020)
    INVESTORS = 4  # approved investors


_ANY_BIDDER = Eligibility.COMPLIANCE | Eligibility.SHORTFALL_ONLY | Eligibility.INVESTORS
_TAKES_BIDS = (AuctionState.SCHEDULED, AuctionState.ANNOUNCED, AuctionState.OPEN)
_FINAL = (AuctionState.SETTLED, AuctionState.CANCELLED)


class AuctionBid(msgspec.Struct, array_like=True):
    """One bid: `priority` orders bids in time (the seq of its acceptance or of the
    amend that took a new place); `allotted` is set at clearing."""

    number: int  # the exchange's bid number, also its reservation's id in the holds
    account: str
    client_bid_id: str
    group: str  # the control group at the time of bidding (or the account itself)
    price: int
    quantity: int
    priority: int
    live: bool = True
    at_close: bool = False  # it was live at the close: it counts in the results
    allotted: int = 0


class Auction(msgspec.Struct, array_like=True):
    created: AuctionCreated  # the parameters, as announced
    supply_id: int  # the sell reservation of the volume in the holds
    entities: dict[str, tuple[int, int]]  # account -> (verified emissions, shortfall)
    state: int = AuctionState.SCHEDULED
    bids: dict[int, AuctionBid] = {}
    price: int = 0  # clearing price
    sold: int = 0
    demand: int = 0
    published: bool = False  # the second step of the results is out


class BidTally:
    """What the live bids of one auction add up to, kept as they change so a bid is
    checked without a scan of the others (derived: rebuilt on restore, not stored)."""

    __slots__ = ("by_bidder", "by_group", "clients")

    def __init__(self) -> None:
        self.clients: dict[tuple[str, str], int] = {}  # (account, client bid id) -> number
        self.by_bidder: dict[str, int] = {}  # tonnes bid
        self.by_group: dict[str, int] = {}

    def add(self, bid: AuctionBid, sign: int) -> None:
        key = (bid.account, bid.client_bid_id)
        if sign > 0:
            self.clients[key] = bid.number
        else:
            del self.clients[key]
        self.by_bidder[bid.account] = self.by_bidder.get(bid.account, 0) + sign * bid.quantity
        self.by_group[bid.group] = self.by_group.get(bid.group, 0) + sign * bid.quantity


class _State(msgspec.Struct, array_like=True):
    auctions: list[Auction]
    kinds: dict[str, int]  # account -> orders.AccountKind, in the order opened
    days: dict[str, list[tuple[str, int, int]]]  # instrument -> (date, volume, turnover)


class Auctions:
    """The auctions of the sequencer it belongs to; the sequencer routes the auction
    commands here and these handlers use its holds, accounts and counters."""

    def __init__(self, sequencer: "Sequencer") -> None:
        self.sequencer = sequencer
        self.auctions: dict[str, Auction] = {}
        self.tallies: dict[str, BidTally] = {}
        self.kinds: dict[str, int] = {}
        self.days: dict[str, list[tuple[str, int, int]]] = {}

    @property
    def handlers(self) -> dict[type, object]:
        return {
            CreateAuction: self.create,
            CancelAuction: self.cancel,
            ClearAuction: self.clear,
            AuctionClock: self.tick,
            PlaceBid: self.bid,
            AmendBid: self.amend,
            WithdrawBid: self.withdraw,
        }

    # --- what the sequencer tells it ------------------------------------------------

    def account_opened(self, account: str, kind: int) -> None:
        self.kinds[account] = kind

    def day_closed(self, trading_date: str, instrument: str, volume: int, turnover: int) -> None:
        """Keeps each day's book volume and turnover: the VWAP floor's inputs."""
        if volume:
            self.days.setdefault(instrument, []).append((trading_date, volume, turnover))

    def next_due(self) -> int | None:
        """The earliest time at which the clock has something to move (None: nothing)."""
        due = [
            _next_time(auction)
            for auction in self.auctions.values()
            if _next_time(auction) is not None
        ]
        return min(due) if due else None

    # --- supervisor commands --------------------------------------------------------

    def _floor(self, c: CreateAuction, tick: int) -> tuple[int, int, int, int, int]:
        """(reason, floor, days, volume, turnover) of the auction's floor rule."""
        if not c.floor_factor_bp:
            if c.floor_price <= 0:
                return Reason.BAD_PRICE, 0, 0, 0, 0
            if c.floor_price % tick:
                return Reason.OFF_TICK, 0, 0, 0, 0
            return Reason.OK, c.floor_price, 0, 0, 0
        if c.floor_factor_bp < 0 or c.floor_price or c.floor_window_from > c.floor_window_to:
            return Reason.BAD_AUCTION, 0, 0, 0, 0
        window = [
            (volume, turnover)
            for day, volume, turnover in self.days.get(c.instrument, [])
            if c.floor_window_from <= day <= c.floor_window_to
        ]
        volume = sum(v for v, _ in window)
        turnover = sum(t for _, t in window)
        if not volume:
            return Reason.NO_FLOOR_TRADES, 0, 0, 0, 0
        # factor x VWAP, rounded up onto the tick: the floor is never below the rule
        denominator = volume * BASIS_POINTS * tick
        floor = -(-c.floor_factor_bp * turnover // denominator) * tick
        return Reason.OK, floor, len(window), volume, turnover

    def _create_refusal(self, c: CreateAuction) -> int:
        sequencer = self.sequencer
        if c.auction_id in self.auctions or not c.auction_id:
            return Reason.AUCTION_EXISTS
        if c.instrument not in sequencer.listings:
            return Reason.UNKNOWN_INSTRUMENT
        if c.seller not in sequencer.accounts:
            return Reason.UNKNOWN_ACCOUNT
        if not c.comment.strip():
            return Reason.COMMENT_REQUIRED
        if not c.ts < c.close_at or not (c.announce_at <= c.open_at < c.close_at <= c.results_at):
            return Reason.BAD_SCHEDULE
        if (
            c.lot <= 0
            or c.volume <= 0
            or c.volume % c.lot
            or c.tie_rule not in TieRule.__members__.values()
            or c.undersubscription not in Undersubscription.__members__.values()
            or not 0 < c.eligibility <= _ANY_BIDDER
            or c.eligibility == Eligibility.SHORTFALL_ONLY
            or not 0 <= c.entity_cap_bp <= BASIS_POINTS
            or not 0 <= c.group_cap_bp <= BASIS_POINTS
            or c.investor_cap < 0
            or any(verified < 0 or shortfall < 0 for _, verified, shortfall in c.entities)
        ):
            return Reason.BAD_AUCTION
        return Reason.OK

    def create(self, c: CreateAuction) -> list[Event]:
        sequencer = self.sequencer
        reason = self._create_refusal(c)
        floor = days = volume = turnover = 0
        if not reason:
            tick = sequencer.listings[c.instrument].instrument.tick
            reason, floor, days, volume, turnover = self._floor(c, tick)
        supply_id = sequencer.next_order_id
        if not reason:
            reason = sequencer.holds.reserve(
                supply_id, c.seller, c.instrument, Side.SELL, c.volume, floor
            )
        if reason:
            return sequencer._command_rejected(c, c.seller, c.auction_id, reason)
        sequencer.next_order_id = supply_id + 1
        created = AuctionCreated(
            sequencer._seq(),
            c.ts,
            c.auction_id,
            c.instrument,
            c.seller,
            c.volume,
            c.lot,
            floor,
            c.floor_factor_bp,
            c.floor_window_from,
            c.floor_window_to,
            days,
            volume,
            turnover,
            c.announce_at,
            c.open_at,
            c.close_at,
            c.results_at,
            c.eligibility,
            c.entity_cap_bp,
            c.investor_cap,
            c.group_cap_bp,
            c.tie_rule,
            c.undersubscription,
            c.surrender_only,
            c.irrevocable,
            c.actor,
            c.comment,
            c.entities,
        )
        entities = {account: (verified, shortfall) for account, verified, shortfall in c.entities}
        self.auctions[c.auction_id] = Auction(created, supply_id, entities)
        self.tallies[c.auction_id] = BidTally()
        return [created]

    def cancel(self, c: CancelAuction) -> list[Event]:
        auction = self.auctions.get(c.auction_id)
        if auction is None:
            reason = Reason.UNKNOWN_AUCTION
        elif auction.state == AuctionState.SETTLED:
            reason = Reason.AUCTION_SETTLED
        elif auction.state == AuctionState.CANCELLED:
            reason = Reason.AUCTION_CANCELLED
        elif not c.comment.strip():
            reason = Reason.COMMENT_REQUIRED
        else:
            reason = Reason.OK
        if reason:
            return self.sequencer._command_rejected(c, "", c.auction_id, reason)
        events: list[Event] = []
        holds = self.sequencer.holds
        for bid in auction.bids.values():
            if bid.live:
                self._retire(auction, bid)
                events.append(self._withdrawn(c.ts, auction, bid, ""))
        holds.release(auction.supply_id)
        return [*events, self._status(c.ts, auction, AuctionState.CANCELLED, c.actor, c.comment)]

    def clear(self, c: ClearAuction) -> list[Event]:
        auction = self.auctions.get(c.auction_id)
        if auction is None:
            reason = Reason.UNKNOWN_AUCTION
        elif auction.state == AuctionState.CANCELLED:
            reason = Reason.AUCTION_CANCELLED
        elif auction.state in (AuctionState.CLEARED, AuctionState.SETTLED):
            reason = Reason.AUCTION_CLEARED
        elif c.ts < auction.created.close_at:
            reason = Reason.AUCTION_NOT_CLOSED
        else:
            reason = Reason.OK
        if reason:
            return self.sequencer._command_rejected(c, "", c.auction_id, reason)
        events: list[Event] = []
        self._advance(auction, c.ts, c.actor, events)
        return events

    def tick(self, c: AuctionClock) -> list[Event]:
        events: list[Event] = []
        for auction in self.auctions.values():
            self._advance(auction, c.ts, CLOCK, events)
        return events

    def _advance(self, auction: Auction, ts: int, actor: str, events: list[Event]) -> None:
        """Every move of `auction` whose time has come at `ts`, in order."""
        created = auction.created
        for state, at in (
            (AuctionState.ANNOUNCED, created.announce_at),
            (AuctionState.OPEN, created.open_at),
            (AuctionState.CLOSED, created.close_at),
        ):
            if auction.state < state and ts >= at:
                events.append(self._status(ts, auction, state, actor, ""))
        if auction.state == AuctionState.CLOSED:
            self._clear(auction, ts, actor, events)
        if (
            auction.state == AuctionState.SETTLED
            and not auction.published
            and ts >= created.results_at
        ):
            auction.published = True
            events.append(self._results(auction, ts))

    # --- clearing ---------------------------------------------------------------------

    def _caps(self, auction: Auction) -> dict[str, int]:
        caps = {}
        for bid in auction.bids.values():
            cap = self._bidder_cap(auction, bid.account)
            if cap is not None:
                caps[bid.account] = cap
        return caps

    def _clear(self, auction: Auction, ts: int, actor: str, events: list[Event]) -> None:
        created = auction.created
        live = [bid for bid in auction.bids.values() if bid.live]
        by_priority = {bid.priority: bid for bid in live}
        clearing = clear(
            [Bid(bid.priority, bid.account, bid.group, bid.price, bid.quantity) for bid in live],
            created.volume,
            created.lot,
            created.tie_rule,
            created.undersubscription,
            self._caps(auction),
            group_cap(created),
        )
        auction.price, auction.sold, auction.demand = (
            clearing.price,
            clearing.sold,
            clearing.demand,
        )
        for priority, quantity in clearing.allotments.items():
            by_priority[priority].allotted = quantity
        events.append(
            AuctionCleared(
                self.sequencer._seq(),
                ts,
                created.auction_id,
                created.instrument,
                clearing.price,
                clearing.sold,
                clearing.cancelled,
            )
        )
        holds = self.sequencer.holds
        for bid in live:
            bid.at_close = True
            if bid.allotted:
                holds.allot(
                    bid.number,
                    auction.supply_id,
                    bid.allotted,
                    clearing.price,
                    created.surrender_only,
                )
            self._retire(auction, bid)
            events.append(
                BidAllotted(
                    self.sequencer._seq(),
                    ts,
                    created.auction_id,
                    bid.number,
                    bid.account,
                    bid.client_bid_id,
                    created.instrument,
                    created.seller,
                    clearing.price if bid.allotted else 0,
                    bid.allotted,
                    bid.price,
                    bid.quantity,
                    created.surrender_only,
                )
            )
        holds.release(auction.supply_id)
        if clearing.cancelled:
            events.append(
                self._status(ts, auction, AuctionState.CANCELLED, actor, "undersubscribed")
            )
            return
        events.append(self._status(ts, auction, AuctionState.CLEARED, actor, ""))
        events.append(self._status(ts, auction, AuctionState.SETTLED, actor, ""))

    def _results(self, auction: Auction, ts: int) -> AuctionResults:
        created = auction.created
        bids = [bid for bid in auction.bids.values() if bid.at_close]
        sold = auction.sold
        by_group: dict[str, int] = {}
        compliance = investor = 0
        for bid in bids:
            if not bid.allotted:
                continue
            by_group[bid.group] = by_group.get(bid.group, 0) + bid.allotted
            if self.kinds.get(bid.account) == AccountKind.COMPLIANCE:
                compliance += bid.allotted
            else:
                investor += bid.allotted
        demand = sum(bid.quantity for bid in bids)
        weighted = sum(bid.price * bid.quantity for bid in bids)
        prices = [bid.price for bid in bids]
        return AuctionResults(
            self.sequencer._seq(),
            ts,
            created.auction_id,
            created.volume,
            auction.price,
            sold,
            demand,
            demand * BASIS_POINTS // created.volume,
            len({bid.account for bid in bids}),
            len({bid.account for bid in bids if bid.allotted}),
            auction.price * sold,
            compliance,
            investor,
            min(prices, default=0),
            max(prices, default=0),
            weighted // demand if demand else 0,
            sum(won * won for won in by_group.values()) * BASIS_POINTS // (sold * sold)
            if sold
            else 0,
        )

    # --- bids -------------------------------------------------------------------------

    def _bidder_cap(self, auction: Auction, account: str) -> int | None:
        return bidder_cap(
            auction.created, self.kinds.get(account, 0), auction.entities.get(account, (0, 0))
        )

    def _eligible(self, auction: Auction, account: str) -> bool:
        created = auction.created
        if account == created.seller:
            return False
        kind = self.kinds.get(account)
        if kind == AccountKind.INVESTOR:
            return bool(created.eligibility & Eligibility.INVESTORS)
        if kind != AccountKind.COMPLIANCE or not created.eligibility & Eligibility.COMPLIANCE:
            return False
        entity = auction.entities.get(account)
        if entity is None:
            return False
        return not created.eligibility & Eligibility.SHORTFALL_ONLY or entity[1] > 0

    def _bid_refusal(
        self, auction: Auction, ts: int, account: str, price: int, quantity: int, replacing: int
    ) -> int:
        """The checks a new bid and an amend share; `replacing` is the amended bid's
        number (0 for a new bid), whose own quantity does not count against the caps."""
        created = auction.created
        if auction.state == AuctionState.CANCELLED:
            return Reason.AUCTION_CANCELLED
        if auction.state not in _TAKES_BIDS or not created.open_at <= ts < created.close_at:
            return Reason.AUCTION_NOT_OPEN
        if not self._eligible(auction, account):
            return Reason.NOT_ELIGIBLE
        restrictions = self.sequencer.restrictions
        if restrictions.by_account:  # a bid is a buy for enforcement restrictions
            refused = restrictions.refusal(account, Action.BUY, ts)
            if refused:
                return refused
        if type(price) is not int or price <= 0:
            return Reason.BAD_PRICE
        if price % self.sequencer.listings[created.instrument].instrument.tick:
            return Reason.OFF_TICK
        if price < created.floor_price:
            return Reason.BELOW_FLOOR
        if type(quantity) is not int or quantity <= 0 or quantity % created.lot:
            return Reason.BAD_QUANTITY
        tally = self.tallies[created.auction_id]
        group = self._group(account)
        own = tally.by_bidder.get(account, 0) + quantity
        grouped = tally.by_group.get(group, 0) + quantity
        if replacing:
            old = auction.bids[replacing]
            own -= old.quantity
            grouped -= old.quantity if old.group == group else 0
        cap = self._bidder_cap(auction, account)
        most = group_cap(created)
        if (cap is not None and own > cap) or (most and grouped > most):
            return Reason.OVER_CAP
        return Reason.OK

    def _group(self, account: str) -> str:
        control_group = self.sequencer.accounts[account].control_group
        return "\0" + control_group if control_group else account

    def bid(self, c: PlaceBid) -> list[Event]:
        sequencer = self.sequencer
        auction = self.auctions.get(c.auction_id)
        if auction is None:
            reason = Reason.UNKNOWN_AUCTION
        elif c.account not in sequencer.accounts:
            reason = Reason.UNKNOWN_ACCOUNT
        elif self._find_live(auction, c.account, c.client_bid_id) is not None:
            reason = Reason.DUPLICATE_CLIENT_ORDER_ID
        else:
            reason = self._bid_refusal(auction, c.ts, c.account, c.price, c.quantity, 0)
        number = sequencer.next_order_id
        if not reason:
            reason = sequencer.holds.reserve(
                number, c.account, auction.created.instrument, Side.BUY, c.quantity, c.price
            )
        if reason:
            return [
                BidRejected(
                    sequencer._seq(),
                    c.ts,
                    c.auction_id,
                    c.account,
                    c.client_bid_id,
                    c.price,
                    c.quantity,
                    reason,
                    sequencer._refusal_text(c.account, reason, c.ts),
                )
            ]
        sequencer.next_order_id = number + 1
        seq = sequencer._seq()
        bid = AuctionBid(
            number, c.account, c.client_bid_id, self._group(c.account), c.price, c.quantity, seq
        )
        auction.bids[number] = bid
        self.tallies[c.auction_id].add(bid, 1)
        return [
            BidAccepted(
                seq, c.ts, c.auction_id, number, c.account, c.client_bid_id, c.price, c.quantity
            )
        ]

    def _find_live(self, auction: Auction, account: str, client_bid_id: str) -> AuctionBid | None:
        number = self.tallies[auction.created.auction_id].clients.get((account, client_bid_id))
        return None if number is None else auction.bids[number]

    def _retire(self, auction: Auction, bid: AuctionBid) -> None:
        """The bid is done (withdrawn, cancelled or cleared): its reservation is released."""
        bid.live = False
        self.tallies[auction.created.auction_id].add(bid, -1)
        self.sequencer.holds.release(bid.number)

    def _find(self, c: AmendBid | WithdrawBid) -> tuple[Auction | None, AuctionBid | None, int]:
        """The auction and live bid a change names, or why it cannot be changed."""
        auction = self.auctions.get(c.auction_id)
        if auction is None:
            return None, None, Reason.UNKNOWN_AUCTION
        if c.bid_number:
            bid = auction.bids.get(c.bid_number)
            if bid is None or not bid.live:
                return auction, None, Reason.UNKNOWN_ORDER
            if bid.account != c.account:
                return auction, None, Reason.NOT_YOUR_ORDER
        else:
            bid = self._find_live(auction, c.account, c.orig_client_bid_id)
            if bid is None:
                return auction, None, Reason.UNKNOWN_ORDER
        if auction.created.irrevocable:
            return auction, bid, Reason.BIDS_IRREVOCABLE
        created = auction.created
        if auction.state not in _TAKES_BIDS or not c.ts < created.close_at:
            return auction, bid, Reason.AUCTION_NOT_OPEN
        return auction, bid, Reason.OK

    def _change_rejected(
        self, c: AmendBid | WithdrawBid, bid: AuctionBid | None, reason: int
    ) -> list[Event]:
        return [
            BidChangeRejected(
                self.sequencer._seq(),
                c.ts,
                c.auction_id,
                c.account,
                c.client_bid_id,
                c.orig_client_bid_id,
                type(c) is AmendBid,
                reason,
                self.sequencer._refusal_text(c.account, reason, c.ts),
                bid.number if bid is not None else 0,
            )
        ]

    def amend(self, c: AmendBid) -> list[Event]:
        """Lowering the quantity at the same price keeps the bid's time; any other change
        takes a new one, as on the book."""
        sequencer = self.sequencer
        auction, bid, reason = self._find(c)
        if (
            not reason
            and c.client_bid_id != bid.client_bid_id
            and self._find_live(auction, c.account, c.client_bid_id) is not None
        ):
            reason = Reason.DUPLICATE_CLIENT_ORDER_ID
        if not reason:
            reason = self._bid_refusal(
                auction, c.ts, c.account, c.price, c.quantity, bid.number
            ) or sequencer.holds.amend(bid.number, c.quantity, c.price)
        if reason:
            return self._change_rejected(c, bid, reason)
        seq = sequencer._seq()
        if c.price != bid.price or c.quantity > bid.quantity:
            bid.priority = seq
        orig = bid.client_bid_id
        tally = self.tallies[c.auction_id]
        tally.add(bid, -1)
        bid.client_bid_id, bid.price, bid.quantity = c.client_bid_id, c.price, c.quantity
        bid.group = self._group(c.account)
        tally.add(bid, 1)
        return [
            BidAmended(
                seq,
                c.ts,
                c.auction_id,
                bid.number,
                c.account,
                c.client_bid_id,
                orig,
                c.price,
                c.quantity,
            )
        ]

    def withdraw(self, c: WithdrawBid) -> list[Event]:
        auction, bid, reason = self._find(c)
        if reason:
            return self._change_rejected(c, bid, reason)
        self._retire(auction, bid)
        return [self._withdrawn(c.ts, auction, bid, c.client_bid_id)]

    def _withdrawn(self, ts: int, auction: Auction, bid: AuctionBid, request_id: str) -> Event:
        return BidWithdrawn(
            self.sequencer._seq(),
            ts,
            auction.created.auction_id,
            bid.number,
            bid.account,
            bid.client_bid_id,
            bid.price,
            bid.quantity,
            request_id,
        )

    def _status(
        self, ts: int, auction: Auction, state: int, actor: str, comment: str
    ) -> AuctionStatus:
        auction.state = state
        return AuctionStatus(
            self.sequencer._seq(), ts, auction.created.auction_id, state, actor, comment
        )

    # --- snapshots --------------------------------------------------------------------

    def snapshot(self) -> bytes:
        """Canonical: auctions, bids and accounts in the order the journal made them,
        which replay and restore both keep."""
        return _encode(_State(list(self.auctions.values()), self.kinds, self.days))

    def restore(self, data: bytes) -> None:
        state = _decode(data)
        self.auctions = {auction.created.auction_id: auction for auction in state.auctions}
        self.tallies = {}
        for auction_id, auction in self.auctions.items():
            tally = self.tallies[auction_id] = BidTally()
            for bid in auction.bids.values():
                if bid.live:
                    tally.add(bid, 1)
        self.kinds = state.kinds
        self.days = state.days


def bidder_cap(created: AuctionCreated, kind: int, entity: tuple[int, int]) -> int | None:
    """A bidder's cap in tonnes (None: no cap of its own): an entity's share of its
    verified emissions (and at most its shortfall in a shortfall-only auction), an
    investor's tonnes. `entity` is (verified emissions, shortfall)."""
    if kind == AccountKind.COMPLIANCE:
        verified, shortfall = entity
        caps = []
        if created.entity_cap_bp:
            caps.append(verified * created.entity_cap_bp // BASIS_POINTS)
        if created.eligibility & Eligibility.SHORTFALL_ONLY:
            caps.append(shortfall)
        return min(caps) if caps else None
    return created.investor_cap or None


def group_cap(created: AuctionCreated) -> int:
    """A control group's cap in tonnes (0: none)."""
    return created.volume * created.group_cap_bp // BASIS_POINTS


def _next_time(auction: Auction) -> int | None:
    created = auction.created
    state = auction.state
    if state in _FINAL:
        return (
            created.results_at if state == AuctionState.SETTLED and not auction.published else None
        )
    if state == AuctionState.SCHEDULED:
        return created.announce_at
    if state == AuctionState.ANNOUNCED:
        return created.open_at
    return created.close_at


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(_State).decode

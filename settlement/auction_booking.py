"""Booking auction allotments: each a DvP delivery from the government auction account.

An allotment moves tonnes from the auction account's available state to the winner's
available state, or to its `surrender_only` state when the auction said so: trades,
transfers and pledges draw on `available` only, so the registry refuses to let
surrender-only tonnes go anywhere but to a surrender (which draws on them first). Cash
moves from the winner to the auction account at the clearing price, without commission.
Booked once: the ledger's cursor moves past the event's `seq` in the same transaction.
"""

from typing import TYPE_CHECKING

import msgspec

from engine.auctions import CLOCK, AuctionState
from engine.events import AuctionCreated, AuctionStatus, BidAllotted, HoldingMoved
from engine.orders import HoldingMovementKind

if TYPE_CHECKING:
    from settlement.booking import Booking

SURRENDER_ONLY = "surrender_only"


def book_allotment(booking: "Booking", event: BidAllotted) -> None:
    from settlement.booking import AVAILABLE, CASH, CNY  # booking.py imports this module

    if not event.quantity:
        return  # the bid won nothing: its reservation was released, the registry unmoved
    turnover = event.quantity * event.price
    delivered = (event.seller, event.instrument, AVAILABLE)
    paid = (event.account, CNY, CASH)
    reason = ""
    if event.account not in booking.accounts or event.seller not in booking.accounts:
        reason = "unknown account"
    elif booking.balances.get(delivered, 0) < event.quantity:
        reason = "the auction account's available registry holdings do not cover it"
    elif booking.balances.get(paid, 0) < turnover:
        reason = "winner's registry cash does not cover the allotment"
    if reason:
        booking._fail(
            event,
            "allotment",
            reason,
            account=event.account,
            instrument=event.instrument,
            quantity=event.quantity,
            amount=turnover,
        )
        return
    state = SURRENDER_ONLY if event.surrender_only else AVAILABLE
    booking._post(event.seq, delivered, -event.quantity, "auction")
    booking._post(event.seq, (event.account, event.instrument, state), event.quantity, "auction")
    booking._post(event.seq, paid, -turnover, "auction")
    booking._post(event.seq, (event.seller, CNY, CASH), turnover, "auction")
    booking.lots.allotment(event, AVAILABLE, state)
    booking.entries.append(
        (
            event.seq,
            event.ts,
            "auction_allotment",
            event.account,
            event.instrument,
            event.quantity,
            f"{event.auction_id}/{event.bid_number}",
            event.seller,
            f"price={event.price} surrender_only={event.surrender_only}",
        )
    )


def audit_auction(booking: "Booking", event: AuctionCreated | AuctionStatus) -> None:
    """A supervisor's creation or cancellation of an auction, with its comment, in the
    registry's audit trail (the clock's moves are not supervisors' actions)."""
    if isinstance(event, AuctionCreated):
        kind, account, instrument, amount = (
            "auction_create",
            event.seller,
            event.instrument,
            event.volume,
        )
    elif event.state == AuctionState.CANCELLED and event.actor != CLOCK:
        kind, account, instrument, amount = "auction_cancel", "", "", 0
    else:
        return
    booking.entries.append(
        (event.seq, event.ts, kind, account, instrument, amount, event.auction_id, event.actor,
         event.comment)
    )  # fmt: skip


def locked_tonnes(booking: "Booking", event: HoldingMoved) -> int:
    """The surrender-only tonnes a surrender may draw on (none for other operations)."""
    if event.kind != HoldingMovementKind.SURRENDER:
        return 0
    return booking.balances.get((event.account, event.instrument, SURRENDER_ONLY), 0)


def surrender_from_locked(booking: "Booking", event: HoldingMoved) -> int:
    """Posts the part of a surrender that surrender-only tonnes cover; returns the rest,
    which the ordinary surrender books from `available`."""
    locked = (event.account, event.instrument, SURRENDER_ONLY)
    used = min(event.quantity, booking.balances.get(locked, 0))
    if used:
        surrendered = ("@surrendered", "available")  # owner, state
        booking._post(event.seq, locked, -used, "surrender")
        booking._post(
            event.seq, (surrendered[0], event.instrument, surrendered[1]), used, "surrender"
        )
        part = msgspec.structs.replace(event, quantity=used)
        booking.lots.holding(part, "surrender", (event.account, SURRENDER_ONLY), surrendered)
    return event.quantity - used

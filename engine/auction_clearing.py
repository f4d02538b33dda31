"""Clearing a sealed-bid uniform-price auction: a pure function of the bids.

Bids are taken by price descending, ties by the auction's tie rule (time priority: the
earlier bid first; pro rata: the tied level shares what is left in proportion to the
bids, in whole lots), and accumulated to the volume. Caps trim as they go: no bidder
and no control group is allotted more than its cap, and what a cap trims goes to the
next bids. The clearing price is the lowest price that won anything and every winner
pays it. Undersubscribed (less bid than offered): SELL_BID allots what was bid,
CANCEL allots nothing.

One sort, then one pass over the bids: the work is O(n log n), not a scan per bid
(`python -m bench.auction` measures it).
"""

from collections.abc import Sequence
from enum import IntEnum
from itertools import groupby

import msgspec


class TieRule(IntEnum):
    TIME = 1  # as the Chinese pilots: the earlier bid wins the tie
    PRO_RATA = 2


class Undersubscription(IntEnum):
    SELL_BID = 1  # sell what was bid (Shanghai, Tianjin)
    CANCEL = 2  # cancel the auction (EU)


class Bid(msgspec.Struct, array_like=True, gc=False, frozen=True):
    """One sealed bid as clearing sees it; `number` orders bids in time (lower first)."""

    number: int
    bidder: str  # the account
    group: str  # the control group, or the account itself when it has none
    price: int
    quantity: int


class Clearing(msgspec.Struct, array_like=True, frozen=True):
    price: int  # the uniform price; 0 when nothing was allotted
    sold: int  # tonnes allotted
    demand: int  # tonnes bid in all
    cancelled: bool  # undersubscribed under the CANCEL rule
    allotments: dict[int, int]  # bid number -> tonnes, winners only


def _priority(bid: Bid) -> tuple[int, int]:
    return (-bid.price, bid.number)


def _price(bid: Bid) -> int:
    return bid.price


def clear(
    bids: Sequence[Bid],
    volume: int,
    lot: int,
    tie_rule: int,
    undersubscription: int,
    bidder_caps: dict[str, int],
    group_cap: int,
) -> Clearing:
    """Allots `volume` tonnes in whole `lot`s. `bidder_caps` gives each bidder's cap in
    tonnes (a bidder absent from it has none); `group_cap` bounds each control group
    (0 for none)."""
    bidder_left = dict(bidder_caps)
    group_left: dict[str, int] = {}
    left = volume
    allotments: dict[int, int] = {}
    demand = 0
    for _, level in groupby(sorted(bids, key=_priority), key=_price):
        level = list(level)
        demand += sum(bid.quantity for bid in level)
        if not left:
            continue
        wanted: list[tuple[Bid, int]] = []
        for bid in level:  # in time order: caps trim the later bid of a bidder
            room = bid.quantity
            if bid.bidder in bidder_left:
                room = min(room, bidder_left[bid.bidder])
            if group_cap:
                room = min(room, group_left.get(bid.group, group_cap))
            room -= room % lot
            if room <= 0:
                continue
            wanted.append((bid, room))
            if bid.bidder in bidder_left:
                bidder_left[bid.bidder] -= room
            if group_cap:
                group_left[bid.group] = group_left.get(bid.group, group_cap) - room
        total = sum(room for _, room in wanted)
        if total <= left:
            shares = [room for _, room in wanted]
        elif tie_rule == TieRule.PRO_RATA:
            shares = _pro_rata([room // lot for _, room in wanted], left // lot, lot)
        else:
            shares = []
            rest = left
            for _, room in wanted:
                take = min(room, rest)
                shares.append(take)
                rest -= take
        for (bid, _), share in zip(wanted, shares, strict=True):
            if share:
                allotments[bid.number] = share
                left -= share
    sold = volume - left
    cancelled = bool(left) and undersubscription == Undersubscription.CANCEL
    if not sold or cancelled:
        return Clearing(0, 0, demand, cancelled, {})
    by_number = {bid.number: bid.price for bid in bids}
    price = min(by_number[number] for number in allotments)
    return Clearing(price, sold, demand, False, allotments)


def _pro_rata(wanted_lots: list[int], lots: int, lot: int) -> list[int]:
    """Shares `lots` among the tied bids in proportion to `wanted_lots` (more in all than
    `lots`), rounded down, then the lots rounding left over one each in time order."""
    total = sum(wanted_lots)
    shares = [wanted * lots // total for wanted in wanted_lots]
    spare = lots - sum(shares)
    for index, wanted in enumerate(wanted_lots):
        if not spare:
            break
        if shares[index] < wanted:
            shares[index] += 1
            spare -= 1
    return [share * lot for share in shares]

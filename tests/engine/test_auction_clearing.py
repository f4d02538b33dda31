"""Auction clearing against hand-worked examples and, on random bid sets, against a
plain reference clearing written from the rule's text (carbon-lifecycle.md §2)."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.auction_clearing import Bid, Clearing, TieRule, Undersubscription, clear

TIME, PRO_RATA = TieRule.TIME, TieRule.PRO_RATA
SELL, CANCEL = Undersubscription.SELL_BID, Undersubscription.CANCEL
LOT = 1_000


def bid(number: int, bidder: str, price: int, quantity: int, group: str = "") -> Bid:
    return Bid(number, bidder, group or bidder, price, quantity)


TIED = [
    bid(1, "A", 60_00, 4_000),
    bid(2, "B", 58_00, 4_000),
    bid(3, "C", 58_00, 8_000),
    bid(4, "D", 55_00, 2_000),
]


def test_time_priority_fills_the_earlier_tied_bid_first_and_the_marginal_in_part() -> None:
    result = clear(TIED, 10_000, LOT, TIME, SELL, {}, 0)
    # A 4,000 leaves 6,000; at 58.00 B (earlier) takes 4,000, C the last 2,000 of its 8,000
    assert result == Clearing(58_00, 10_000, 18_000, False, {1: 4_000, 2: 4_000, 3: 2_000})


def test_pro_rata_shares_the_tied_level_in_proportion() -> None:
    result = clear(TIED, 10_000, LOT, PRO_RATA, SELL, {}, 0)
    # 6 lots left for 12 lots bid at 58.00: B 4 x 6/12 = 2 lots, C 8 x 6/12 = 4 lots
    assert result.allotments == {1: 4_000, 2: 2_000, 3: 4_000}
    assert result.price == 58_00


def test_pro_rata_gives_the_lots_rounding_leaves_in_time_order() -> None:
    bids = [bid(1, "A", 60_00, 7_000), bid(2, "B", 58_00, 3_000), bid(3, "C", 58_00, 3_000)]
    result = clear(bids, 10_000, LOT, PRO_RATA, SELL, {}, 0)
    # 3 lots for 6 bid: 1.5 each, rounded down to 1 each, the spare lot to B (earlier)
    assert result.allotments == {1: 7_000, 2: 2_000, 3: 1_000}


def test_undersubscribed_sells_what_was_bid_at_the_lowest_bid() -> None:
    bids = [bid(1, "A", 60_00, 4_000), bid(2, "B", 55_00, 2_000)]
    result = clear(bids, 10_000, LOT, TIME, SELL, {}, 0)
    assert result == Clearing(55_00, 6_000, 6_000, False, {1: 4_000, 2: 2_000})


def test_undersubscribed_under_the_cancel_rule_allots_nothing() -> None:
    bids = [bid(1, "A", 60_00, 4_000), bid(2, "B", 55_00, 2_000)]
    result = clear(bids, 10_000, LOT, TIME, CANCEL, {}, 0)
    assert result == Clearing(0, 0, 6_000, True, {})


def test_fully_subscribed_is_not_cancelled_under_the_cancel_rule() -> None:
    assert not clear(TIED, 10_000, LOT, TIME, CANCEL, {}, 0).cancelled


def test_caps_trim_bidder_and_group_and_pass_the_rest_on() -> None:
    bids = [
        bid(1, "A", 60_00, 5_000, "G"),
        bid(2, "A", 59_00, 2_000, "G"),
        bid(3, "B", 58_00, 5_000, "G"),
        bid(4, "C", 57_00, 5_000),
    ]
    result = clear(bids, 10_000, LOT, TIME, SELL, {"A": 3_000}, 5_000)
    # A capped at 3,000 (its second bid gets nothing); group G at 5,000, so B gets 2,000
    assert result.allotments == {1: 3_000, 3: 2_000, 4: 5_000}
    assert result.price == 57_00


def test_a_cap_that_is_not_whole_lots_trims_down_to_the_lot() -> None:
    result = clear([bid(1, "A", 60_00, 5_000)], 10_000, LOT, TIME, SELL, {"A": 2_500}, 0)
    assert result.allotments == {1: 2_000}


def test_no_bids_clears_nothing() -> None:
    assert clear([], 10_000, LOT, TIME, SELL, {}, 0) == Clearing(0, 0, 0, False, {})
    assert clear([], 10_000, LOT, TIME, CANCEL, {}, 0).cancelled


def reference_clear(
    bids: list[Bid],
    volume: int,
    lot: int,
    tie_rule: int,
    undersubscription: int,
    caps: dict[str, int],
    group_cap: int,
) -> Clearing:
    """The rule as written, one price level at a time, with exact fractions."""
    won: dict[int, int] = {}
    by_bidder: dict[str, int] = {}
    by_group: dict[str, int] = {}
    left = volume
    for price in sorted({b.price for b in bids}, reverse=True):
        level = sorted((b for b in bids if b.price == price), key=lambda b: b.number)
        wants = []
        for b in level:
            room = b.quantity
            if b.bidder in caps:
                room = min(room, caps[b.bidder] - by_bidder.get(b.bidder, 0))
            if group_cap:
                room = min(room, group_cap - by_group.get(b.group, 0))
            room = max(0, room - room % lot)
            wants.append(room)
            by_bidder[b.bidder] = by_bidder.get(b.bidder, 0) + room
            by_group[b.group] = by_group.get(b.group, 0) + room
        if sum(wants) <= left:
            shares = wants
        elif tie_rule == TIME:
            shares, rest = [], left
            for want in wants:
                shares.append(min(want, rest))
                rest -= shares[-1]
        else:
            total_lots = sum(wants) // lot
            exact = [Fraction(w // lot * (left // lot), total_lots) for w in wants]
            lots = [int(x) for x in exact]
            spare = left // lot - sum(lots)
            for i, want in enumerate(wants):
                if spare and lots[i] < want // lot:
                    lots[i] += 1
                    spare -= 1
            shares = [n * lot for n in lots]
        for b, share in zip(level, shares, strict=True):
            if share:
                won[b.number] = share
        left -= sum(shares)
        if not left:
            break
    demand = sum(b.quantity for b in bids)
    sold = volume - left
    if not sold or (left and undersubscription == CANCEL):
        return Clearing(0, 0, demand, bool(left) and undersubscription == CANCEL, {})
    return Clearing(min(b.price for b in bids if b.number in won), sold, demand, False, won)


bid_sets = st.lists(
    st.tuples(
        st.sampled_from("ABCDEFG"),
        st.integers(50_00, 50_20),  # few prices: many ties
        st.integers(1, 12),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(
    rows=bid_sets,
    volume_lots=st.integers(1, 60),
    tie_rule=st.sampled_from([TIME, PRO_RATA]),
    undersubscription=st.sampled_from([SELL, CANCEL]),
    capped=st.dictionaries(st.sampled_from("ABCDEFG"), st.integers(0, 15_000), max_size=4),
    group_cap_lots=st.integers(0, 30),
)
def test_clearing_matches_the_reference_and_keeps_its_invariants(
    rows, volume_lots, tie_rule, undersubscription, capped, group_cap_lots
) -> None:
    groups = {"A": "X", "B": "X", "C": "Y"}  # A and B share a control group
    bids = [
        Bid(number, bidder, groups.get(bidder, bidder), price, lots * LOT)
        for number, (bidder, price, lots) in enumerate(rows, start=1)
    ]
    volume, group_cap = volume_lots * LOT, group_cap_lots * LOT
    result = clear(bids, volume, LOT, tie_rule, undersubscription, capped, group_cap)
    expected = reference_clear(bids, volume, LOT, tie_rule, undersubscription, capped, group_cap)
    assert result == expected
    by_number = {b.number: b for b in bids}
    assert result.sold == sum(result.allotments.values()) <= volume
    won_by: dict[str, int] = {}
    won_by_group: dict[str, int] = {}
    for number, quantity in result.allotments.items():
        b = by_number[number]
        assert 0 < quantity <= b.quantity and quantity % LOT == 0
        assert b.price >= result.price  # uniform price: no winner pays above its bid
        won_by[b.bidder] = won_by.get(b.bidder, 0) + quantity
        won_by_group[b.group] = won_by_group.get(b.group, 0) + quantity
    assert all(won_by.get(bidder, 0) <= cap for bidder, cap in capped.items())
    if group_cap:
        assert all(quantity <= group_cap for quantity in won_by_group.values())
    if result.allotments:
        assert result.price == min(by_number[n].price for n in result.allotments)

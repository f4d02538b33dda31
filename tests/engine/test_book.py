"""The fast book against the plain reference book, plus the rules both must keep."""

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.book import Book
from engine.order import Order
from engine.orders import SelfTradePrevention, Side
from engine.reference_book import ReferenceBook

LOW, HIGH, TICK = 4500, 5500, 1
BUY, SELL = Side.BUY.value, Side.SELL.value


def order(order_id: int, owner: str, side: int, price: int, quantity: int) -> Order:
    return Order(order_id, owner, owner, f"c{order_id}", "TJEA25", side, price, quantity)


def view(book: Book | ReferenceBook) -> list[list[tuple[int, int, int]]]:
    return [[(o.order_id, o.price, o.leaves) for o in book.orders(side)] for side in (BUY, SELL)]


def test_price_time_priority_and_resting_price() -> None:
    book = Book(LOW, HIGH, TICK)
    first, second, better = (
        order(1, "a", SELL, 5010, 5),
        order(2, "b", SELL, 5010, 5),
        order(3, "c", SELL, 5005, 5),
    )
    for resting in (first, second, better):
        book.add(resting)
    incoming = order(4, "d", BUY, 5020, 8)
    fills, stopped = book.match(incoming, 5020, SelfTradePrevention.CANCEL_INCOMING)
    assert [(o.order_id, o.price, q) for o, q in fills] == [(3, 5005, 5), (1, 5010, 3)]
    assert not stopped and incoming.leaves == 0 and incoming.filled == 8
    assert view(book)[1] == [(1, 5010, 2), (2, 5010, 5)]
    assert book.best_ask() == 5010 and book.best_bid() == 0


def test_cancel_from_the_middle_of_a_level_keeps_fifo() -> None:
    book = Book(LOW, HIGH, TICK)
    orders = [order(i, "a", BUY, 4990, 1) for i in range(1, 4)]
    for resting in orders:
        book.add(resting)
    book.remove(orders[1])
    assert [o.order_id for o in book.orders(BUY)] == [1, 3]
    book.remove(orders[0])
    book.remove(orders[2])
    assert book.best_bid() == 0 and book.orders(BUY) == []


def test_best_moves_to_the_next_level_when_a_level_empties() -> None:
    book = Book(LOW, HIGH, TICK)
    far, near = order(1, "a", BUY, 4500, 1), order(2, "a", BUY, 5500, 1)
    book.add(far)
    book.add(near)
    assert book.best_bid() == 5500
    book.remove(near)
    assert book.best_bid() == 4500


def test_self_trade_prevention_modes() -> None:
    for prevention, remaining, stopped_expected in (
        (SelfTradePrevention.CANCEL_INCOMING, [1, 2], True),
        (SelfTradePrevention.CANCEL_RESTING, [], False),
        (SelfTradePrevention.CANCEL_BOTH, [2], True),
    ):
        book = Book(LOW, HIGH, TICK)
        book.add(order(1, "me", SELL, 5000, 5))
        book.add(order(2, "other", SELL, 5000, 5))
        incoming = order(3, "me", BUY, 5000, 5)
        fills, stopped = book.match(incoming, 5000, prevention)
        assert stopped is stopped_expected
        assert [o.order_id for o in book.orders(SELL)] == remaining
        if prevention == SelfTradePrevention.CANCEL_RESTING:
            assert [(o.order_id, q) for o, q in fills] == [(1, 0), (2, 5)]


# A random stream: (action, owner, side, price offset, quantity, prevention, target)
actions = st.lists(
    st.tuples(
        st.sampled_from(["limit", "limit", "limit", "cancel", "ioc", "fok"]),
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from([BUY, SELL]),
        st.integers(-20, 20),
        st.integers(1, 30),
        st.sampled_from(list(SelfTradePrevention)),
        st.integers(0, 1000),
    ),
    max_size=150,
)


@settings(max_examples=300, deadline=None)
@given(actions)
def test_fast_book_matches_the_reference_book(stream: list) -> None:
    fast, plain = Book(LOW, HIGH, TICK), ReferenceBook(LOW, HIGH, TICK)
    resting: dict[int, tuple[Order, Order]] = {}
    for order_id, (action, owner, side, offset, quantity, prevention, target) in enumerate(
        stream, start=1
    ):
        if action == "cancel":
            if resting:
                key = sorted(resting)[target % len(resting)]
                mine, theirs = resting.pop(key)
                fast.remove(mine)
                plain.remove(theirs)
        else:
            price = 5000 + offset
            mine, theirs = (order(order_id, owner, side, price, quantity) for _ in range(2))
            if action == "fok":
                assert fast.fillable(mine, price, prevention) == plain.fillable(
                    theirs, price, prevention
                )
            fills_fast, stopped_fast = fast.match(mine, price, prevention)
            fills_plain, stopped_plain = plain.match(theirs, price, prevention)
            assert stopped_fast == stopped_plain
            assert [(o.order_id, q) for o, q in fills_fast] == [
                (o.order_id, q) for o, q in fills_plain
            ]
            assert (mine.leaves, mine.filled) == (theirs.leaves, theirs.filled)
            for met, _ in fills_fast:
                if not met.leaves or met not in fast.orders(met.side):
                    resting.pop(met.order_id, None)
            if mine.leaves and action == "limit" and not stopped_fast:
                fast.add(mine)
                plain.add(theirs)
                resting[order_id] = (mine, theirs)
        assert view(fast) == view(plain)
        assert (fast.best_bid(), fast.best_ask()) == (plain.best_bid(), plain.best_ask())
        bid, ask = fast.best_bid(), fast.best_ask()
        assert not (bid and ask and bid >= ask), "the book rests crossed"


def test_a_dropped_book_cuts_the_links_of_its_resting_orders() -> None:
    """Orders are not tracked by the garbage collector, so a book dropped with orders
    resting (a discarded sequencer) must unlink them or they would never be freed."""
    book = Book(4500, 5500, 1)
    resting = [order(n, "A", Side.BUY, 5000, 10) for n in range(1, 4)]
    for o in resting:
        book.add(o)
    assert resting[1].prev is resting[0] and resting[1].next is resting[2]
    del book
    assert all(o.prev is None and o.next is None for o in resting)

"""A live order as the book holds it: one small mutable object per order.

`prev`/`next` make each price level an intrusive FIFO, so the book can take any order
out in O(1) on a cancel. `owner` is who self-trade prevention compares: the account, or
its control group when the market's self-trade scope is the control group.

A msgspec Struct rather than a __slots__ class because one is made per order: its
constructor runs in C, about three times faster than a Python __init__. `eq=False` keeps
identity semantics (an order is a live thing, not a value).

`gc=False`: orders are not tracked by the garbage collector. A day's book holds tens of
thousands of them, and tracked they made every full collection walk them all (the
sequencer ran 15-30% slower). The one reference cycle they form, neighbours in a level
pointing at each other, is cut whenever an order leaves its level, and the book cuts the
links of the orders still resting when it is cleared or dropped (engine/book.py).
"""

import msgspec


class Order(msgspec.Struct, eq=False, gc=False):
    order_id: int
    account: str
    owner: str
    client_order_id: str
    instrument: str
    side: int
    price: int
    leaves: int  # open quantity
    filled: int = 0
    # set by the book when the order rests: its level index, its FIFO neighbours
    key: int = 0
    prev: "Order | None" = None
    next: "Order | None" = None

    def __repr__(self) -> str:  # not the default: that would follow prev/next down the level
        return (
            f"Order({self.order_id}, {self.account}, side={self.side}, "
            f"price={self.price}, leaves={self.leaves}, filled={self.filled})"
        )

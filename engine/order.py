"""A live order as the book holds it: one small mutable object per order.

`prev`/`next` make each price level an intrusive FIFO, so the book can take any order
out in O(1) on a cancel. `owner` is who self-trade prevention compares: the account, or
its control group when the market's self-trade scope is the control group.
"""


class Order:
    __slots__ = (
        "account",
        "client_order_id",
        "filled",
        "instrument",
        "key",
        "leaves",
        "next",
        "order_id",
        "owner",
        "prev",
        "price",
        "side",
    )

    def __init__(
        self,
        order_id: int,
        account: str,
        owner: str,
        client_order_id: str,
        instrument: str,
        side: int,
        price: int,
        leaves: int,
    ) -> None:
        self.order_id = order_id
        self.account = account
        self.owner = owner
        self.client_order_id = client_order_id
        self.instrument = instrument
        self.side = side
        self.price = price
        self.leaves = leaves  # open quantity
        self.filled = 0
        # set by the book when the order rests: its level index, its FIFO neighbours
        self.key: int
        self.prev: Order | None
        self.next: Order | None

    def __repr__(self) -> str:
        return (
            f"Order({self.order_id}, {self.account}, side={self.side}, "
            f"price={self.price}, leaves={self.leaves}, filled={self.filled})"
        )

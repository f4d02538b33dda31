"""What the gateway knows of each order, rebuilt from the engine's events alone.

Execution reports need running totals the events do not carry (CumQty, AvgPx, the ClOrdID
chain), and the gateway may run in another process than the engine, so it folds the
event stream into one `OrderView` per order. The stream must be read from the start of the
trading day; at the day's close an instrument's views are dropped (day orders expire).
"""

from engine.orders import OrderType

# FIX OrdStatus (39) values the views take.
NEW, PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED = "0", "1", "2", "4", "C"
UNKNOWN = "8"  # what FIX says to report for an order the gateway does not know


class OrderView:
    __slots__ = (
        "account",
        "client_order_id",
        "cum_qty",
        "instrument",
        "leaves_qty",
        "notional",
        "order_id",
        "order_qty",
        "order_type",
        "orig_client_order_id",
        "price",
        "side",
        "status",
        "time_in_force",
    )

    def __init__(
        self,
        order_id: int,
        account: str,
        client_order_id: str,
        instrument: str,
        side: int,
        order_type: int,
        time_in_force: int,
        price: int,
        order_qty: int,
    ):
        self.order_id = order_id
        self.account = account
        self.client_order_id = client_order_id
        self.orig_client_order_id = ""
        self.instrument = instrument
        self.side = side
        self.order_type = order_type
        self.time_in_force = time_in_force
        self.price = price
        self.order_qty = order_qty
        self.cum_qty = 0
        self.leaves_qty = order_qty
        self.notional = 0  # sum of price x quantity over fills, fen: AvgPx's numerator
        self.status = NEW

    @property
    def is_limit(self) -> bool:
        return self.order_type == OrderType.LIMIT


class OrderViews:
    """Every order of the trading day, by exchange id and by (account, any ClOrdID it had)."""

    def __init__(self):
        self._by_id: dict[int, OrderView] = {}
        self._by_client_id: dict[tuple[str, str], OrderView] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, order_id: int) -> OrderView | None:
        return self._by_id.get(order_id)

    def find(self, account: str, client_order_id: str) -> OrderView | None:
        return self._by_client_id.get((account, client_order_id))

    def status_of(self, account: str, client_order_id: str, order_id: int) -> str:
        """The order's OrdStatus, or UNKNOWN when it is not this account's live or past order."""
        view = self._by_id.get(order_id) if order_id else self.find(account, client_order_id)
        return view.status if view is not None and view.account == account else UNKNOWN

    def accepted(self, view: OrderView) -> None:
        self._by_id[view.order_id] = view
        self._by_client_id[(view.account, view.client_order_id)] = view

    def filled(self, view: OrderView, quantity: int, price: int) -> None:
        view.cum_qty += quantity
        view.notional += quantity * price
        view.leaves_qty = view.order_qty - view.cum_qty
        view.status = FILLED if view.leaves_qty == 0 else PARTIALLY_FILLED

    def closed(self, view: OrderView, status: str, request_id: str) -> None:
        """The order left the book unfilled (cancelled or expired). A cancel request's
        ClOrdID joins the chain, as FIX has it."""
        view.leaves_qty = 0
        view.status = status
        if request_id:
            self._rename(view, request_id)

    def amended(self, view: OrderView, client_order_id: str, price: int, order_qty: int) -> None:
        self._rename(view, client_order_id)
        view.price = price
        view.order_qty = order_qty
        view.leaves_qty = order_qty - view.cum_qty
        view.status = PARTIALLY_FILLED if view.cum_qty else NEW

    def _rename(self, view: OrderView, client_order_id: str) -> None:
        view.orig_client_order_id = view.client_order_id
        view.client_order_id = client_order_id
        self._by_client_id[(view.account, client_order_id)] = view

    def day_closed(self, instrument: str) -> None:
        """Forgets the instrument's orders: at the close every day order has expired."""
        for key, view in list(self._by_client_id.items()):
            if view.instrument == instrument:
                del self._by_client_id[key]
        for order_id, view in list(self._by_id.items()):
            if view.instrument == instrument:
                del self._by_id[order_id]

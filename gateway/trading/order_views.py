"""What the gateway knows of each order, rebuilt from the engine's events alone.

Execution reports need running totals the events do not carry (CumQty, AvgPx, the ClOrdID
chain), and the gateway may run in another process than the engine, so it folds the
event stream into one `OrderView` per order. The stream must be read from the start of the
trading day; at the day's close an instrument's views are dropped (day orders expire).

Only live orders stay in memory. A done order (filled, cancelled, expired) is still asked
about for the rest of the day (OrderStatusRequest, the OrdStatus of an OrderCancelReject),
so its final view moves to `DoneOrders`, a private temporary SQLite database: its pages
live in a bounded cache and spill to a temporary file, so memory is bounded by the live
orders rather than by the day's count. Nothing there needs to survive the process: a
restarted gateway rebuilds every view from the day's stream.
"""

import sqlite3

from engine.orders import OrderType

# FIX OrdStatus (39) values the views take.
NEW, PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED = "0", "1", "2", "4", "C"
UNKNOWN = "8"  # what FIX says to report for an order the gateway does not know


class OrderView:
    __slots__ = (
        "account",
        "client_order_id",
        "cum_qty",
        "earlier_client_order_ids",
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
        self.earlier_client_order_ids: tuple[str, ...] = ()  # the chain before orig_client_order_id
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

    @property
    def client_order_ids(self) -> tuple[str, ...]:
        """Every ClOrdID the order has carried, oldest first."""
        if not self.orig_client_order_id:
            return (self.client_order_id,)
        earlier = (*self.earlier_client_order_ids, self.orig_client_order_id)
        return (*earlier, self.client_order_id)


_VIEW_COLUMNS = (
    "order_id, account, client_order_id, orig_client_order_id, instrument, side, order_type,"
    " time_in_force, price, order_qty, cum_qty, leaves_qty, notional, status"
)
_SCHEMA = f"""
CREATE TABLE done ({_VIEW_COLUMNS}, PRIMARY KEY (order_id)) WITHOUT ROWID;
CREATE INDEX done_instrument ON done (instrument);
CREATE TABLE done_client_id (
    account TEXT, client_order_id TEXT, order_id INTEGER,
    PRIMARY KEY (account, client_order_id)
) WITHOUT ROWID;
"""
WRITE_EVERY = 512  # done orders per transaction: a statement per order costs a third more


class DoneOrders:
    """The final views of the day's done orders, off the Python heap (see the module's
    docstring). Rows wait in two short lists and are written together; a read writes them
    first (reads are rare: a status request, a cancel of a done order)."""

    def __init__(self) -> None:
        # "": a private temporary database, gone on close. Built in one thread and used in
        # the event loop's, which may be another; only ever one at a time.
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._views: list[tuple] = []
        self._client_ids: list[tuple[str, str, int]] = []
        self._unwritten: set[tuple[str, str]] = set()  # (account, ClOrdID) of the rows above

    def __len__(self) -> int:
        self._write()
        return self._db.execute("SELECT count(*) FROM done").fetchone()[0]

    def add(self, view: OrderView) -> None:
        self._views.append(
            (
                view.order_id,
                view.account,
                view.client_order_id,
                view.orig_client_order_id,
                view.instrument,
                view.side,
                view.order_type,
                view.time_in_force,
                view.price,
                view.order_qty,
                view.cum_qty,
                view.leaves_qty,
                view.notional,
                view.status,
            )
        )
        self._client_ids += [(view.account, cid, view.order_id) for cid in view.client_order_ids]
        self._unwritten.update((view.account, cid) for cid in view.client_order_ids)
        if len(self._views) >= WRITE_EVERY:
            self._write()

    def _write(self) -> None:
        if not self._views:
            return
        with self._db:
            self._db.executemany(
                f"INSERT OR REPLACE INTO done VALUES ({', '.join('?' * 14)})", self._views
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO done_client_id VALUES (?, ?, ?)", self._client_ids
            )
        self._views.clear()
        self._client_ids.clear()
        self._unwritten.clear()

    def get(self, order_id: int) -> OrderView | None:
        self._write()
        row = self._db.execute(
            f"SELECT {_VIEW_COLUMNS} FROM done WHERE order_id = ?", (order_id,)
        ).fetchone()
        return None if row is None else _view_of(row)

    def find(self, account: str, client_order_id: str) -> OrderView | None:
        self._write()
        row = self._db.execute(
            "SELECT order_id FROM done_client_id WHERE account = ? AND client_order_id = ?",
            (account, client_order_id),
        ).fetchone()
        return None if row is None else self.get(row[0])

    def has(self, account: str, client_order_id: str) -> bool:
        """Whether a done order of `account` carried the ClOrdID: asked for every new order,
        so it reads without writing the rows that wait."""
        if (account, client_order_id) in self._unwritten:
            return True
        row = self._db.execute(
            "SELECT 1 FROM done_client_id WHERE account = ? AND client_order_id = ?",
            (account, client_order_id),
        ).fetchone()
        return row is not None

    def day_closed(self, instrument: str) -> None:
        self._write()
        self._db.execute(
            "DELETE FROM done_client_id WHERE order_id IN"
            " (SELECT order_id FROM done WHERE instrument = ?)",
            (instrument,),
        )
        self._db.execute("DELETE FROM done WHERE instrument = ?", (instrument,))
        self._db.commit()


def _view_of(row: tuple) -> OrderView:
    order_id, account, client_order_id, orig, instrument, side, order_type, tif, price = row[:9]
    view = OrderView(
        order_id, account, client_order_id, instrument, side, order_type, tif, price, 0
    )
    view.orig_client_order_id = orig
    view.order_qty, view.cum_qty, view.leaves_qty, view.notional, view.status = row[9:]
    return view


class OrderViews:
    """Every order of the trading day, by exchange id and by (account, any ClOrdID it had):
    the live ones in memory, the done ones in `DoneOrders`.

    They also keep FIX's rule that a ClOrdID is used once per account and trading day
    (`used`). The engine only refuses a ClOrdID that names one of the account's live
    orders, so that its memory follows the book; the day's done orders are here anyway.
    A new order or replace sent to the engine and not yet answered counts as used too:
    a quick resend of an IOC that traded at once must not become a second order."""

    def __init__(self):
        self._by_id: dict[int, OrderView] = {}
        self._by_client_id: dict[tuple[str, str], OrderView] = {}
        self._unanswered: dict[tuple[str, str], str] = {}  # (account, ClOrdID) -> instrument
        self.done = DoneOrders()

    def __len__(self) -> int:
        """Live orders: what is held in memory."""
        return len(self._by_id)

    def live(self, order_id: int) -> OrderView | None:
        """The order if it is still on the book: the one an event can be about."""
        return self._by_id.get(order_id)

    def get(self, order_id: int) -> OrderView | None:
        """The order, live or done today."""
        view = self._by_id.get(order_id)
        return view if view is not None else self.done.get(order_id)

    def find(self, account: str, client_order_id: str) -> OrderView | None:
        view = self._by_client_id.get((account, client_order_id))
        return view if view is not None else self.done.find(account, client_order_id)

    def status_of(self, account: str, client_order_id: str, order_id: int) -> str:
        """The order's OrdStatus, or UNKNOWN when it is not this account's live or past order."""
        view = self.get(order_id) if order_id else self.find(account, client_order_id)
        return view.status if view is not None and view.account == account else UNKNOWN

    def used(self, account: str, client_order_id: str) -> bool:
        key = (account, client_order_id)
        if key in self._by_client_id or key in self._unanswered:
            return True
        return self.done.has(account, client_order_id)

    def sent(self, account: str, client_order_id: str, instrument: str) -> None:
        """A new order or replace with this ClOrdID is on its way to the engine."""
        self._unanswered[(account, client_order_id)] = instrument

    def answered(self, account: str, client_order_id: str) -> None:
        """The engine accepted or refused the request (from any gateway, maybe not ours)."""
        self._unanswered.pop((account, client_order_id), None)

    def accepted(self, view: OrderView) -> None:
        self._by_id[view.order_id] = view
        self._by_client_id[(view.account, view.client_order_id)] = view
        self._unanswered.pop((view.account, view.client_order_id), None)

    def filled(self, view: OrderView, quantity: int, price: int) -> None:
        view.cum_qty += quantity
        view.notional += quantity * price
        view.leaves_qty = view.order_qty - view.cum_qty
        if view.leaves_qty == 0:
            view.status = FILLED
            self._done(view)
        else:
            view.status = PARTIALLY_FILLED

    def closed(self, view: OrderView, status: str, request_id: str) -> None:
        """The order left the book unfilled (cancelled or expired). A cancel request's
        ClOrdID joins the chain, as FIX has it."""
        view.leaves_qty = 0
        view.status = status
        if request_id:
            self._rename(view, request_id)
        self._done(view)

    def amended(self, view: OrderView, client_order_id: str, price: int, order_qty: int) -> None:
        self._rename(view, client_order_id)
        view.price = price
        view.order_qty = order_qty
        view.leaves_qty = order_qty - view.cum_qty
        view.status = PARTIALLY_FILLED if view.cum_qty else NEW

    def _done(self, view: OrderView) -> None:
        """Off the heap: no event will name the order again today."""
        del self._by_id[view.order_id]
        for client_order_id in view.client_order_ids:
            key = (view.account, client_order_id)
            if self._by_client_id.get(key) is view:  # a cancel's ClOrdID may be reused
                del self._by_client_id[key]
        self.done.add(view)

    def _rename(self, view: OrderView, client_order_id: str) -> None:
        if view.orig_client_order_id:
            view.earlier_client_order_ids += (view.orig_client_order_id,)
        view.orig_client_order_id = view.client_order_id
        view.client_order_id = client_order_id
        self._by_client_id[(view.account, client_order_id)] = view
        self._unanswered.pop((view.account, client_order_id), None)

    def day_closed(self, instrument: str) -> None:
        """Forgets the instrument's orders: at the close every day order has expired."""
        self.done.day_closed(instrument)
        for key, unanswered in list(self._unanswered.items()):
            if unanswered == instrument:
                del self._unanswered[key]
        for key, view in list(self._by_client_id.items()):
            if view.instrument == instrument:
                del self._by_client_id[key]
        for order_id, view in list(self._by_id.items()):
            if view.instrument == instrument:
                del self._by_id[order_id]

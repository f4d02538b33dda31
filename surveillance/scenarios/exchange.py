"""The scenario generator's stand-in for the engine's sequencer: commands in, events out.

It keeps price-time priority books, trades at the resting order's price, refuses new
orders outside the sessions, beyond the band or at the maximum order size, cancels the
incoming remainder on self-trade (the market's default), expires day orders and closes
the day at the VWAP, emitting the same events in the same order as engine/events.py
describes, so a generated day reads like a real one.
Pre-trade holds are left out: the generator gives every account ample cash and tonnes.
It has `apply(command) -> list[Event]`, the sequencer's shape, so the engine's own
sequencer can take its place without touching the generator.
"""

from collections import deque

from sortedcontainers import SortedDict

from engine.commands import (
    AmendOrder,
    CancelOrder,
    EndOfDay,
    MassCancel,
    MoveCash,
    MoveHolding,
    NewOrder,
    OpenAccount,
)
from engine.events import (
    AccountOpened,
    CancelRejected,
    CashMoved,
    DayClosed,
    Event,
    HoldingMoved,
    MassCancelDone,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderRejected,
    Trade,
)
from engine.orders import CancelCause, OrderType, Side, TimeInForce
from engine.reasons import TEXT, Reason
from engine.reference import ReferenceData, price_band


class Resting:
    __slots__ = (
        "account",
        "client_order_id",
        "filled",
        "instrument",
        "leaves",
        "order_id",
        "price",
        "quantity",
        "side",
    )

    def __init__(self, order_id: int, command: NewOrder, price: int):
        self.order_id = order_id
        self.account = command.account
        self.client_order_id = command.client_order_id
        self.instrument = command.instrument
        self.side = command.side
        self.price = price
        self.quantity = command.quantity
        self.leaves = command.quantity
        self.filled = 0


class Market:
    """One instrument's book and the day's running totals."""

    def __init__(self, reference_price: int, band_bps: int, tick: int):
        self.bids: SortedDict = SortedDict()  # price -> deque of Resting, best = last
        self.asks: SortedDict = SortedDict()  # best = first
        self.reference = reference_price
        self.band = price_band(reference_price, band_bps, tick)
        self.open = self.high = self.low = 0
        self.volume = self.turnover = 0

    def best_bid(self) -> int:
        return self.bids.peekitem(-1)[0] if self.bids else 0

    def best_ask(self) -> int:
        return self.asks.peekitem(0)[0] if self.asks else 0

    def depth(self, side: int, up_to: int) -> int:
        """Open quantity on `side` at prices an order limited at `up_to` would reach."""
        if side == Side.SELL:
            return sum(sum(o.leaves for o in q) for p, q in self.asks.items() if p <= up_to)
        return sum(sum(o.leaves for o in q) for p, q in self.bids.items() if p >= up_to)


class ScenarioExchange:
    def __init__(self, reference: ReferenceData):
        self.reference = reference
        self.markets = {
            symbol: Market(i.reference_price, i.band_bps, i.tick)
            for symbol, i in reference.instruments.items()
        }
        self.orders: dict[int, Resting] = {}
        self.sessions: tuple[tuple[int, int], ...] = ()
        self.sessions_of = None  # the trading date `sessions` are for
        self.seq = 0
        self.next_order_id = 1
        self.next_trade_id = 1

    def apply(self, command) -> list[Event]:
        events: list[Event] = []
        kind = type(command)
        if kind is NewOrder:
            self._new_order(command, events)
        elif kind is CancelOrder:
            self._cancel(command, events)
        elif kind is AmendOrder:
            self._amend(command, events)
        elif kind is MassCancel:
            self._mass_cancel(command, events)
        elif kind is OpenAccount:
            events.append(
                self._event(
                    AccountOpened,
                    command.ts,
                    command.account,
                    command.member,
                    command.kind,
                    command.control_group,
                    command.allocation,
                    command.actor,
                )
            )
        elif kind is MoveHolding:
            events.append(
                self._event(
                    HoldingMoved,
                    command.ts,
                    command.account,
                    command.instrument,
                    command.quantity,
                    command.kind,
                    command.reference,
                    command.actor,
                )
            )
        elif kind is MoveCash:
            events.append(
                self._event(
                    CashMoved,
                    command.ts,
                    command.account,
                    command.amount,
                    command.kind,
                    command.reference,
                    command.actor,
                )
            )
        elif kind is EndOfDay:
            self._end_of_day(command, events)
        else:
            raise TypeError(f"the scenario exchange does not take {kind.__name__}")
        return events

    def _event(self, kind, ts: int, *fields) -> Event:
        self.seq += 1
        return kind(self.seq, ts, *fields)

    def _new_order(self, command: NewOrder, events: list[Event]) -> None:
        market = self.markets[command.instrument]
        low, high = market.band
        market_order = command.order_type == OrderType.MARKET
        price = (high if command.side == Side.BUY else low) if market_order else command.price
        reason = Reason.OK
        if not self._open(command.ts):
            reason = Reason.EXCHANGE_CLOSED
        elif not low <= price <= high:
            reason = Reason.OUT_OF_BAND
        elif command.quantity >= self.reference.instruments[command.instrument].max_order_quantity:
            reason = Reason.QUANTITY_TOO_LARGE
        if reason:
            events.append(
                self._event(
                    OrderRejected,
                    command.ts,
                    command.account,
                    command.client_order_id,
                    command.instrument,
                    command.side,
                    price,
                    command.quantity,
                    int(reason),
                    TEXT[reason],
                )
            )
            return
        order = Resting(self.next_order_id, command, price)
        self.next_order_id += 1
        time_in_force = TimeInForce.IOC if market_order else command.time_in_force
        events.append(
            self._event(
                OrderAccepted,
                command.ts,
                order.order_id,
                order.account,
                order.client_order_id,
                order.instrument,
                order.side,
                command.order_type,
                time_in_force,
                price,
                order.quantity,
            )
        )
        self._match(order, command.ts, events)
        if not order.leaves:
            return
        if time_in_force == TimeInForce.DAY:
            self._rest(order)
        else:
            self._cancelled(order, command.ts, CancelCause.IOC_REMAINDER, events)

    def _open(self, ts: int) -> bool:
        calendar = self.reference.calendar
        day = calendar.trading_date(ts)
        if day != self.sessions_of:
            self.sessions, self.sessions_of = calendar.session_windows(day), day
        return any(start <= ts < end for start, end in self.sessions)

    def _match(self, order: Resting, ts: int, events: list[Event]) -> None:
        market = self.markets[order.instrument]
        buying = order.side == Side.BUY
        opposite = market.asks if buying else market.bids
        while order.leaves and opposite:
            price, queue = opposite.peekitem(0 if buying else -1)
            if (price > order.price) if buying else (price < order.price):
                return
            resting = queue[0]
            if resting.account == order.account:
                self._cancelled(order, ts, CancelCause.SELF_TRADE, events)
                order.leaves = 0
                return
            quantity = min(order.leaves, resting.leaves)
            order.leaves -= quantity
            order.filled += quantity
            resting.leaves -= quantity
            resting.filled += quantity
            buy, sell = (order, resting) if buying else (resting, order)
            events.append(
                self._event(
                    Trade,
                    ts,
                    self.next_trade_id,
                    order.instrument,
                    price,
                    quantity,
                    order.side,
                    buy.order_id,
                    buy.account,
                    buy.client_order_id,
                    buy.leaves,
                    sell.order_id,
                    sell.account,
                    sell.client_order_id,
                    sell.leaves,
                )
            )
            self.next_trade_id += 1
            market.open = market.open or price
            market.high = max(market.high, price)
            market.low = min(market.low, price) if market.low else price
            market.volume += quantity
            market.turnover += quantity * price
            if not resting.leaves:
                queue.popleft()
                del self.orders[resting.order_id]
                if not queue:
                    del opposite[price]

    def _rest(self, order: Resting) -> None:
        market = self.markets[order.instrument]
        levels = market.bids if order.side == Side.BUY else market.asks
        levels.setdefault(order.price, deque()).append(order)
        self.orders[order.order_id] = order

    def _unrest(self, order: Resting) -> None:
        market = self.markets[order.instrument]
        levels = market.bids if order.side == Side.BUY else market.asks
        queue = levels[order.price]
        queue.remove(order)
        if not queue:
            del levels[order.price]
        del self.orders[order.order_id]

    def _cancelled(self, order: Resting, ts: int, cause: int, events: list[Event], request=""):
        events.append(
            self._event(
                OrderCancelled,
                ts,
                order.order_id,
                order.account,
                order.client_order_id,
                order.instrument,
                order.side,
                order.price,
                order.leaves,
                order.filled,
                int(cause),
                request,
            )
        )

    def _refuse(self, command: CancelOrder | AmendOrder, reason: Reason) -> Event:
        return self._event(
            CancelRejected,
            command.ts,
            command.account,
            command.client_order_id,
            command.orig_client_order_id,
            command.instrument,
            type(command) is AmendOrder,
            int(reason),
            TEXT[reason],
            command.order_id,
        )

    def _cancel(self, command: CancelOrder, events: list[Event]) -> None:
        order = self.orders.get(command.order_id)
        if order is None or order.account != command.account:
            events.append(self._refuse(command, Reason.UNKNOWN_ORDER))
            return
        self._unrest(order)
        self._cancelled(order, command.ts, CancelCause.REQUESTED, events, command.client_order_id)

    def _amend(self, command: AmendOrder, events: list[Event]) -> None:
        order = self.orders.get(command.order_id)
        if order is None or order.account != command.account or command.quantity <= order.filled:
            reason = Reason.UNKNOWN_ORDER if order is None else Reason.AMEND_BELOW_FILLED
            events.append(self._refuse(command, reason))
            return
        low, high = self.markets[order.instrument].band
        price = min(max(command.price, low), high)
        keeps = price == order.price and command.quantity <= order.quantity
        original = order.client_order_id
        if not keeps:
            self._unrest(order)
        order.client_order_id = command.client_order_id
        order.price = price
        order.leaves = command.quantity - order.filled
        order.quantity = command.quantity
        events.append(
            self._event(
                OrderAmended,
                command.ts,
                order.order_id,
                order.account,
                order.client_order_id,
                original,
                order.instrument,
                order.side,
                price,
                order.quantity,
                order.leaves,
                keeps,
            )
        )
        if keeps:
            return
        self._match(order, command.ts, events)
        if order.leaves and order.order_id not in self.orders:
            self._rest(order)

    def _mass_cancel(self, command: MassCancel, events: list[Event]) -> None:
        doomed = [
            o
            for o in self.orders.values()
            if o.account == command.account
            and (not command.instrument or o.instrument == command.instrument)
        ]
        for order in doomed:
            self._unrest(order)
            self._cancelled(
                order, command.ts, CancelCause.MASS_CANCEL, events, command.client_order_id
            )
        events.append(
            self._event(
                MassCancelDone,
                command.ts,
                command.client_order_id,
                command.scope,
                command.account,
                "",
                command.instrument,
                len(doomed),
            )
        )

    def _end_of_day(self, command: EndOfDay, events: list[Event]) -> None:
        expired = dict.fromkeys(self.markets, 0)
        for order in list(self.orders.values()):
            self._unrest(order)
            self._cancelled(order, command.ts, CancelCause.EXPIRED, events)
            expired[order.instrument] += 1
        for symbol, market in self.markets.items():
            instrument = self.reference.instruments[symbol]
            traded = market.volume > 0
            close = (
                round(market.turnover / market.volume / instrument.tick) * instrument.tick
                if traded
                else market.reference
            )
            low, high = price_band(close, instrument.band_bps, instrument.tick)
            events.append(
                self._event(
                    DayClosed,
                    command.ts,
                    command.trading_date,
                    symbol,
                    market.open,
                    market.high,
                    market.low,
                    close,
                    not traded,
                    market.volume,
                    market.turnover,
                    expired[symbol],
                    close,
                    low,
                    high,
                )
            )
            market.reference, market.band = close, (low, high)
            market.open = market.high = market.low = market.volume = market.turnover = 0

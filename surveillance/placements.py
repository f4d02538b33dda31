"""Placements: a party's resting orders on one side placed together, followed until they
are withdrawn, for the detectors of orders never meant to trade (spoofing, layering).

Orders of one party (see surveillance/acting.py) on one side join the latest placement
when they come within `together_ns` of its first order (and, with `adjacent_ticks`,
at a price within that many ticks of its prices): a spoof split into several orders at
adjacent levels is one placement. A placement is withdrawn by cancels and by amendments
alike: a member's cancel, or an amendment leaving an order at most `withdrawn_percent`
of its open quantity (a requote that merely resizes it is not a withdrawal), and the
placement is `withdrawn` once what is left open is at most `withdrawn_percent` of its
largest size.

The party's presence on the other side is kept too (the most it quoted there while the
placement stood, its open quantity there, and what it withdrew there lately): a party that quotes
both sides is a market maker unless its other side is negligible. Everything here costs
O(1) per event; placements older than `horizon_ns` are forgotten, so memory follows the
last minutes of order flow.
"""

from collections import deque

from engine.events import OrderAccepted, OrderAmended, OrderCancelled, Trade
from engine.orders import Side, TimeInForce
from surveillance.market_view import MarketView, is_member_cancel

_DAY = TimeInForce.DAY
_NONE: dict[int, int] = {}  # no withdrawals yet (never written to)


class Placement:
    __slots__ = (
        "accounts",
        "alerted",
        "amended",
        "filled",
        "first_ts",
        "high",
        "instrument",
        "last_ts",
        "low",
        "median",
        "open",
        "order_ids",
        "party",
        "peak",
        "prices",
        "quoted_opposite",
        "side",
        "withdrawals",
        "withdrawn_prices",
        "withdrawn_ts",
    )

    def __init__(self, party: str, event: OrderAccepted, median: float):
        self.party = party
        self.instrument = event.instrument
        self.side = event.side
        self.first_ts = self.last_ts = event.ts
        self.low = self.high = event.price
        self.median = median  # the top-of-book median when it was placed
        self.accounts: dict[str, int] = {}  # account -> tonnes it placed
        self.order_ids: list[int] = []
        self.prices: set[int] = set()
        self.open = 0
        self.peak = 0  # the largest open quantity it reached
        self.filled = 0
        # the latest withdrawals (ts, price), and how many of them at each price (made on
        # the first withdrawal: most placements are never withdrawn as a whole)
        self.withdrawals: deque[tuple[int, int]] | None = None
        self.withdrawn_prices: dict[int, int] = _NONE
        self.withdrawn_ts = 0  # the latest withdrawal
        # the most the party had resting on the other side while this stood (two-sided)
        self.quoted_opposite = 0
        self.alerted = False
        self.amended = False  # withdrawn (partly) by amendment rather than cancel

    def add(self, event: OrderAccepted) -> None:
        self.last_ts = event.ts
        self.low = min(self.low, event.price)
        self.high = max(self.high, event.price)
        self.prices.add(event.price)
        self.accounts[event.account] = self.accounts.get(event.account, 0) + event.quantity
        self.order_ids.append(event.order_id)
        self.open += event.quantity
        self.peak = max(self.peak, self.open)


class Placements:
    def __init__(
        self,
        view: MarketView,
        acts_by: str,
        together_ns: int,
        withdrawn_percent: float,
        horizon_ns: int,
        adjacent_ticks: int | None = None,
        withdrawals_within_ns: int = 0,
        min_orders: int = 1,
    ):
        self.view = view
        self.acts_by = acts_by
        self.together = together_ns
        self.withdrawn_share = withdrawn_percent / 100
        self.horizon = horizon_ns
        self.adjacent_ticks = adjacent_ticks
        self.withdrawals_within = withdrawals_within_ns
        # a lone order is not followed until a second joins it when `min_orders` is 2 or
        # more (layering needs several prices; a spoof of one small order is no spoof):
        # most resting orders stand alone
        self.min_orders = min_orders
        # (party, instrument, side) -> its latest placement, or a lone (order, median)
        self.latest: dict[tuple[str, str, int], Placement | tuple[OrderAccepted, float]] = {}
        self.of_order: dict[int, Placement] = {}
        self.by_age: deque[Placement] = deque()
        self.accounts: dict[str, set[str]] = {}  # party -> the accounts seen acting in it
        # (party, instrument, side) -> recent (ts, tonnes) the party withdrew there
        self.pulled: dict[tuple[str, str, int], deque] = {}

    def party(self, account: str, session: str) -> str:
        return self.view.party(account, self.acts_by, session)

    def placed(
        self, event: OrderAccepted, median: float, alone_matters: bool = True
    ) -> Placement | None:
        """The placement a resting (day) order joins or starts; None for an IOC or FOK
        order, which never rests (nor counts as quoting), and for a lone order while it
        stays alone, unless it `alone_matters` (a spoof in one order) or `min_orders` is 1."""
        if event.time_in_force != _DAY:
            return None
        party = self.party(event.account, event.session)
        by_age = self.by_age
        if by_age and by_age[0].last_ts < event.ts - self.horizon:
            self._forget_before(event.ts - self.horizon)
        side_key = (party, event.instrument, event.side)
        latest = self.latest
        placement = latest.get(side_key)
        if type(placement) is tuple:
            lone, lone_median = placement
            placement = None
            if event.ts - lone.ts <= self.together and self._near(lone.price, lone.price, event):
                placement = self._start(party, side_key, lone, lone_median)
        elif placement is not None and not self._joins(placement, event):
            placement = None
        accounts = self.accounts.get(party)
        if accounts is None:
            self.accounts[party] = {event.account}
        elif event.account not in accounts:
            accounts.add(event.account)
        if placement is None:
            if self.min_orders > 1 and not alone_matters:
                latest[side_key] = (event, median)
                return None
            placement = self._start(party, side_key, event, median)
        else:
            placement.add(event)
            self.of_order[event.order_id] = placement
        other = latest.get((party, event.instrument, Side.SELL + Side.BUY - event.side))
        if type(other) is Placement and other.open > 0:
            quoted = self._resting(party, event.instrument, event.side)
            if quoted > other.quoted_opposite:
                other.quoted_opposite = quoted
        return placement

    def _start(
        self, party: str, side_key: tuple[str, str, int], first: OrderAccepted, median: float
    ) -> Placement:
        placement = self.latest[side_key] = Placement(party, first, median)
        self.by_age.append(placement)
        other = Side.SELL + Side.BUY - first.side
        placement.quoted_opposite = self._resting(party, first.instrument, other)
        placement.add(first)
        self.of_order[first.order_id] = placement
        return placement

    def _joins(self, placement: Placement, event: OrderAccepted) -> bool:
        if event.ts - placement.first_ts > self.together or placement.withdrawals:
            return False
        return self._near(placement.low, placement.high, event)

    def _near(self, low: int, high: int, event: OrderAccepted) -> bool:
        if self.adjacent_ticks is None:
            return True
        reach = self.adjacent_ticks * self.view.reference.instruments[event.instrument].tick
        return low - reach <= event.price <= high + reach

    def withdrawn(self, event: OrderCancelled | OrderAmended) -> tuple[Placement, int] | None:
        """The placement a member's cut belongs to and the tonnes cut, or None. Called
        after the market view applied the event, before it retires the order."""
        order = self.view.orders.get(event.order_id)
        if order is None or order.time_in_force != _DAY:
            return None
        if type(event) is OrderCancelled:
            cut = event.cancelled_quantity
            session = event.session or order.session
            member = is_member_cancel(event)
        else:
            cut = self._amended_cut(event)
            session = event.session or order.session
            # a cut to a sliver withdraws the order; a requote that resizes it does not
            member = event.leaves <= self.withdrawn_share * order.previous_leaves
        if cut <= 0 or not member:
            return None
        party = self.party(event.account, session)
        pulled_key = (party, event.instrument, event.side)
        pulled = self.pulled.get(pulled_key)
        if pulled is None:
            pulled = self.pulled[pulled_key] = deque()
        pulled.append((event.ts, cut))
        while pulled[0][0] < event.ts - self.withdrawals_within:
            pulled.popleft()
        placement = self.of_order.get(event.order_id)
        if placement is None:
            return None
        placement.open -= cut
        placement.withdrawn_ts = event.ts
        if type(event) is OrderAmended:
            placement.amended = True
        withdrawals = placement.withdrawals
        if withdrawals is None:
            withdrawals = placement.withdrawals = deque()
            placement.withdrawn_prices = {}
        withdrawals.append((event.ts, event.price))
        prices = placement.withdrawn_prices
        prices[event.price] = prices.get(event.price, 0) + 1
        while withdrawals[0][0] < event.ts - self.withdrawals_within:
            _, price = withdrawals.popleft()
            prices[price] -= 1
            if not prices[price]:
                del prices[price]
        return placement, cut

    def _amended_cut(self, event: OrderAmended) -> int:
        """The open tonnes an amendment took off (negative when it added some); the view
        already holds the amended quantity, so the cut is read from the placement's own
        record of the order."""
        placement = self.of_order.get(event.order_id)
        order = self.view.orders[event.order_id]
        before = order.previous_leaves
        if placement is not None and event.leaves > before:
            placement.open += event.leaves - before
            placement.peak = max(placement.peak, placement.open)
            placement.accounts[event.account] = placement.accounts.get(event.account, 0) + (
                event.leaves - before
            )
        return before - event.leaves

    def filled(self, trade: Trade) -> None:
        for order_id in (trade.buy_order_id, trade.sell_order_id):
            placement = self.of_order.get(order_id)
            if placement is not None:
                placement.filled += trade.quantity
                placement.open -= trade.quantity

    def is_withdrawn(self, placement: Placement) -> bool:
        return placement.open <= self.withdrawn_share * placement.peak

    def _resting(self, party: str, instrument: str, side: int) -> int:
        """The party's resting tonnes on `side` (the market view keeps them per account)."""
        resting, total = self.view.resting, 0
        for account in self.accounts.get(party, ()):
            sides = resting.get((account, instrument))
            if sides is not None:
                total += sides[side]
        return total

    def opposite_presence(self, placement: Placement, ts: int) -> int:
        """The party's tonnes on the other side: the most it quoted there while the
        placement stood, or what is open there now plus what it withdrew there within
        the withdrawal window (a market maker quoting, or pulling, both sides at once)."""
        other = Side.SELL if placement.side == Side.BUY else Side.BUY
        presence = self._resting(placement.party, placement.instrument, other)
        pulled = self.pulled.get((placement.party, placement.instrument, other), ())
        recent = sum(q for at, q in pulled if at >= ts - self.withdrawals_within)
        return max(presence + recent, placement.quoted_opposite)

    def forget_instrument(self, instrument: str) -> None:
        for table in (self.latest, self.pulled):
            for key in [key for key in table if key[1] == instrument]:
                del table[key]
        for order_id in [o for o, p in self.of_order.items() if p.instrument == instrument]:
            del self.of_order[order_id]
        self.by_age = deque(p for p in self.by_age if p.instrument != instrument)

    def _forget_before(self, ts: int) -> None:
        by_age, of_order, latest = self.by_age, self.of_order, self.latest
        while by_age and by_age[0].last_ts < ts:
            placement = by_age.popleft()
            for order_id in placement.order_ids:
                if of_order.get(order_id) is placement:
                    del of_order[order_id]
            key = (placement.party, placement.instrument, placement.side)
            if latest.get(key) is placement:
                del latest[key]

"""Legitimate participants that look like a pattern: the flow a detector must leave alone.

- `LadderMaker`: a two-sided market maker quoting a ladder of levels each side; pulls
  the whole ladder and requotes after a fill, and pulls it before each break (layering,
  spoofing);
- `DeadlineSlicer`: a compliance buyer slicing a large need near the surrender deadline
  into many limit orders, re-pricing the unfilled ones (cancels, ramping);
- `CautiousInstitution`: a large resting order cancelled for an ordinary reason, with
  no trade of its own nearby (spoofing, large cancels);
- `FastAlgorithm`: many small orders and amendments, a moderate order-to-trade ratio,
  never 300 a second (message flooding, frequent cancels);
- `SoleCloser`: the only market maker of a thin instrument, doing most of the closing
  window's volume at fair prices (marking the close).
"""

from engine.orders import AccountKind, Side, TimeInForce
from surveillance.scenarios.participants import log_uniform
from surveillance.scenarios.simulation import MINUTE, NS, Simulation

MS = 1_000_000


class LadderMaker:
    def __init__(self, sim: Simulation, account: str, instrument: str, levels: int, gap_s: float):
        self.sim = sim
        self.account = account
        self.instrument = instrument
        self.levels = levels
        self.gap_s = gap_s
        self.orders: dict[int, list[int]] = {Side.BUY: [], Side.SELL: []}
        self.waiting = False
        self.half_spread = sim.rng.randint(2, 3) * sim.tick(instrument)
        sim.open_account(account, AccountKind.INVESTOR, holdings={instrument: 800_000})
        sim.session_of[account] = f"{account}-MM"
        sim.on_fill[account] = self.filled
        sim.market_makers.add(account)
        sim.at(sim.sessions[0][0] + sim.rng.randrange(5 * NS), self.quote)
        for _, end in sim.sessions:
            sim.at(end - sim.rng.randrange(2 * NS, 20 * NS), self.pull)

    def quote(self, ts: int) -> None:
        self.requote(ts)
        self.sim.again(ts + round(self.sim.rng.expovariate(1 / self.gap_s) * NS), self.quote)

    def requote(self, ts: int) -> None:
        """Moves each level to its new price by amendment (one message, no cancel)."""
        sim = self.sim
        self.waiting = False
        fair = sim.fair(self.instrument, ts)
        tick = sim.tick(self.instrument)
        market = sim.market(self.instrument)
        low, high = market.band
        for side, sign in ((Side.BUY, -1), (Side.SELL, 1)):
            orders = [o for o in self.orders[side] if sim.live(o)]
            # two ticks off the other side's best at least: a quote adds liquidity, it does not
            # take it, nor chase the other makers' quotes to a one-tick spread
            best_bid = next(
                (p for p in sorted(market.view.book(self.instrument).bids, reverse=True)
                 if not self._own(p, Side.BUY)),
                0,
            )  # fmt: skip
            best_ask = next(
                (p for p in sorted(market.view.book(self.instrument).asks)
                 if not self._own(p, Side.SELL)),
                0,
            )  # fmt: skip
            touch = fair + sign * self.half_spread
            if side == Side.BUY and best_ask:
                touch = min(touch, best_ask - 2 * tick)
            if side == Side.SELL and best_bid:
                touch = max(touch, best_bid + 2 * tick)
            prices = [
                sim.to_tick(self.instrument, touch + sign * level * tick)
                for level in range(self.levels)
            ]
            kept = []
            for level, price in enumerate(prices):
                if not low < price < high:
                    continue
                size = sim.rng.randint(150, 400)
                if level < len(orders):
                    resting = sim.view.orders[orders[level]]
                    if resting.price != price:
                        sim.amend(
                            ts,
                            self.account,
                            self.instrument,
                            resting.order_id,
                            price,
                            resting.filled + size,
                        )
                    kept.append(resting.order_id)
                else:
                    order_id = sim.order(ts, self.account, self.instrument, side, price, size)
                    if order_id:
                        kept.append(order_id)
            self.orders[side] = kept

    def _own(self, price: int, side: int) -> bool:
        """Whether the level at `price` is only this maker's own quote."""
        view = self.sim.view
        own = sum(
            view.orders[o].quantity - view.orders[o].filled
            for o in self.orders[side]
            if o in view.orders and view.orders[o].price == price
        )
        levels = (
            view.book(self.instrument).bids if side == Side.BUY else view.book(self.instrument).asks
        )
        return own >= levels.get(price, 0)

    def pull(self, ts: int) -> None:
        """Off the book before the break (and before the close), both sides at once."""
        for side in (Side.SELL, Side.BUY):
            for order_id in self.orders[side]:
                self.sim.cancel(ts, self.account, self.instrument, order_id)
            self.orders[side] = []

    def filled(self, ts: int) -> None:
        """After a fill the ladder on the side that was hit is stale: pulled at once,
        requoted a moment on (the other side stands)."""
        if self.waiting:
            return
        self.waiting = True
        if self.sim.rng.random() < 0.6:  # otherwise the requote moves it by amendment
            self.sim.at(ts + self.sim.rng.randrange(50 * MS, 400 * MS), self.pull_stale)
        self.sim.at(ts + self.sim.rng.randrange(NS, 3 * NS), self.requote)

    def pull_stale(self, ts: int) -> None:
        for side in (Side.BUY, Side.SELL):
            orders = self.orders[side]
            if any(self.sim.view.orders[o].filled for o in orders if self.sim.live(o)) or any(
                not self.sim.live(o) for o in orders
            ):
                for order_id in orders:
                    self.sim.cancel(ts, self.account, self.instrument, order_id)
                self.orders[side] = []


class DeadlineSlicer:
    def __init__(self, sim: Simulation, account: str, instrument: str, need: int):
        self.sim = sim
        self.account = account
        self.instrument = instrument
        self.left = need
        self.resting = 0
        sim.open_account(account, AccountKind.COMPLIANCE, "", need * 4, {instrument: need})
        sim.at(sim.sessions[0][0] + 5 * MINUTE, self.slice)

    def slice(self, ts: int) -> None:
        sim = self.sim
        if self.resting:
            sim.cancel(ts, self.account, self.instrument, self.resting)
        if self.left <= 0:
            return
        market = sim.market(self.instrument)
        bid = market.best_bid() or sim.to_tick(self.instrument, sim.fair(self.instrument, ts))
        quantity = min(self.left, log_uniform(sim, 100, 600))
        self.resting = sim.order(ts, self.account, self.instrument, Side.BUY, bid, quantity)
        self.left -= quantity // 2  # about half fills before the next slice
        sim.again(ts + sim.rng.randrange(40 * NS, 120 * NS), self.slice)


class CautiousInstitution:
    def __init__(self, sim: Simulation, account: str, instrument: str, orders: int):
        self.sim = sim
        self.account = account
        self.instrument = instrument
        sim.open_account(account, AccountKind.INVESTOR, holdings={instrument: 500_000})
        for _ in range(orders):
            sim.at(sim.random_time(), self.rest)

    def rest(self, ts: int) -> None:
        """A large bid a little below the touch, withdrawn after seconds to minutes when
        the view changes; it never trades on the other side."""
        sim = self.sim
        market = sim.market(self.instrument)
        bid = market.best_bid()
        if not bid:
            return
        quantity = sim.rng.randint(3_000, 9_000)
        order_id = sim.order(ts, self.account, self.instrument, Side.BUY, bid, quantity)
        wait = sim.rng.randrange(3 * NS, 180 * NS)
        sim.at(ts + wait, lambda t: sim.cancel(t, self.account, self.instrument, order_id))


class FastAlgorithm:
    def __init__(self, sim: Simulation, account: str, instrument: str, per_minute: float):
        self.sim = sim
        self.account = account
        self.instrument = instrument
        self.gap_s = 60 / per_minute
        self.order_id = 0
        sim.open_account(account, AccountKind.INVESTOR, holdings={instrument: 200_000})
        sim.session_of[account] = f"{account}-ALGO"
        sim.at(sim.sessions[0][0] + MINUTE, self.act)

    def act(self, ts: int) -> None:
        """Re-prices a small resting order near the touch, or takes the touch now and then
        (about one trade in fifteen messages)."""
        sim = self.sim
        market = sim.market(self.instrument)
        side = sim.rng.choice((Side.BUY, Side.SELL))
        touch = market.best_ask() if side == Side.BUY else market.best_bid()
        near = market.best_bid() if side == Side.BUY else market.best_ask()
        if touch and sim.rng.random() < 0.07:
            sim.order(ts, self.account, self.instrument, side, touch, 20, TimeInForce.IOC)
        elif near:
            tick = sim.tick(self.instrument)
            price = near - tick if side == Side.BUY else near + tick
            resting = sim.view.orders.get(self.order_id)
            if resting is not None:
                sim.amend(
                    ts,
                    self.account,
                    self.instrument,
                    self.order_id,
                    resting.price,
                    resting.filled + sim.rng.randint(10, 60),
                )
            else:
                self.order_id = sim.order(ts, self.account, self.instrument, side, price, 30)
        sim.again(ts + round(sim.rng.expovariate(1 / self.gap_s) * NS), self.act)


class SoleCloser:
    def __init__(self, sim: Simulation, account: str, instrument: str):
        self.sim = sim
        self.account = account
        self.instrument = instrument
        sim.open_account(account, AccountKind.INVESTOR, holdings={instrument: 300_000})
        sim.market_makers.add(account)
        close = sim.sessions[-1][1]
        for number in range(12):
            sim.at(close - 28 * MINUTE + number * 2 * MINUTE, self.quote)

    def quote(self, ts: int) -> None:
        """Both sides at the fair price +- a tick, for the late investors to trade with."""
        sim = self.sim
        fair = sim.fair(self.instrument, ts)
        tick = sim.tick(self.instrument)
        for side, sign in ((Side.BUY, -1), (Side.SELL, 1)):
            price = sim.to_tick(self.instrument, fair + sign * tick)
            order_id = sim.order(ts, self.account, self.instrument, side, price, 300)
            sim.at(
                ts + 100 * NS, lambda t, o=order_id: sim.cancel(t, self.account, self.instrument, o)
            )

"""The honest participants of a normal day: market makers, investors and compliance
buyers, whose flow the detectors must leave alone.

Market makers quote both sides around the fair price and move their quotes by amending
(cancel/replace keeps them far from the cancel counts, as real ones do), and requote
soon after being filled. Investors come at random, mostly taking the touch with small
orders, sometimes resting a limit they may later cancel. Compliance entities only buy,
more often as the surrender deadline nears, in orders up to a few thousand tonnes.
"""

import math

from engine.orders import AccountKind, Side, TimeInForce
from surveillance.scenarios.simulation import MINUTE, NS, Simulation

MISPRICED = 0.005  # how far through the fair price a resting order must be to be taken


def log_uniform(sim: Simulation, low: int, high: int) -> int:
    return round(math.exp(sim.rng.uniform(math.log(low), math.log(high))))


class MarketMaker:
    def __init__(self, sim: Simulation, account: str, instrument: str, requote_s: float):
        self.sim = sim
        self.account = account
        self.instrument = instrument
        self.half_spread = sim.rng.randint(2, 4) * sim.tick(instrument)
        self.requote_s = requote_s
        self.bid = self.ask = 0
        self.waiting = False
        sim.open_account(account, AccountKind.INVESTOR, holdings={instrument: 500_000})
        sim.on_fill[account] = self.filled
        sim.market_makers.add(account)
        sim.at(sim.sessions[0][0] + sim.rng.randrange(5 * NS), self.quote)
        for _, end in sim.sessions[:-1]:
            sim.at(end - sim.rng.randrange(1, 5 * NS), self.pull)

    def quote(self, ts: int) -> None:
        self.requote(ts)
        self.sim.again(ts + round(self.sim.rng.expovariate(1 / self.requote_s) * NS), self.quote)

    def requote(self, ts: int) -> None:
        sim = self.sim
        self.waiting = False
        fair = sim.fair(self.instrument, ts)
        market = sim.exchange.markets[self.instrument]
        self._take_mispriced(ts, market, fair)
        bid = sim.to_tick(self.instrument, fair - self.half_spread)
        ask = sim.to_tick(self.instrument, fair + self.half_spread)
        # quotes never cross the book: a market maker adds liquidity, it does not take it
        if market.asks and bid > market.best_ask() - self.half_spread:
            bid = market.best_ask() - self.half_spread
        if market.bids and ask < market.best_bid() + self.half_spread:
            ask = market.best_bid() + self.half_spread
        low, high = market.band
        if low <= bid < high:
            self.bid = self._place(ts, Side.BUY, self.bid, bid)
        if low < ask <= high:
            self.ask = self._place(ts, Side.SELL, self.ask, ask)

    def pull(self, ts: int) -> None:
        """No quotes left standing over the break, to be picked off at the reopening."""
        self.sim.mass_cancel(ts, self.account)

    def _take_mispriced(self, ts: int, market, fair: float) -> None:
        """An order resting far through the fair price is free money: take some of it."""
        best_bid, best_ask = market.best_bid(), market.best_ask()
        if best_bid and best_bid > fair * (1 + MISPRICED):
            quantity = min(market.depth(Side.BUY, best_bid), 1_000)
            self.sim.order(
                ts, self.account, self.instrument, Side.SELL, best_bid, quantity, TimeInForce.IOC
            )
        elif best_ask and best_ask < fair * (1 - MISPRICED):
            quantity = min(market.depth(Side.SELL, best_ask), 1_000)
            self.sim.order(
                ts, self.account, self.instrument, Side.BUY, best_ask, quantity, TimeInForce.IOC
            )

    def _place(self, ts: int, side: int, order_id: int, price: int) -> int:
        size = self.sim.rng.randint(200, 500)
        resting = self.sim.exchange.orders.get(order_id)
        if resting is not None and resting.price == price:
            return order_id  # still where it should be: no message
        if resting is not None:
            quantity = resting.filled + size
            self.sim.amend(ts, self.account, self.instrument, order_id, price, quantity)
            return order_id
        return self.sim.order(ts, self.account, self.instrument, side, price, size)

    def filled(self, ts: int) -> None:
        if not self.waiting:
            self.waiting = True
            self.sim.at(ts + self.sim.rng.randrange(NS // 2, 3 * NS), self.requote)


class Investors:
    """Random investors trading one instrument at `orders_per_hour`."""

    def __init__(self, sim: Simulation, accounts: list[str], instrument: str, per_hour: float):
        self.sim = sim
        self.accounts = accounts
        self.instrument = instrument
        self.mean_gap_s = 3600 / per_hour
        self.tradable = {a: sim.rng.randint(5_000, 50_000) for a in accounts}
        for account in accounts:
            sim.open_account(
                account, AccountKind.INVESTOR, holdings={instrument: self.tradable[account]}
            )
        sim.at(sim.sessions[0][0] + self._gap(), self.arrive)

    def _gap(self) -> int:
        return round(self.sim.rng.expovariate(1 / self.mean_gap_s) * NS)

    def arrive(self, ts: int) -> None:
        sim, rng = self.sim, self.sim.rng
        market = sim.exchange.markets[self.instrument]
        account = rng.choice(self.accounts)
        quantity = log_uniform(sim, 20, 400)
        side = rng.choice((Side.BUY, Side.SELL))
        if side == Side.SELL and self.tradable[account] < quantity:
            side = Side.BUY
        tick = sim.tick(self.instrument)
        touch = market.best_ask() if side == Side.BUY else market.best_bid()
        if not touch:
            touch = sim.to_tick(self.instrument, sim.fair(self.instrument, ts))
        if rng.random() < 0.6:
            sim.order(ts, account, self.instrument, side, touch, quantity, TimeInForce.IOC)
        else:
            behind = rng.randint(1, 4) * tick
            near = market.best_bid() if side == Side.BUY else market.best_ask()
            near = near or touch
            price = near - behind if side == Side.BUY else near + behind
            order_id = sim.order(ts, account, self.instrument, side, price, quantity)
            if order_id:  # withdrawn if still unfilled, before it goes stale
                later = ts + rng.randrange(MINUTE, 20 * MINUTE)
                sim.at(later, lambda t: sim.cancel(t, account, self.instrument, order_id))
        if side == Side.SELL:
            self.tradable[account] -= quantity
        sim.again(ts + self._gap(), self.arrive)


class ComplianceBuyers:
    """Covered companies buying their shortfall before the surrender deadline."""

    def __init__(self, sim: Simulation, accounts: list[str], instrument: str, orders: int):
        self.sim = sim
        self.instrument = instrument
        for number, account in enumerate(accounts):
            allocation = log_uniform(sim, 50_000, 2_000_000)
            group = f"G-{accounts[number - 1]}" if number % 5 == 4 else ""
            if number % 5 == 3:
                group = f"G-{account}"
            sim.open_account(
                account, AccountKind.COMPLIANCE, group, allocation, {instrument: allocation}
            )
        for _ in range(orders):
            account = sim.rng.choice(accounts)
            sim.at(sim.random_time(0, 0), lambda ts, a=account: self.buy(ts, a))

    def buy(self, ts: int, account: str) -> None:
        sim = self.sim
        market = sim.exchange.markets[self.instrument]
        price = market.best_ask() or sim.to_tick(self.instrument, sim.fair(self.instrument, ts))
        quantity = log_uniform(sim, 100, 1500)
        sim.order(ts, account, self.instrument, Side.BUY, price, quantity, TimeInForce.IOC)


def deadline_pressure(days_to_deadline: int) -> float:
    """How much busier compliance buying is near the surrender deadline."""
    return 1 + 3 * math.exp(-days_to_deadline / 15)

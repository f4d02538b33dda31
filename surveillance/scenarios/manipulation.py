"""Labelled manipulation episodes, one injector per pattern of surveillance.md.

Each injector opens fresh accounts for its manipulators, schedules their commands into the
day (sizes and timing drawn at random), and records an `Episode` whose window grows with
every action actually taken. Prices and sizes are read off the live book when the action
runs, as a manipulator would. Counterparties that merely react (an investor lifting an
offer that looks cheap) are honest investors of the day.
"""

from collections.abc import Callable

from engine.orders import AccountKind, HoldingMovementKind, Side, TimeInForce
from surveillance.scenarios.episode import Episode
from surveillance.scenarios.participants import log_uniform
from surveillance.scenarios.simulation import MINUTE, NS, Simulation

MS = 1_000_000


def opposite(side: int) -> int:
    return Side.SELL if side == Side.BUY else Side.BUY


class Manipulators:
    def __init__(self, sim: Simulation, responders: dict[str, list[str]]):
        self.sim = sim
        self.rng = sim.rng
        # per instrument, the honest investors (holding it) who take an attractive price
        self.responders = responders
        self.episodes: list[Episode] = []
        self.accounts = 0
        self.groups = 0
        self.price_slots: dict[str, list[int]] = {}

    # building blocks ----------------------------------------------------------------
    def account(
        self,
        instrument: str,
        group: str = "",
        holdings: int = 100_000,
        session: str = "",
        member: str = "",
    ) -> str:
        """A fresh investor account holding tonnes of the one instrument it trades, its own
        member's unless it trades over `session` (then that session's member's)."""
        self.accounts += 1
        name = f"A{self.accounts:03d}"
        member = member or f"M-{session or name}"
        self.sim.open_account(
            name, AccountKind.INVESTOR, group, 0, {instrument: holdings}, member=member
        )
        if session:
            self.sim.session_of[name] = session
        return name

    def group(self) -> str:
        self.groups += 1
        return f"G{self.groups:03d}"

    def episode(
        self, pattern: str, instrument: str, accounts, also=(), variant: str = "plain"
    ) -> Episode:
        episode = Episode(pattern, instrument, tuple(accounts), 0, 0, tuple(also), variant)
        self.episodes.append(episode)
        return episode

    def step(self, episode: Episode, ts: int, action: Callable[[int], None]) -> None:
        """Schedules an action that widens the episode's window when it runs."""

        def run(now: int) -> None:
            episode.start = min(episode.start or now, now)
            episode.end = max(episode.end, now)
            action(now)

        self.sim.at(ts, run)

    def midpoint(self, instrument: str) -> int:
        """A price strictly inside the spread, 0 when the spread is one tick or empty."""
        market = self.sim.market(instrument)
        bid, ask, tick = market.best_bid(), market.best_ask(), self.sim.tick(instrument)
        if not bid or not ask or ask - bid < 2 * tick:
            return 0
        return bid + (ask - bid) // tick // 2 * tick

    def cross(
        self,
        episode: Episode,
        ts: int,
        seller: str,
        buyer: str,
        instrument: str,
        quantity: int,
        delay: int,
        price: Callable[[int], int] | None = None,
        tries: int = 30,
        retry_every: int = 5 * NS,
    ) -> None:
        """The seller offers, the buyer takes it `delay` later. At the midpoint by default
        (retrying while the spread is too narrow); with `price`, the buyer also sweeps
        every cheaper offer on the way, as a buyer paying up must. A narrow spread is
        retried `tries` times, `retry_every` apart."""
        sim = self.sim

        def sell(now: int) -> None:
            limit = price(now) if price else self.midpoint(instrument)
            if not limit:
                if tries:
                    self.cross(
                        episode,
                        now + retry_every,
                        seller,
                        buyer,
                        instrument,
                        quantity,
                        delay,
                        price,
                        tries - 1,
                        retry_every,
                    )
                return
            offer = sim.order(now, seller, instrument, Side.SELL, limit, quantity)
            self.step(episode, now + delay, lambda t: buy(t, limit, offer))

        def buy(now: int, limit: int, offer: int) -> None:
            market = sim.market(instrument)
            wanted = market.depth(Side.SELL, limit) if price else quantity
            bid = sim.order(now, buyer, instrument, Side.BUY, limit, max(wanted, 1))
            sim.at(now + NS, lambda t: tidy(t, offer, bid))

        def tidy(now: int, offer: int, bid: int) -> None:
            sim.cancel(now, seller, instrument, offer)
            sim.cancel(now, buyer, instrument, bid)

        self.step(episode, ts, sell)

    def quiet_time(self, instrument: str, pattern: str) -> int:
        """A start for a price-moving episode, clear of the others on the instrument and
        of the closing half hour (which marking the close has to itself)."""
        slots = self.price_slots.setdefault(instrument, [])
        start = self.sim.random_time(20 * MINUTE, 45 * MINUTE)
        for _ in range(100):
            if all(abs(start - other) > 15 * MINUTE for other in slots):
                break
            start = self.sim.random_time(20 * MINUTE, 45 * MINUTE)
        slots.append(start)
        return start

    def take(self, ts: int, instrument: str, side: int, price: int) -> None:
        """An honest investor with nothing resting (so it cannot meet itself) takes the
        whole level at `price` on `side`, which now looks attractive."""
        busy = {order.account for order in self.sim.view.orders.values()}
        idle = [account for account in self.responders[instrument] if account not in busy]
        level = self.sim.market(instrument).depth(side, price)
        if level:
            taker = self.rng.choice(idle or self.responders[instrument])
            self.sim.order(ts, taker, instrument, opposite(side), price, level, TimeInForce.IOC)

    def top_size(self, instrument: str) -> int:
        market = self.sim.market(instrument)
        bid = market.depth(Side.BUY, market.best_bid()) if market.best_bid() else 0
        ask = market.depth(Side.SELL, market.best_ask()) if market.best_ask() else 0
        return max(bid, ask, 300)

    # the patterns -------------------------------------------------------------------
    def self_trade(self, instrument: str) -> None:
        group = self.group()
        seller, buyer = self.account(instrument, group), self.account(instrument, group)
        episode = self.episode("self_trade", instrument, (seller, buyer))
        ts = self.sim.random_time()
        for _ in range(self.rng.randint(1, 8)):
            quantity = log_uniform(self.sim, 50, 2000)
            delay = self.rng.randrange(100 * MS, 900 * MS)
            self.cross(episode, ts, seller, buyer, instrument, quantity, delay)
            ts += self.rng.randrange(MINUTE, 10 * MINUTE)

    def frequent_cancels(self, instrument: str) -> None:
        canceller = self.account(instrument)
        episode = self.episode(
            "frequent_cancels", instrument, (canceller,), also=("message_flooding",)
        )
        for _ in range(self.rng.randint(540, 800)):
            self.step(episode, self.sim.random_time(), self._place_and_pull(canceller, instrument))

    def _place_and_pull(self, account: str, instrument: str, large: bool = False):
        sim, rng = self.sim, self.rng

        def place(now: int) -> None:
            market = sim.market(instrument)
            touch = market.best_bid() or sim.to_tick(instrument, sim.fair(instrument, now))
            if large:
                price = sim.to_tick(instrument, touch * (1 - rng.uniform(0.02, 0.06)))
                quantity = rng.randint(80_000, 99_998)
                wait = rng.randrange(5 * NS, 120 * NS)
            else:
                price = touch - rng.randint(3, 15) * sim.tick(instrument)
                quantity = rng.randint(10, 100)
                wait = rng.randrange(2 * NS, 60 * NS)
            order = sim.order(now, account, instrument, Side.BUY, price, quantity)
            sim.at(now + wait, lambda t: sim.cancel(t, account, instrument, order))

        return place

    def large_cancels(self, instrument: str) -> None:
        canceller = self.account(instrument)
        episode = self.episode("large_cancels", instrument, (canceller,))
        for _ in range(self.rng.randint(55, 90)):
            place = self._place_and_pull(canceller, instrument, large=True)
            self.step(episode, self.sim.random_time(), place)

    def spoofing(self, instrument: str) -> None:
        group = self.group()
        spoofer = self.account(instrument, group)
        trader = self.account(instrument, group) if self.rng.random() < 0.5 else spoofer
        episode = self.episode("spoofing", instrument, {spoofer, trader})
        ts = self.sim.random_time()
        for _ in range(self.rng.randint(1, 4)):
            side = self.rng.choice((Side.BUY, Side.SELL))
            self.step(
                episode,
                ts,
                lambda t, s=side: self._spoof(episode, t, spoofer, trader, instrument, s),
            )
            ts += self.rng.randrange(3 * MINUTE, 20 * MINUTE)

    def _spoof(self, episode, ts, spoofer, trader, instrument, fake_side) -> None:
        """A genuine order inside the spread on one side, a large fake order on the other
        to make it look attractive, the fake pulled once the genuine one has traded."""
        sim, rng = self.sim, self.rng
        market = sim.market(instrument)
        bid, ask, tick = market.best_bid(), market.best_ask(), sim.tick(instrument)
        if not bid or not ask:
            return
        if fake_side == Side.BUY:
            genuine_price = ask - tick if ask - bid >= 3 * tick else ask
            fake_price = bid + tick if bid + tick < genuine_price else bid
        else:
            genuine_price = bid + tick if ask - bid >= 3 * tick else bid
            fake_price = ask - tick if ask - tick > genuine_price else ask
        genuine_side = opposite(fake_side)
        genuine = sim.order(
            ts, trader, instrument, genuine_side, genuine_price, rng.randint(100, 500)
        )
        fake_size = round(rng.uniform(8, 15) * self.top_size(instrument))

        def fake(now: int) -> None:
            order = sim.order(now, spoofer, instrument, fake_side, fake_price, fake_size)
            self.step(episode, now + rng.randrange(2 * NS, 9 * NS), lambda t: pull(t, order))

        def pull(now: int, order: int) -> None:
            sim.cancel(now, spoofer, instrument, order)
            sim.cancel(now, trader, instrument, genuine)

        self.step(episode, ts + 300 * MS, fake)
        sim.at(
            ts + rng.randrange(800 * MS, 2 * NS),
            lambda t: self.take(t, instrument, genuine_side, genuine_price),
        )

    def layering(self, instrument: str) -> None:
        layerer = self.account(instrument)
        # a ladder large enough, at adjacent prices, is also one spoof split into orders
        episode = self.episode("layering", instrument, (layerer,), also=("spoofing",))
        ts = self.sim.random_time()
        for _ in range(self.rng.randint(1, 2)):
            side = self.rng.choice((Side.BUY, Side.SELL))
            self.step(
                episode, ts, lambda t, s=side: self._layer(episode, t, layerer, instrument, s)
            )
            ts += self.rng.randrange(5 * MINUTE, 40 * MINUTE)

    def _layer(self, episode, ts, layerer, instrument, layer_side) -> None:
        sim, rng = self.sim, self.rng
        market = sim.market(instrument)
        bid, ask, tick = market.best_bid(), market.best_ask(), sim.tick(instrument)
        if not bid or not ask:
            return
        levels = rng.randint(3, 5)
        step = tick if layer_side == Side.SELL else -tick
        touch = ask if layer_side == Side.SELL else bid
        layers: list[int] = []
        at = ts
        for level in range(levels):
            price, size = touch + level * step, rng.randint(100, 600)
            sim.at(
                at,
                lambda t, p=price, q=size: layers.append(
                    sim.order(t, layerer, instrument, layer_side, p, q)
                ),
            )
            at += rng.randrange(20 * MS, 200 * MS)
        genuine_side = opposite(layer_side)
        if genuine_side == Side.BUY:
            genuine_price = bid + tick if bid + tick < ask else bid
        else:
            genuine_price = ask - tick if ask - tick > bid else ask

        def genuine(now: int) -> None:
            sim.order(now, layerer, instrument, genuine_side, genuine_price, rng.randint(100, 400))

        def respond(now: int) -> None:
            self.take(now, instrument, genuine_side, genuine_price)
            self.step(episode, now + rng.randrange(100 * MS, 600 * MS), pull)

        def pull(now: int) -> None:
            if rng.random() < 0.3:
                sim.mass_cancel(now, layerer)
                return
            at = now
            for order in layers:
                sim.at(at, lambda t, o=order: sim.cancel(t, layerer, instrument, o))
                at += rng.randrange(MS, 60 * MS)

        sim.at(ts + 900 * MS, genuine)
        sim.at(ts + rng.randrange(1500 * MS, 5 * NS), respond)

    def marking_the_close(self, instrument: str) -> None:
        """Buying a large share of the day's volume in the closing half hour at rising
        prices, from a complicit seller, to lift the day's VWAP close."""
        sim, rng = self.sim, self.rng
        buyer, seller = self.account(instrument), self.account(instrument, holdings=500_000)
        episode = self.episode(
            "marking_the_close",
            instrument,
            (buyer, seller),
            also=("ramping", "abnormal_price_move", "pre_arranged_trades"),
        )
        close = sim.sessions[-1][1]
        start = close - rng.randrange(25 * MINUTE, 29 * MINUTE)
        crosses = rng.randint(4, 8)
        top = rng.uniform(0.05, 0.07)
        plan: dict[str, float] = {}
        market = sim.market(instrument)

        def price_of(step_number: int) -> Callable[[int], int]:
            def price(now: int) -> int:
                if "base" not in plan:  # lift from above both the market and the day's VWAP
                    vwap = market.turnover / market.volume if market.volume else 0
                    plan["base"] = max(sim.fair(instrument, now), vwap)
                lift = 0.01 + (top - 0.01) * step_number / max(1, crosses - 1)
                limit = sim.to_tick(instrument, plan["base"] * (1 + lift))
                return min(limit, market.band[1] - 3 * sim.tick(instrument))

            return price

        def size() -> int:
            """Each cross's share of enough to move the VWAP about 2%, sized once on the
            day's volume before the first."""
            if "size" not in plan:
                volume = max(market.volume, 5_000)
                target, average_lift = rng.uniform(0.014, 0.02), (0.01 + top) / 2
                total = target * volume / max(average_lift - target, 0.005)
                plan["size"] = min(99_000, max(1_000, round(total / crosses)))
            return int(plan["size"])

        gap = (close - 2 * MINUTE - start) // crosses
        for number in range(crosses):
            ts = start + number * gap + rng.randrange(gap // 2)

            def begin(now: int, n=number) -> None:
                delay = rng.randrange(200 * MS, 3 * NS)
                self.cross(episode, now, seller, buyer, instrument, size(), delay, price_of(n))

            self.step(episode, ts, begin)

    def ramping(self, instrument: str) -> None:
        sim, rng = self.sim, self.rng
        rammer = self.account(instrument)
        episode = self.episode("ramping", instrument, (rammer,), also=("abnormal_price_move",))
        side = rng.choice((Side.BUY, Side.SELL))
        start = self.quiet_time(instrument, "ramping")
        target = rng.uniform(0.026, 0.04)
        origin: dict[str, int] = {}

        def sweep(now: int) -> None:
            market = sim.market(instrument)
            touch = market.best_ask() if side == Side.BUY else market.best_bid()
            if not touch:
                self.step(episode, now + 2 * NS, sweep)
                return
            origin.setdefault("price", touch)
            moved = (touch - origin["price"]) / origin["price"]
            if (moved if side == Side.BUY else -moved) >= target or now - start > 4 * MINUTE:
                return
            tick = sim.tick(instrument)
            limit = touch + 2 * tick if side == Side.BUY else touch - 2 * tick
            quantity = market.depth(opposite(side), limit)
            sim.order(now, rammer, instrument, side, limit, quantity, TimeInForce.IOC)
            self.step(episode, now + rng.randrange(6 * NS, 15 * NS), sweep)

        self.step(episode, start, sweep)

    def abnormal_price_move(self, instrument: str) -> None:
        """A fat finger: a large order priced at the band edge sweeps the book, the rest
        sits there a few seconds and trades with whoever takes it, then is withdrawn."""
        sim, rng = self.sim, self.rng
        clumsy = self.account(instrument)
        episode = self.episode("abnormal_price_move", instrument, (clumsy,), also=("ramping",))
        side = rng.choice((Side.BUY, Side.SELL))
        start = self.quiet_time(instrument, "abnormal_price_move")

        def blunder(now: int) -> None:
            low, high = sim.market(instrument).band
            tick = sim.tick(instrument)
            price = low + tick if side == Side.SELL else high - tick
            order = sim.order(now, clumsy, instrument, side, price, rng.randint(3_000, 8_000))
            self.step(
                episode,
                now + rng.randrange(3 * NS, 15 * NS),
                lambda t: sim.cancel(t, clumsy, instrument, order),
            )

        self.step(episode, start, blunder)

    def position_limit(self, instrument: str) -> None:
        sim, rng = self.sim, self.rng
        group = self.group()
        members = [self.account(instrument, group, holdings=0) for _ in range(rng.randint(2, 3))]
        episode = self.episode("position_limit", instrument, members)
        limit = sim.reference.rules.investor_position_limit
        share = rng.uniform(0.91, 0.99) if rng.random() < 0.5 else rng.uniform(1.01, 1.15)
        target = round(limit * share)
        transfers = rng.randint(len(members), len(members) + 2)
        cuts = sorted(rng.sample(range(1, target), transfers - 1))
        amounts = [b - a for a, b in zip([0, *cuts], [*cuts, target], strict=True)]
        for amount, ts in zip(amounts, sorted(sim.random_time() for _ in amounts), strict=True):
            account = rng.choice(members)
            self.step(
                episode,
                ts,
                lambda t, a=account, q=amount: sim.move_holding(
                    t, a, instrument, q, HoldingMovementKind.TRANSFER_IN
                ),
            )

    def circular_trading(self, instrument: str) -> None:
        rng = self.rng
        ring = [self.account(instrument) for _ in range(rng.randint(2, 4))]
        episode = self.episode("circular_trading", instrument, ring)
        base = log_uniform(self.sim, 300, 5_000)
        ts = self.sim.random_time(10 * MINUTE, 60 * MINUTE)
        for number, seller in enumerate(ring):
            buyer = ring[(number + 1) % len(ring)]
            quantity = round(base * (1 + rng.uniform(-0.004, 0.004)))
            delay = rng.randrange(100 * MS, 2 * NS)
            self.cross(episode, ts, seller, buyer, instrument, quantity, delay)
            ts += rng.randrange(MINUTE, 15 * MINUTE)

    def pre_arranged_trades(self, instrument: str) -> None:
        rng = self.rng
        seller, buyer = self.account(instrument), self.account(instrument)
        episode = self.episode("pre_arranged_trades", instrument, (seller, buyer))
        ts = self.sim.random_time(10 * MINUTE, 60 * MINUTE)
        for _ in range(rng.randint(3, 6)):
            quantity = log_uniform(self.sim, 200, 3_000)
            delay = rng.randrange(200 * MS, 4500 * MS)
            self.cross(episode, ts, seller, buyer, instrument, quantity, delay)
            ts += rng.randrange(2 * MINUTE, 20 * MINUTE)

    def message_flooding(self, instrument: str) -> None:
        sim, rng = self.sim, self.rng
        flooder = self.account(instrument)
        episode = self.episode("message_flooding", instrument, (flooder,))
        variant = rng.choice(("burst", "rejected_burst", "order_to_trade"))
        tick = sim.tick(instrument)
        if variant == "order_to_trade":
            self._churn(episode, flooder, instrument)
            return
        count = rng.randint(320, 480 if variant == "burst" else 600)
        start = sim.random_time()
        spacing = rng.randrange(300 * MS, 900 * MS) // count
        market = sim.market(instrument)

        def send(now: int) -> None:
            if variant == "burst":
                price = (market.best_bid() or market.band[0]) - rng.randint(5, 20) * tick
            else:
                price = market.band[1] + rng.randint(1, 50) * tick
            sim.order(
                now, flooder, instrument, Side.BUY, max(price, market.band[0]), rng.randint(10, 50)
            )

        for number in range(count):
            self.step(episode, start + number * spacing, send)
        if variant == "burst":
            self.step(
                episode,
                start + rng.randrange(5 * NS, 60 * NS),
                lambda t: sim.mass_cancel(t, flooder),
            )

    def _churn(self, episode: Episode, flooder: str, instrument: str) -> None:
        """Orders kept far from the touch and re-priced all day: many messages, no trades."""
        sim, rng = self.sim, self.rng
        orders: list[int] = []
        market = sim.market(instrument)

        def far(now: int) -> int:
            touch = market.best_bid() or sim.to_tick(instrument, sim.fair(instrument, now))
            return max(touch - rng.randint(60, 120) * sim.tick(instrument), market.band[0])

        def place(now: int) -> None:
            orders.append(
                sim.order(now, flooder, instrument, Side.BUY, far(now), rng.randint(10, 80))
            )

        def reprice(now: int) -> None:
            slot = rng.randrange(len(orders))
            resting = sim.view.orders.get(orders[slot])
            if resting is None:  # filled after all: put up another
                orders[slot] = sim.order(
                    now, flooder, instrument, Side.BUY, far(now), rng.randint(10, 80)
                )
            else:
                quantity = resting.filled + rng.randint(10, 80)
                sim.amend(now, flooder, instrument, resting.order_id, far(now), quantity)

        opening = sim.sessions[0][0] + rng.randrange(MINUTE, 10 * MINUTE)
        for number in range(10):
            self.step(episode, opening + number * NS, place)
        for _ in range(rng.randint(1_600, 2_400)):
            self.step(episode, max(sim.random_time(), opening + 20 * NS), reprice)

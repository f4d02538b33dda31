"""Manipulators who know the rules: each pattern's episode made to slip past a detector
that counts per account, looks at single orders, or waits for a cancel.

Every injector takes a `variant` and labels the episode with it, so quality is measured
per variant (bench/surveillance.py --quality):

- split across the accounts of one control group (`group`, `group_wide`);
- split across time, or across several trades (`time`, `split_legs`);
- withdrawal by amendment instead of cancel (`amendment`);
- one spoof or ladder made of several smaller orders at adjacent prices (`split_orders`);
- two accounts behind one member session, or one member's accounts (`session`, `member`).
"""

from engine.orders import HoldingMovementKind, Side, TimeInForce
from surveillance.scenarios.manipulation import MS, Manipulators, opposite
from surveillance.scenarios.participants import log_uniform
from surveillance.scenarios.simulation import MINUTE, NS

QUIET = "CCER"  # the thin instrument of the day (scenarios/day.py)

VARIANTS: dict[str, tuple[str, ...]] = {
    "frequent_cancels": ("group", "group_wide", "time"),
    "large_cancels": ("group", "group_wide", "time"),
    "spoofing": ("group", "split_orders", "amendment"),
    "layering": ("group", "amendment", "split_orders"),
    "marking_the_close": ("group", "time", "split_legs"),
    "message_flooding": ("session", "member", "time"),
    "circular_trading": ("split_legs", "time", "group"),
    "self_trade": ("split_legs", "time", "group_wide"),
    "pre_arranged_trades": ("split_legs", "time", "small"),
    "ramping": ("group", "time", "split_orders"),
    "abnormal_price_move": ("fat_finger", "sweep", "thin"),
    "position_limit": ("group_wide", "time", "trading"),
}


class Evasions(Manipulators):
    sessions = 0

    def session(self) -> str:
        self.sessions += 1
        return f"S{self.sessions:03d}"

    def party(self, instrument: str, variant: str, count: int = 2, holdings: int = 100_000):
        """`count` accounts acting as one: of one control group, or behind one session
        (`session`), or of one member over sessions of their own (`member`)."""
        if variant == "session":
            session = self.session()
            return [self.account(instrument, "", holdings, session) for _ in range(count)]
        if variant == "member":
            member = f"M-{self.session()}"
            accounts = [self.account(instrument, "", holdings, member=member) for _ in range(count)]
            for account in accounts:
                self.sim.session_of[account] = f"{member}-{account}"
            return accounts
        group = self.group()
        return [self.account(instrument, group, holdings) for _ in range(count)]

    # cancels ------------------------------------------------------------------------
    def cancels(self, instrument: str, pattern: str, variant: str) -> None:
        large = pattern == "large_cancels"
        count = 4 if variant == "group_wide" else 2
        accounts = self.party(instrument, "group", count) if variant != "time" else None
        accounts = accounts or [self.account(instrument)]
        episode = self.episode(pattern, instrument, accounts, variant=variant)
        total = self.rng.randint(60, 90) if large else self.rng.randint(540, 800)
        if pattern == "frequent_cancels":
            episode.also = ("message_flooding",)
        for number in range(total):
            account = accounts[number % len(accounts)]
            if variant == "time":  # a steady trickle through both sessions
                ts = self.sim.random_time(2 * MINUTE, 2 * MINUTE)
            else:
                ts = self.sim.random_time()
            self.step(episode, ts, self._place_and_pull(account, instrument, large))

    # spoofing -----------------------------------------------------------------------
    def spoof(self, instrument: str, variant: str) -> None:
        if variant == "group":
            spoofer, trader = self.party(instrument, "group")
        else:
            spoofer = trader = self.account(instrument)
        # a spoof split over adjacent levels and pulled after the fill is a ladder too
        also = ("layering",) if variant == "split_orders" else ()
        episode = self.episode(
            "spoofing", instrument, {spoofer, trader}, also=also, variant=variant
        )
        ts = self.sim.random_time()
        for _ in range(self.rng.randint(1, 3)):
            side = self.rng.choice((Side.BUY, Side.SELL))
            self.step(
                episode,
                ts,
                lambda t, s=side: self._spoof_by(episode, t, spoofer, trader, instrument, s),
            )
            ts += self.rng.randrange(3 * MINUTE, 20 * MINUTE)

    def _spoof_by(self, episode, ts, spoofer, trader, instrument, fake_side) -> None:
        sim, rng = self.sim, self.rng
        market = sim.market(instrument)
        bid, ask, tick = market.best_bid(), market.best_ask(), sim.tick(instrument)
        if not bid or not ask:
            return
        genuine_side = opposite(fake_side)
        genuine_price = (
            (bid + tick if ask - bid >= 3 * tick else bid)
            if fake_side == Side.SELL
            else (ask - tick if ask - bid >= 3 * tick else ask)
        )
        touch = bid if fake_side == Side.BUY else ask
        away = -tick if fake_side == Side.BUY else tick
        genuine = sim.order(
            ts, trader, instrument, genuine_side, genuine_price, rng.randint(100, 400)
        )
        total = round(rng.uniform(8, 15) * self.top_size(instrument))
        parts = rng.randint(3, 5) if episode.variant == "split_orders" else 1
        placed: list[int] = []

        def fake(now: int) -> None:
            for part in range(parts):
                sim.at(
                    now + part * 30 * MS,
                    lambda t, p=touch + part * away: placed.append(
                        sim.order(t, spoofer, instrument, fake_side, p, total // parts)
                    ),
                )
            self.step(episode, now + rng.randrange(2 * NS, 8 * NS), pull)

        def pull(now: int) -> None:
            for order_id in placed:
                resting = sim.view.orders.get(order_id)
                if resting is None:
                    continue
                if episode.variant == "amendment":  # cut to a sliver instead of cancelling
                    sliver = resting.filled + max(1, (resting.quantity - resting.filled) // 25)
                    sim.amend(now, spoofer, instrument, order_id, resting.price, sliver)
                else:
                    sim.cancel(now, spoofer, instrument, order_id)
            sim.cancel(now, trader, instrument, genuine)

        self.step(episode, ts + 300 * MS, fake)
        sim.at(
            ts + rng.randrange(800 * MS, 2 * NS),
            lambda t: self.take(t, instrument, genuine_side, genuine_price),
        )

    # layering -----------------------------------------------------------------------
    def layer(self, instrument: str, variant: str) -> None:
        if variant == "group":
            layerer, trader = self.party(instrument, "group")
        else:
            layerer = trader = self.account(instrument)
        episode = self.episode(
            "layering", instrument, {layerer, trader}, also=("spoofing",), variant=variant
        )
        ts = self.sim.random_time()
        for _ in range(self.rng.randint(1, 2)):
            side = self.rng.choice((Side.BUY, Side.SELL))
            self.step(
                episode,
                ts,
                lambda t, s=side: self._layer_by(episode, t, layerer, trader, instrument, s),
            )
            ts += self.rng.randrange(5 * MINUTE, 40 * MINUTE)

    def _layer_by(self, episode, ts, layerer, trader, instrument, layer_side) -> None:
        sim, rng = self.sim, self.rng
        market = sim.market(instrument)
        bid, ask, tick = market.best_bid(), market.best_ask(), sim.tick(instrument)
        if not bid or not ask:
            return
        step = tick if layer_side == Side.SELL else -tick
        touch = ask if layer_side == Side.SELL else bid
        per_level = 2 if episode.variant == "split_orders" else 1
        layers: list[int] = []
        at = ts
        for level in range(rng.randint(3, 5)):
            for _ in range(per_level):
                price, size = touch + level * step, rng.randint(100, 600) // per_level
                sim.at(
                    at,
                    lambda t, p=price, q=size: layers.append(
                        sim.order(t, layerer, instrument, layer_side, p, q)
                    ),
                )
                at += rng.randrange(20 * MS, 120 * MS)
        genuine_side = opposite(layer_side)
        genuine_price = (
            (bid + tick if bid + tick < ask else bid)
            if genuine_side == Side.BUY
            else (ask - tick if ask - tick > bid else ask)
        )

        def genuine(now: int) -> None:
            sim.order(now, trader, instrument, genuine_side, genuine_price, rng.randint(100, 400))

        def respond(now: int) -> None:
            self.take(now, instrument, genuine_side, genuine_price)
            self.step(episode, now + rng.randrange(100 * MS, 600 * MS), pull)

        def pull(now: int) -> None:
            at = now
            for order_id in layers:
                resting = sim.view.orders.get(order_id)
                if resting is None:
                    continue
                if episode.variant == "amendment":
                    sliver = resting.filled + max(1, (resting.quantity - resting.filled) // 20)
                    sim.at(
                        at,
                        lambda t, o=order_id, p=resting.price, q=sliver: sim.amend(
                            t, layerer, instrument, o, p, q
                        ),
                    )
                else:
                    sim.at(at, lambda t, o=order_id: sim.cancel(t, layerer, instrument, o))
                at += rng.randrange(MS, 60 * MS)

        sim.at(ts + 900 * MS, genuine)
        sim.at(ts + rng.randrange(1500 * MS, 5 * NS), respond)

    # marking the close --------------------------------------------------------------
    def mark_close(self, instrument: str, variant: str) -> None:
        """Buying into the close from a complicit seller; with `group` the buying is split
        between two accounts of one group (each under the share), with `time` spread
        over the whole window in many small crosses, with `split_legs` each cross taken
        in several bites."""
        sim, rng = self.sim, self.rng
        buyers = (
            self.party(instrument, "group") if variant == "group" else [self.account(instrument)]
        )
        seller = self.account(instrument, holdings=500_000)
        episode = self.episode(
            "marking_the_close",
            instrument,
            (*buyers, seller),
            also=("ramping", "abnormal_price_move", "pre_arranged_trades", "circular_trading"),
            variant=variant,
        )
        close = sim.sessions[-1][1]
        start = close - rng.randrange(25 * MINUTE, 29 * MINUTE)
        crosses = rng.randint(10, 16) if variant == "time" else rng.randint(4, 8)
        market = sim.market(instrument)
        plan: dict[str, float] = {}

        def price_of(step_number: int):
            def price(now: int) -> int:
                if "base" not in plan:
                    vwap = market.turnover / market.volume if market.volume else 0
                    plan["base"] = max(sim.fair(instrument, now), vwap)
                lift = 0.01 + 0.05 * step_number / max(1, crosses - 1)
                limit = sim.to_tick(instrument, plan["base"] * (1 + lift))
                return min(limit, market.band[1] - 3 * sim.tick(instrument))

            return price

        def size() -> int:
            if "size" not in plan:
                volume = max(market.volume, 5_000)
                total = 0.018 * volume / 0.017
                plan["size"] = min(99_000, max(1_000, round(total / crosses)))
            return int(plan["size"])

        gap = (close - 2 * MINUTE - start) // crosses
        bites = 3 if variant == "split_legs" else 1
        for number in range(crosses):
            ts = start + number * gap + rng.randrange(gap // 2)
            buyer = buyers[number % len(buyers)]

            def begin(now: int, n=number, b=buyer) -> None:
                for bite in range(bites):
                    delay = rng.randrange(200 * MS, 3 * NS)
                    self.cross(
                        episode,
                        now + bite * 4 * NS,
                        seller,
                        b,
                        instrument,
                        size() // bites,
                        delay,
                        price_of(n),
                    )

            self.step(episode, ts, begin)

    # message flooding ---------------------------------------------------------------
    def flood(self, instrument: str, variant: str) -> None:
        sim, rng = self.sim, self.rng
        if variant == "time":
            flooders = [self.account(instrument)]
        else:
            flooders = self.party(instrument, variant, rng.randint(2, 3))
        episode = self.episode("message_flooding", instrument, flooders, variant=variant)
        tick = sim.tick(instrument)
        market = sim.market(instrument)
        if variant == "time":  # many short bursts, none of them 300 a second alone
            for account in flooders:
                self._churn(episode, account, instrument)
            return
        count = rng.randint(330, 480)
        start = sim.random_time()
        spacing = rng.randrange(300 * MS, 900 * MS) // count

        def send(now: int, account: str) -> None:
            price = (market.best_bid() or market.band[0]) - rng.randint(5, 20) * tick
            sim.order(
                now, account, instrument, Side.BUY, max(price, market.band[0]), rng.randint(10, 50)
            )

        for number in range(count):
            account = flooders[number % len(flooders)]
            self.step(episode, start + number * spacing, lambda t, a=account: send(t, a))
        for account in flooders:
            self.step(
                episode,
                start + rng.randrange(5 * NS, 60 * NS),
                lambda t, a=account: sim.mass_cancel(t, a),
            )

    # circular trading ---------------------------------------------------------------
    def ring(self, instrument: str, variant: str) -> None:
        rng = self.rng
        if variant == "group":
            ring = self.party(instrument, "group", rng.randint(3, 4))
        else:
            ring = [self.account(instrument) for _ in range(rng.randint(2, 4))]
        # a two-account ring is a string of crosses between one pair, one group's ring a
        # string of self-trades: those detectors are right to see it too
        episode = self.episode(
            "circular_trading",
            instrument,
            ring,
            also=("pre_arranged_trades", "self_trade"),
            variant=variant,
        )
        self.sim.arranged.update(ring)
        base = log_uniform(self.sim, 600, 5_000)
        if variant == "time":  # from the morning, so the spread-out legs end by the close
            ts = self.sim.sessions[0][0] + rng.randrange(10 * MINUTE, 40 * MINUTE)
        else:
            ts = self.sim.random_time(10 * MINUTE, 60 * MINUTE)
        bites = rng.randint(2, 3) if variant == "split_legs" else 1
        for number, seller in enumerate(ring):
            buyer = ring[(number + 1) % len(ring)]
            quantity = round(base * (1 + rng.uniform(-0.004, 0.004)))
            for bite in range(bites):
                delay = rng.randrange(50 * MS, 600 * MS)  # the buyer is ready and quick
                share = quantity // bites + (quantity % bites if bite == 0 else 0)
                at = self.sim.next_open(ts + bite * 20 * NS)  # a leg waits out the break
                if at is not None:
                    # an arranged cross waits for a spread to cross inside, however tight
                    self.cross(episode, at, seller, buyer, instrument, share, delay, None, 600, NS)
            gap = (15, 60) if variant == "time" else (1, 15)
            ts += rng.randrange(gap[0] * MINUTE, gap[1] * MINUTE)

    # crosses between a pair ------------------------------------------------------------
    def crosses(self, instrument: str, pattern: str, variant: str) -> None:
        """Self-trades (two or four accounts of one group) or pre-arranged trades (two
        unrelated accounts): each cross split in bites (`split_legs`), spread over the
        whole day (`time`), or of modest sizes (`small`)."""
        sim, rng = self.sim, self.rng
        if pattern == "self_trade":
            count = 4 if variant == "group_wide" else 2
            accounts = self.party(instrument, "group", count)
        else:
            accounts = [self.account(instrument), self.account(instrument)]
        # a pair crossing both ways is a two-account ring too
        episode = self.episode(
            pattern, instrument, accounts, also=("circular_trading",), variant=variant
        )
        self.sim.arranged.update(accounts)
        repeats = rng.randint(3, 6)
        if variant == "time":
            times = sorted(sim.random_time() for _ in range(repeats))
        else:
            start = sim.random_time(10 * MINUTE, 90 * MINUTE)
            times = [
                start + number * rng.randrange(2 * MINUTE, 8 * MINUTE) for number in range(repeats)
            ]
        bites = 2 if variant == "split_legs" else 1
        for number, ts in enumerate(times):
            seller, buyer = accounts[number % len(accounts)], accounts[(number + 1) % len(accounts)]
            quantity = rng.randint(100, 300) if variant == "small" else log_uniform(sim, 300, 3_000)
            for bite in range(bites):
                at = sim.next_open(ts + bite * 10 * NS)
                if at is not None:
                    delay = rng.randrange(200 * MS, 3 * NS)
                    self.cross(
                        episode,
                        at,
                        seller,
                        buyer,
                        instrument,
                        quantity // bites,
                        delay,
                        None,
                        600,
                        NS,
                    )

    # ramping ------------------------------------------------------------------------
    def ramp(self, instrument: str, variant: str) -> None:
        """Aggressive buying (or selling) that walks the price 2.6-4 % within minutes: two
        accounts of one group taking turns (`group`), slower sweeps spread over the
        window (`time`), or many small orders instead of sweeps (`split_orders`)."""
        sim, rng = self.sim, self.rng
        rammers = (
            self.party(instrument, "group") if variant == "group" else [self.account(instrument)]
        )
        episode = self.episode(
            "ramping", instrument, rammers, also=("abnormal_price_move",), variant=variant
        )
        side = rng.choice((Side.BUY, Side.SELL))
        start = self.quiet_time(instrument, "ramping")
        target = rng.uniform(0.026, 0.04)
        origin: dict[str, int] = {}
        turn = [0]
        gap = (10, 16) if variant == "time" else (6, 15)

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
            tick = sim.tick(instrument)  # a deeper book than the plain day's: three ticks a sweep
            limit = touch + 3 * tick if side == Side.BUY else touch - 3 * tick
            quantity = market.depth(opposite(side), limit)
            rammer = rammers[turn[0] % len(rammers)]
            turn[0] += 1
            if variant == "split_orders":
                part_size = max(1, quantity // 4)
                for part in range(4):
                    sim.at(
                        now + part * 50 * MS,
                        lambda t, r=rammer: sim.order(
                            t, r, instrument, side, limit, part_size, TimeInForce.IOC
                        ),
                    )
            else:
                sim.order(now, rammer, instrument, side, limit, quantity, TimeInForce.IOC)
            self.step(episode, now + rng.randrange(gap[0] * NS, gap[1] * NS), sweep)

        self.step(episode, start, sweep)

    # abnormal price move ------------------------------------------------------------
    def price_shock(self, instrument: str, variant: str) -> None:
        """A fat finger at the band edge, a large order sweeping several levels without
        reaching the band (`sweep`), or a fat finger on the thin instrument (`thin`)."""
        sim, rng = self.sim, self.rng
        clumsy = self.account(instrument, holdings=200_000)
        episode = self.episode(
            "abnormal_price_move", instrument, (clumsy,), also=("ramping",), variant=variant
        )
        side = rng.choice((Side.BUY, Side.SELL))
        start = self.quiet_time(instrument, "abnormal_price_move")

        def blunder(now: int) -> None:
            market = sim.market(instrument)
            low, high = market.band
            tick = sim.tick(instrument)
            if variant == "sweep":
                touch = market.best_ask() if side == Side.BUY else market.best_bid()
                if not touch:
                    return
                move = rng.uniform(0.03, 0.05) * touch
                price = sim.to_tick(instrument, touch + move if side == Side.BUY else touch - move)
            else:
                price = low + tick if side == Side.SELL else high - tick
            # more than the book holds up to its limit: it walks the whole way there
            depth = market.depth(opposite(side), price)
            quantity = max(rng.randint(3_000, 8_000), round(depth * rng.uniform(1.2, 1.5)))
            order = sim.order(now, clumsy, instrument, side, price, min(quantity, 99_000))
            # what is left rests far through the market until someone picks it off
            sim.at(now + rng.randrange(NS, 3 * NS), lambda t: self.take(t, instrument, side, price))
            self.step(
                episode,
                now + rng.randrange(4 * NS, 15 * NS),
                lambda t: sim.cancel(t, clumsy, instrument, order),
            )

        self.step(episode, start, blunder)

    # position limit -----------------------------------------------------------------
    def accumulate(self, instrument: str, variant: str) -> None:
        """A group's holdings past 91-115 % of its limit: spread over four accounts
        (`group_wide`), in many small transfers through the day (`time`), or partly
        bought on the book (`trading`)."""
        sim, rng = self.sim, self.rng
        count = 4 if variant == "group_wide" else 2
        group = self.group()
        members = [self.account(instrument, group, holdings=0) for _ in range(count)]
        episode = self.episode("position_limit", instrument, members, variant=variant)
        limit = sim.reference.rules.investor_position_limit
        share = rng.uniform(0.91, 0.99) if rng.random() < 0.5 else rng.uniform(1.01, 1.15)
        target = round(limit * share)
        transfers = rng.randint(12, 20) if variant == "time" else rng.randint(count, count + 2)
        bought = 0
        if variant == "trading":  # some bought on the book besides the transfers
            bought = round(target * 0.1)

            def buy(now: int) -> None:
                market = sim.market(instrument)
                price = market.best_ask() or sim.to_tick(instrument, sim.fair(instrument, now))
                sim.order(
                    now, members[0], instrument, Side.BUY, price, bought // 10, TimeInForce.IOC
                )

            for _ in range(10):
                self.step(episode, sim.random_time(), buy)
        rest = target  # the transfers alone reach the level; buying only adds to it
        cuts = sorted(rng.sample(range(1, rest), transfers - 1))
        amounts = [b - a for a, b in zip([0, *cuts], [*cuts, rest], strict=True)]
        for amount, ts in zip(amounts, sorted(sim.random_time() for _ in amounts), strict=True):
            account = rng.choice(members)
            self.step(
                episode,
                ts,
                lambda t, a=account, q=amount: sim.move_holding(
                    t, a, instrument, q, HoldingMovementKind.TRANSFER_IN
                ),
            )

    def inject(self, pattern: str, variant: str, instrument: str) -> None:
        injector = {
            "self_trade": lambda: self.crosses(instrument, pattern, variant),
            "pre_arranged_trades": lambda: self.crosses(instrument, pattern, variant),
            "ramping": lambda: self.ramp(instrument, variant),
            "abnormal_price_move": lambda: self.price_shock(
                QUIET if variant == "thin" else instrument, variant
            ),
            "position_limit": lambda: self.accumulate(instrument, variant),
            "frequent_cancels": lambda: self.cancels(instrument, pattern, variant),
            "large_cancels": lambda: self.cancels(instrument, pattern, variant),
            "spoofing": lambda: self.spoof(instrument, variant),
            "layering": lambda: self.layer(instrument, variant),
            "marking_the_close": lambda: self.mark_close(instrument, variant),
            "message_flooding": lambda: self.flood(instrument, variant),
            "circular_trading": lambda: self.ring(instrument, variant),
        }[pattern]
        injector()

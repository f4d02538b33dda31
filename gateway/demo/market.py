"""The demo market: simulated members trading live, so a new user sees the exchange work.

Market makers requote both sides around a drifting fair value on a rhythm of seconds,
compliance entities buy toward the surrender deadline, investors trade both ways at a
person's pace, and now and then a manipulator spoofs the book (a large bid resting for
seconds, then pulled) or washes trades between two accounts of one owner, for surveillance
to catch. They act through the gateway like any member, each action at its own time on an
agenda. The demo starts with the morning already traded: the agenda is replayed quickly from
the session's opening up to the clock, so charts, bulletin and accounts are populated at once.
"""

import asyncio
import contextlib
import datetime as dt
import heapq
import itertools
import random
from collections.abc import Awaitable, Callable

from engine.commands import (
    CancelOrder,
    Command,
    MoveCash,
    MoveHolding,
    NewOrder,
    OpenAccount,
)
from engine.orders import (
    AccountKind,
    CashMovementKind,
    HoldingMovementKind,
    OrderType,
    Side,
    TimeInForce,
)
from engine.reference import ReferenceData, price_band
from gateway.clock import Clock
from gateway.demo.auction import DemoAuction
from gateway.demo.disclosure import DemoCloses
from gateway.members import Directory, Member, Role, Session, SessionType, hash_password
from gateway.trading.gateway_service import GatewayService

DEMO_SUPERVISOR = ("demo-supervisor", "demo")
DEMO_MEMBER = ("DEMO-TRADER", "demo")  # a FIX session for a person to trade alongside
DEMO_ACCOUNT = "YOU-1"
INSTRUMENTS = ("TJEA25", "CCER")
MARKET_MAKERS = ("MM1", "MM2")
COMPLIANCE = ("CE1", "CE2", "CE3")
INVESTORS = ("INV1", "INV2", "INV3", "INV4")
MAKER_SIZES = {"MM1": 500, "MM2": 600}  # unequal, so the two never look pre-arranged
MANIPULATORS = ("MX1", "MX2")  # one beneficial owner: control group MX
ACTOR = "demo-setup"
NS = 1_000_000_000
MORNING = dt.timedelta(hours=1)  # traded before the demo clock starts, replayed at start
MORNING_REPLAY_CHUNK = 60 * NS  # the replayed morning is sent a simulated minute at a time


def demo_directory() -> Directory:
    simulated = frozenset(MARKET_MAKERS + COMPLIANCE + INVESTORS + MANIPULATORS)
    members = {
        "EXCHANGE": Member("EXCHANGE", "Exchange market supervision", Role.SUPERVISOR, frozenset()),
        "SIM": Member("SIM", "Simulated members", Role.MEMBER, simulated),
        "DEMO": Member("DEMO", "You, trading alongside", Role.MEMBER, frozenset({DEMO_ACCOUNT})),
    }
    sessions = {
        DEMO_SUPERVISOR[0]: Session(
            DEMO_SUPERVISOR[0], "EXCHANGE", SessionType.DROP_COPY, hash_password(DEMO_SUPERVISOR[1])
        ),
        DEMO_MEMBER[0]: Session(
            DEMO_MEMBER[0], "DEMO", SessionType.ORDER_ENTRY, hash_password(DEMO_MEMBER[1])
        ),
    }
    return Directory(members, sessions)


def opening_commands(ts: int) -> list[Command]:
    """Accounts, cash and allocations the simulated members start the day with."""
    commands: list[Command] = []
    accounts = [(a, AccountKind.INVESTOR, "") for a in MARKET_MAKERS + INVESTORS]
    accounts += [(a, AccountKind.COMPLIANCE, "") for a in COMPLIANCE]
    accounts += [(a, AccountKind.INVESTOR, "MX") for a in MANIPULATORS]
    for account, kind, group in accounts:
        allocation = 200_000 if kind == AccountKind.COMPLIANCE else 0
        commands.append(OpenAccount(ts, account, "SIM", kind, group, allocation, ACTOR))
    commands.append(OpenAccount(ts, DEMO_ACCOUNT, "DEMO", AccountKind.INVESTOR, "", 0, ACTOR))
    for account, _, _ in [*accounts, (DEMO_ACCOUNT, 0, "")]:
        commands.append(
            MoveCash(
                ts, account, 50_000_000_00, CashMovementKind.DEPOSIT, f"demo-cash-{account}", ACTOR
            )
        )
        for symbol in INSTRUMENTS:
            commands.append(
                MoveHolding(
                    ts,
                    account,
                    symbol,
                    400_000 if account in MARKET_MAKERS else 50_000,  # makers sell all day
                    HoldingMovementKind.ALLOCATE,
                    f"demo-alloc-{account}-{symbol}",
                    ACTOR,
                )
            )
    return commands


class DemoMarket:
    """The simulated members' agenda: each action happens at its own time and books the
    next, so a spoof rests seconds before its cancel and market makers requote on a rhythm."""

    def __init__(
        self,
        gateway: GatewayService,
        reference: ReferenceData,
        clock: Clock,
        opening: int,
        seed: int = 2026,
        step_seconds: float = 0.25,
        registry_content: Callable[[], Awaitable[None]] | None = None,
    ):
        self.gateway = gateway
        self.clock = clock
        self.opening = opening
        self.random = random.Random(seed)
        self.step_seconds = step_seconds
        self.step_ns = int(step_seconds * NS)
        self.ids = itertools.count(1)
        self.instruments = {s: reference.instruments[s] for s in INSTRUMENTS}
        self.fair = {s: i.reference_price for s, i in self.instruments.items()}
        self.bands = {
            s: price_band(i.reference_price, i.band_bps, i.tick)
            for s, i in self.instruments.items()
        }
        self.quotes: dict[tuple[str, str], list[str]] = {}  # (maker, symbol) -> live ids
        self.agenda: list[tuple[int, int, Callable[[int], list[Command]]]] = []
        self.order_of_booking = itertools.count()
        self.reached = opening  # everything before it has been sent
        self.sessions = reference.calendar.session_windows(reference.calendar.trading_date(opening))
        self.closes = DemoCloses(reference.calendar, opening)
        self.registry_content = registry_content  # run once after the opening commands
        self.auction = DemoAuction(reference.calendar, self.random, COMPLIANCE, INVESTORS)
        self._book_the_day()

    async def run(self, stop: asyncio.Event) -> None:
        start = opening_commands(self.opening) + self.closes.opening(self.opening)
        await self.gateway.submit(start + self.announce_auction(self.opening))
        if self.registry_content is not None and not await _unless_stopped(
            self.registry_content(), stop
        ):
            return
        while self.clock.now() - self.reached > MORNING_REPLAY_CHUNK and not stop.is_set():
            await self.gateway.submit(self.step(self.reached + MORNING_REPLAY_CHUNK))
            await asyncio.sleep(0)  # members and the dashboard are served meanwhile
        while not stop.is_set():
            await self.gateway.submit(self.step(self.clock.now()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.step_seconds)

    def step(self, until: int) -> list[Command]:
        """What the simulated members send up to `until` (ns), each stamped at its time, and
        the day's close once `until` has passed the last session."""
        commands: list[Command] = []
        while self.agenda and self.agenda[0][0] <= until:
            ts, _, action = heapq.heappop(self.agenda)
            opened = self._in_session(ts)
            if opened == ts:
                commands += action(ts)
            elif opened is not None:
                self.schedule(opened, action)  # the members wait out the lunch break
        self.reached = max(self.reached, until)
        return commands + self.closes.due(until)

    def announce_auction(self, ts: int) -> list[Command]:
        """The day's auction (gateway/demo/auction.py), its bidders on the agenda while its
        bidding is open."""
        commands = self.auction.opening(ts)

        def bid(at: int) -> list[Command]:
            if at + self.step_ns < self.auction.close_at:
                self.schedule(at + self.step_ns, bid)
            return self.auction.step(at, self.fair["TJEA25"])

        self.schedule(self.auction.open_at, bid)
        return commands

    def schedule(self, ts: int, action: Callable[[int], list[Command]]) -> None:
        """Books `action` at `ts` (ns): called then with its time, it returns the commands
        it sends and schedules its own next action. A demo part joins the market so."""
        heapq.heappush(self.agenda, (ts, next(self.order_of_booking), action))

    def _in_session(self, ts: int) -> int | None:
        """`ts` if the market is open then, else the next session's opening (None: the
        day's trading is over and the members stop)."""
        for start, end in self.sessions:
            if ts < end:
                return max(ts, start)
        return None

    def _seconds(self, low: float, high: float) -> int:
        return int(self.random.uniform(low, high) * NS)

    def _book_the_day(self) -> None:
        """Each member's first action; every action books its own next one."""
        start = self.opening + NS  # after the opening commands
        for symbol in INSTRUMENTS:
            self.schedule(start, self._drifting(symbol))
            for number, maker in enumerate(MARKET_MAKERS):
                rhythm = (4 + 2 * number) * NS  # MM1 every 4 s, MM2 every 6 s
                self.schedule(start + number * NS, self._quoting(maker, symbol, rhythm))
            self.schedule(start + self._seconds(1, 3), self._investing(symbol))
            self.schedule(start + self._seconds(5, 20), self._complying(symbol))
        self.schedule(start + self._seconds(25, 40), self._spoofing("TJEA25"))
        self.schedule(start + self._seconds(50, 70), self._washing("TJEA25"))

    def _drifting(self, symbol: str) -> Callable[[int], list[Command]]:
        def drift(ts: int) -> list[Command]:
            tick = self.instruments[symbol].tick
            low, high = self.bands[symbol]
            step = self.random.choice((-3, -2, -1, 0, 0, 1, 2, 3)) * tick
            self.fair[symbol] = min(
                high - 20 * tick, max(low + 20 * tick, self.fair[symbol] + step)
            )
            self.schedule(ts + NS, drift)
            return []

        return drift

    def _order(self, account, symbol, side, price, quantity, ts, tif=TimeInForce.DAY) -> NewOrder:
        return NewOrder(
            ts, account, f"d{next(self.ids)}", symbol, side, OrderType.LIMIT, tif, price, quantity
        )

    def _quoting(self, maker: str, symbol: str, rhythm: int) -> Callable[[int], list[Command]]:
        """An algorithm: cancels its two quotes and places fresh ones every `rhythm` ns."""

        def requote(ts: int) -> list[Command]:
            tick = self.instruments[symbol].tick
            commands: list[Command] = [
                CancelOrder(ts, maker, f"d{next(self.ids)}", symbol, client_id)
                for client_id in self.quotes.get((maker, symbol), [])
            ]
            spread = self.random.randint(2, 6) * tick
            size = MAKER_SIZES[maker]
            bid = self._order(maker, symbol, Side.BUY, self.fair[symbol] - spread, size, ts)
            ask = self._order(maker, symbol, Side.SELL, self.fair[symbol] + spread, size, ts)
            self.quotes[(maker, symbol)] = [bid.client_order_id, ask.client_order_id]
            self.schedule(ts + rhythm, requote)
            return [*commands, bid, ask]

        return requote

    def _investing(self, symbol: str) -> Callable[[int], list[Command]]:
        """People, an order every second or two: four in ten cross the spread at once (IOC),
        the rest rest a few ticks away."""

        def invest(ts: int) -> list[Command]:
            tick = self.instruments[symbol].tick
            side = self.random.choice((Side.BUY, Side.SELL))
            towards = 1 if side == Side.BUY else -1  # the direction that crosses the spread
            if self.random.random() < 0.4:
                price = self.fair[symbol] + towards * self.random.randint(1, 8) * tick
                tif = TimeInForce.IOC
            else:
                price = self.fair[symbol] - towards * self.random.randint(1, 10) * tick
                tif = TimeInForce.DAY
            quantity = self.random.randint(1, 25) * 10  # people's sizes vary: few look-alikes
            account = self.random.choice(INVESTORS)
            self.schedule(ts + int(self.random.expovariate(1 / 1.2) * NS) + NS // 10, invest)
            return [self._order(account, symbol, side, price, quantity, ts, tif)]

        return invest

    def _complying(self, symbol: str) -> Callable[[int], list[Command]]:
        def buy(ts: int) -> list[Command]:
            price = self.fair[symbol] + 10 * self.instruments[symbol].tick
            quantity = self.random.choice((300, 800, 1200))  # not the makers' sizes: no look-alikes
            account = self.random.choice(COMPLIANCE)
            self.schedule(ts + self._seconds(15, 45), buy)
            return [self._order(account, symbol, Side.BUY, price, quantity, ts, TimeInForce.IOC)]

        return buy

    def _spoofing(self, symbol: str) -> Callable[[int], list[Command]]:
        """A large bid under the market makers' to make the book look heavy, a sale into the
        market makers' bids a second or two later, then the large bid pulled after a few
        seconds: spoofing, paced like a person at a screen."""

        def lure(ts: int) -> list[Command]:
            tick = self.instruments[symbol].tick
            fair = self.fair[symbol]
            bid = self._order("MX1", symbol, Side.BUY, fair - 12 * tick, 20_000, ts)
            self.schedule(
                ts + self._seconds(1.2, 2.5), lambda t: [self._spoof_sale(symbol, fair, t)]
            )
            self.schedule(ts + self._seconds(3.5, 7.5), lambda t: [self._pull(symbol, bid, t)])
            self.schedule(ts + self._seconds(90, 240), lure)
            return [bid]

        return lure

    def _spoof_sale(self, symbol: str, fair: int, ts: int) -> NewOrder:
        price = fair - 8 * self.instruments[symbol].tick  # above the lure: never hits it
        return self._order("MX1", symbol, Side.SELL, price, 400, ts, TimeInForce.IOC)

    def _pull(self, symbol: str, order: NewOrder, ts: int) -> CancelOrder:
        return CancelOrder(ts, order.account, f"d{next(self.ids)}", symbol, order.client_order_id)

    def _washing(self, symbol: str) -> Callable[[int], list[Command]]:
        """Two accounts of one owner trading with each other, a second apart: a wash trade."""

        def wash(ts: int) -> list[Command]:
            price = self.fair[symbol]
            sell = self._order("MX2", symbol, Side.SELL, price, 300, ts)
            buy_at = ts + self._seconds(0.4, 1.5)
            self.schedule(
                buy_at,
                lambda t: [self._order("MX1", symbol, Side.BUY, price, 300, t, TimeInForce.IOC)],
            )
            self.schedule(ts + self._seconds(120, 240), wash)
            return [sell]

        return wash


async def _unless_stopped(work: Awaitable[None], stop: asyncio.Event) -> bool:
    """Runs `work` to its end, or abandons it when the exchange is told to stop (Ctrl-C
    during the demo's seeding must stop the process cleanly, not wait on an engine that is
    shutting down). True when the work finished."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait((task, stopping), return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False
    task.result()
    return True

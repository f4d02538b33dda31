"""The demo market: simulated members trading live, so a new user sees the exchange work.

Market makers quote both sides around a drifting fair value, compliance entities buy
toward the surrender deadline, investors trade both ways, and now and then a manipulator
spoofs the book or washes trades between two accounts of one owner, for surveillance to
catch. They act through the gateway like any member (commands stamped by the exchange's
clock), at a pace a person can follow on the dashboard.
"""

import asyncio
import contextlib
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
MANIPULATORS = ("MX1", "MX2")  # one beneficial owner: control group MX
ACTOR = "demo-setup"


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
                    50_000,
                    HoldingMovementKind.ALLOCATE,
                    f"demo-alloc-{account}-{symbol}",
                    ACTOR,
                )
            )
    return commands


class DemoMarket:
    def __init__(
        self,
        gateway: GatewayService,
        reference: ReferenceData,
        clock: Clock,
        seed: int = 2026,
        step_seconds: float = 0.25,
        registry_content: Callable[[], Awaitable[None]] | None = None,
    ):
        self.gateway = gateway
        self.clock = clock
        self.random = random.Random(seed)
        self.step_seconds = step_seconds
        self.ids = itertools.count(1)
        self.instruments = {s: reference.instruments[s] for s in INSTRUMENTS}
        self.fair = {s: i.reference_price for s, i in self.instruments.items()}
        self.bands = {
            s: price_band(i.reference_price, i.band_bps, i.tick)
            for s, i in self.instruments.items()
        }
        self.quotes: dict[tuple[str, str], list[str]] = {}  # (maker, symbol) -> live ids
        self.steps = 0
        self.closes = DemoCloses(reference.calendar, clock.now())
        self.registry_content = registry_content  # run once after the opening commands
        self.auction = DemoAuction(reference.calendar, self.random, COMPLIANCE, INVESTORS)

    async def run(self, stop: asyncio.Event) -> None:
        ts = self.clock.now()
        await self.gateway.submit(
            opening_commands(ts) + self.closes.opening(ts) + self.auction.opening(ts)
        )
        if self.registry_content is not None:
            await self.registry_content()
        while not stop.is_set():
            await self.gateway.submit(self.step())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.step_seconds)

    def step(self) -> list[Command]:
        """What the simulated members send in one step of the demo."""
        self.steps += 1
        ts = self.clock.now()
        commands: list[Command] = []
        for symbol in INSTRUMENTS:
            self._drift(symbol)
            if self.steps % 8 == 1:
                for maker in MARKET_MAKERS:
                    commands += self._requote(maker, symbol, ts)
            if self.random.random() < 0.35:
                commands.append(self._investor_order(symbol, ts))
            if self.random.random() < 0.08:
                commands.append(self._compliance_buy(symbol, ts))
        if self.steps % 240 == 120:
            commands += self._spoof("TJEA25", ts)
        if self.steps % 240 == 0:
            commands += self._wash("TJEA25", ts)
        commands += self.auction.step(ts, self.fair["TJEA25"])
        return commands + self.closes.due(ts)

    def _drift(self, symbol: str) -> None:
        tick = self.instruments[symbol].tick
        low, high = self.bands[symbol]
        step = self.random.choice((-2, -1, -1, 0, 0, 1, 1, 2)) * tick
        self.fair[symbol] = min(high - 20 * tick, max(low + 20 * tick, self.fair[symbol] + step))

    def _order(self, account, symbol, side, price, quantity, ts, tif=TimeInForce.DAY) -> NewOrder:
        return NewOrder(
            ts, account, f"d{next(self.ids)}", symbol, side, OrderType.LIMIT, tif, price, quantity
        )

    def _requote(self, maker: str, symbol: str, ts: int) -> list[Command]:
        tick = self.instruments[symbol].tick
        commands: list[Command] = [
            CancelOrder(ts, maker, f"d{next(self.ids)}", symbol, client_id)
            for client_id in self.quotes.get((maker, symbol), [])
        ]
        spread = self.random.randint(2, 6) * tick
        bid = self._order(maker, symbol, Side.BUY, self.fair[symbol] - spread, 500, ts)
        ask = self._order(maker, symbol, Side.SELL, self.fair[symbol] + spread, 500, ts)
        self.quotes[(maker, symbol)] = [bid.client_order_id, ask.client_order_id]
        return [*commands, bid, ask]

    def _investor_order(self, symbol: str, ts: int) -> NewOrder:
        """Four in ten cross the spread at once (IOC); the rest rest a few ticks away."""
        tick = self.instruments[symbol].tick
        side = self.random.choice((Side.BUY, Side.SELL))
        towards = 1 if side == Side.BUY else -1  # the direction that crosses the spread
        if self.random.random() < 0.4:
            price = self.fair[symbol] + towards * self.random.randint(1, 8) * tick
            tif = TimeInForce.IOC
        else:
            price = self.fair[symbol] - towards * self.random.randint(1, 10) * tick
            tif = TimeInForce.DAY
        quantity = self.random.choice((10, 20, 50, 100, 200))
        return self._order(self.random.choice(INVESTORS), symbol, side, price, quantity, ts, tif)

    def _compliance_buy(self, symbol: str, ts: int) -> NewOrder:
        price = self.fair[symbol] + 10 * self.instruments[symbol].tick
        quantity = self.random.choice((300, 800, 1200))  # not the makers' 500: no look-alikes
        return self._order(
            self.random.choice(COMPLIANCE), symbol, Side.BUY, price, quantity, ts, TimeInForce.IOC
        )

    def _spoof(self, symbol: str, ts: int) -> list[Command]:
        """A large bid under the market makers' to make the book look heavy, a sale into the
        market makers' bids above it, then the large bid pulled: spoofing."""
        tick = self.instruments[symbol].tick
        lure = self._order("MX1", symbol, Side.BUY, self.fair[symbol] - 12 * tick, 20_000, ts)
        sale = self._order(
            "MX1", symbol, Side.SELL, self.fair[symbol] - 6 * tick, 400, ts + 1, TimeInForce.IOC
        )
        pull = CancelOrder(ts + 2, "MX1", f"d{next(self.ids)}", symbol, lure.client_order_id)
        return [lure, sale, pull]

    def _wash(self, symbol: str, ts: int) -> list[Command]:
        """Two accounts of one owner trading with each other: a wash trade."""
        price = self.fair[symbol]
        sell = self._order("MX2", symbol, Side.SELL, price, 300, ts)
        buy = self._order("MX1", symbol, Side.BUY, price, 300, ts + 1, TimeInForce.IOC)
        return [sell, buy]

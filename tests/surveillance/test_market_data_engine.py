"""Market data against the real sequencer: after every command of a random stream the
published book equals the engine's own book, and the day's figures equal its close."""

import dataclasses
import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.commands import (
    AmendOrder,
    CancelOrder,
    EndOfDay,
    Halt,
    MassCancel,
    MoveCash,
    MoveHolding,
    NewOrder,
    OpenAccount,
    Resume,
)
from engine.events import DayClosed
from engine.memory_holds import MemoryHolds
from engine.money import format_cny
from engine.orders import (
    AccountKind,
    CashMovementKind,
    HoldingMovementKind,
    MassCancelScope,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from engine.reference import ReferenceData, load_reference_data
from engine.sequencer import Sequencer
from surveillance.market_data import (
    DailyBulletin,
    Depth,
    InstrumentState,
    MarketDataPublisher,
    Quote,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
INSTRUMENTS = ("TJEA25", "CCER")
ACCOUNTS = {"A1": ("M1", "G1"), "A2": ("M1", "G1"), "B1": ("M2", ""), "C1": ("M3", "")}
REFERENCE = load_reference_data()


def at(hh: int, mm: int, ss: int = 0) -> int:
    moment = dt.datetime(2026, 11, 24, hh, mm, ss, tzinfo=SHANGHAI)
    return int(moment.timestamp()) * 1_000_000_000


class Market:
    """The real sequencer feeding a publisher, command by command."""

    def __init__(self, reference: ReferenceData):
        self.sequencer = Sequencer(reference, MemoryHolds())
        self.publisher = MarketDataPublisher(reference, tape_length=10_000)
        self.messages: list = []
        for account, (member, group) in ACCOUNTS.items():
            self.apply(OpenAccount(0, account, member, AccountKind.INVESTOR, group, 0, "t"))
            self.apply(
                MoveCash(0, account, 10**12, CashMovementKind.DEPOSIT, f"cash-{account}", "t")
            )
            for symbol in INSTRUMENTS:
                self.apply(
                    MoveHolding(
                        0, account, symbol, 10**6, HoldingMovementKind.ALLOCATE,
                        f"{account}-{symbol}", "t",
                    )
                )  # fmt: skip

    def apply(self, command) -> list:
        events = self.sequencer.apply(command)
        messages = self.publisher.apply_all(events)
        self.messages += messages
        return events

    def engine_levels(self, symbol: str, side: int) -> dict[int, tuple[int, int]]:
        levels: dict[int, tuple[int, int]] = {}
        for order in self.sequencer.listings[symbol].book.orders(side):
            quantity, count = levels.get(order.price, (0, 0))
            levels[order.price] = (quantity + order.leaves, count + 1)
        return levels

    def last(self, kind, symbol: str):
        for message in reversed(self.messages):
            if isinstance(message, kind) and message.instrument == symbol:
                return message
        return None


_ORDER_KINDS = [(OrderType.LIMIT, TimeInForce.DAY)] * 5 + [
    (OrderType.LIMIT, TimeInForce.IOC),
    (OrderType.LIMIT, TimeInForce.FOK),
    (OrderType.MARKET, TimeInForce.IOC),
]


def run(market: Market, rng: random.Random, commands: int, check_every_step: bool) -> None:
    """`commands` random commands, mostly orders a few ticks either side of the reference
    (so they cross often), with cancels, amends, mass cancels and halts among them."""
    ts = at(9, 30)
    for number in range(commands):
        ts += 7_000_000_000  # 7 s apart: the bars change minute every few commands
        roll = rng.random()
        live = list(market.sequencer.orders.values())
        if roll < 0.12 and live:
            order = rng.choice(live)
            market.apply(
                CancelOrder(ts, order.account, f"x{number}", order.instrument, "", order.order_id)
            )
        elif roll < 0.24 and live:
            order = rng.choice(live)
            price = REFERENCE.instruments[order.instrument].reference_price + rng.randint(-5, 5)
            quantity = order.filled + rng.randint(1, 300)
            market.apply(
                AmendOrder(
                    ts, order.account, f"a{number}", order.instrument, "", price, quantity,
                    order.order_id,
                )
            )  # fmt: skip
        elif roll < 0.27:
            market.apply(
                MassCancel(ts, f"m{number}", MassCancelScope.ACCOUNT, rng.choice(list(ACCOUNTS)))
            )
        elif roll < 0.30:  # a halt, a refused order, a resume
            symbol = rng.choice(["", *INSTRUMENTS])
            market.apply(Halt(ts, symbol, "sup", "test"))
            halted = INSTRUMENTS if symbol == "" else (symbol,)
            assert {market.last(InstrumentState, s).status for s in halted} == {"halted"}
            market.apply(NewOrder(ts, "B1", f"h{number}", "TJEA25", Side.BUY, 2, 0, 5000, 1))
            market.apply(Resume(ts, symbol, "sup", "test"))
            assert {market.last(InstrumentState, s).status for s in halted} == {"trading"}
        else:
            symbol = rng.choice(INSTRUMENTS)
            order_type, tif = rng.choice(_ORDER_KINDS)
            price = REFERENCE.instruments[symbol].reference_price + rng.randint(-5, 5)
            market.apply(
                NewOrder(
                    ts, rng.choice(list(ACCOUNTS)), f"n{number}", symbol,
                    rng.choice((Side.BUY, Side.SELL)), order_type, tif, price,
                    rng.randint(1, 300),
                )
            )  # fmt: skip
        if check_every_step:
            assert_books_match(market)


def assert_books_match(market: Market) -> None:
    """The published book equals the engine's, and no quote ever showed it crossed."""
    for quote in market.messages:
        if isinstance(quote, Quote) and quote.bid_price and quote.ask_price:
            assert float(quote.bid_price) < float(quote.ask_price)
    for symbol in INSTRUMENTS:
        for side, name in ((Side.BUY, "bids"), (Side.SELL, "asks")):
            engine = market.engine_levels(symbol, side)
            assert market.publisher.depth(symbol, side) == engine
            best_five = sorted(engine.items(), reverse=side == Side.BUY)[:5]
            depth = market.last(Depth, symbol)
            published = [(lv.price, lv.quantity, lv.orders) for lv in getattr(depth, name)]
            assert published == [(format_cny(p), q, n) for p, (q, n) in best_five]
            quote = market.last(Quote, symbol)
            best = format_cny(best_five[0][0]) if best_five else None
            assert getattr(quote, name[:3] + "_price") == best


def with_prevention(prevention: SelfTradePrevention) -> ReferenceData:
    rules = dataclasses.replace(REFERENCE.rules, self_trade_prevention=prevention)
    return dataclasses.replace(REFERENCE, rules=rules)


@pytest.mark.parametrize("prevention", list(SelfTradePrevention))
@settings(max_examples=60, deadline=None)
@given(rng=st.randoms(use_true_random=False), commands=st.integers(1, 150))
def test_published_depth_equals_the_engine_book_after_every_command(prevention, rng, commands):
    market = Market(with_prevention(prevention))
    # a quote and depth for every instrument exist from the start, as a subscriber sees them
    market.messages += [market.publisher.snapshot(symbol).depth for symbol in INSTRUMENTS]
    market.messages += [market.publisher.snapshot(symbol).quote for symbol in INSTRUMENTS]
    market.messages += [market.publisher.snapshot(symbol).state for symbol in INSTRUMENTS]
    run(market, rng, commands, check_every_step=True)


@settings(max_examples=25, deadline=None)
@given(rng=st.randoms(use_true_random=False), commands=st.integers(0, 200))
def test_the_day_figures_equal_the_engine_close(rng, commands):
    market = Market(REFERENCE)
    run(market, rng, commands, check_every_step=False)
    tapes = {symbol: market.publisher.tape(symbol) for symbol in INSTRUMENTS}
    bars = {symbol: market.publisher.bars(symbol) for symbol in INSTRUMENTS}
    events = market.apply(EndOfDay(at(15, 30), "2026-11-24"))

    closes = {e.instrument: e for e in events if isinstance(e, DayClosed)}
    for symbol in INSTRUMENTS:
        closed = closes[symbol]
        bulletin = market.publisher.store.latest(symbol)
        assert isinstance(bulletin, DailyBulletin)
        volume = sum(trade.quantity for trade in tapes[symbol])
        assert volume == closed.volume == bulletin.volume
        assert sum(bar.volume for bar in bars[symbol]) == volume
        assert sum(bar.trades for bar in bars[symbol]) == len(tapes[symbol])
        turnover = sum(int(t.price.replace(".", "")) * t.quantity for t in tapes[symbol])
        assert turnover == closed.turnover
        assert bulletin.turnover == format_cny(turnover)
        reference = REFERENCE.instruments[symbol].reference_price
        if volume:
            vwap = (2 * turnover + volume) // (2 * volume)  # to the 1-fen tick, half up
            assert bulletin.close == format_cny(vwap) and not bulletin.carried_over
            assert bulletin.open == tapes[symbol][0].price
            assert bulletin.high == max((t.price for t in tapes[symbol]), key=float)
        else:
            assert bulletin.close == format_cny(reference) and bulletin.carried_over
        assert bulletin.previous_close == format_cny(reference)
        assert market.publisher.snapshot(symbol).state.reference_price == bulletin.close
        assert market.publisher.depth(symbol, Side.BUY) == {}  # day orders expired

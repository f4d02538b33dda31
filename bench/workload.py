"""A seeded order-flow workload for one instrument, as sequencer commands.

The accounts are a market's: a fifth are compliance entities holding their allocation
(100,000 to 2,000,000 t), the rest investors holding 300,000 t, well inside the
1,000,000 t position limit per class, so settlement's holds refuse nothing the flow
sends (no account buys more than its limit leaves room for) and the benchmark measures
accepted orders. Cash is 100 million CNY each, far more than one account's buys
reach in a default run.

1,000 resting orders as warm-up, then the timed events: about 60% limit day orders
resting near the mid, 30% cancels of resting orders and 10% marketable IOC orders that
cross the spread, prices on the 0.01 grid around 50.00 and within its ±10% band.
The generator runs the orders through a book as it goes, so every cancel names an order
that is still resting and every marketable order really trades.
"""

import random
from dataclasses import dataclass

from engine.book import Book
from engine.commands import CancelOrder, Command, MoveCash, MoveHolding, NewOrder, OpenAccount
from engine.order import Order
from engine.orders import (
    AccountKind,
    CashMovementKind,
    HoldingMovementKind,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
)

SYMBOL = "TJEA25"
MID = 5000  # fen: 50.00, TJEA25's reference price in the shipped reference data
BAND = (4500, 5500)
TICK = 1
ACCOUNTS = 100
COMPLIANCE_EVERY = 5  # every fifth account is a compliance entity
INVESTOR_TONNES = 300_000
CASH = 10**10  # fen: 100 million CNY
MAX_QUANTITY = 100
# 2026-11-24 10:00 Beijing time: inside the morning session of a trading day
SESSION_TS = 1_795_485_600_000_000_000
# plain ints, as decoded commands carry them
_BUY, _SELL = int(Side.BUY), int(Side.SELL)
_DAY, _IOC, _LIMIT = int(TimeInForce.DAY), int(TimeInForce.IOC), int(OrderType.LIMIT)


@dataclass(frozen=True)
class Workload:
    setup: list[Command]  # accounts, cash and tonnes: enough for every order
    warmup: list[NewOrder]
    timed: list[NewOrder | CancelOrder]


def generate(events: int = 200_000, warmup: int = 1_000, seed: int = 1) -> Workload:
    rng = random.Random(seed)
    book = Book(*BAND, TICK)
    resting = _Resting()
    counter = 0

    def new_order(marketable: bool) -> NewOrder:
        nonlocal counter
        counter += 1
        side = rng.choice((_BUY, _SELL))
        account = f"ACC{rng.randrange(ACCOUNTS):03d}"
        client_order_id = f"o{counter}"
        if marketable:  # through the other side's best by up to five ticks
            best = (book.best_ask() if side == _BUY else book.best_bid()) or MID
            offset = rng.randint(0, 5)
            price = best + offset if side == _BUY else best - offset
            time_in_force = _IOC
        else:
            offset = rng.randint(1, 50)
            price = MID - offset if side == _BUY else MID + offset
            time_in_force = _DAY
        quantity = rng.randint(1, MAX_QUANTITY)
        order = Order(counter, account, account, client_order_id, SYMBOL, side, price, quantity)
        fills, _ = book.match(order, price, SelfTradePrevention.CANCEL_INCOMING)
        for met, _ in fills:
            if not met.leaves:
                resting.remove(met.client_order_id)
        if order.leaves and time_in_force == _DAY:
            book.add(order)
            resting.add(order)
        return NewOrder(
            SESSION_TS,
            account,
            client_order_id,
            SYMBOL,
            side,
            _LIMIT,
            time_in_force,
            price,
            quantity,
        )

    def cancel() -> CancelOrder:
        order = resting.pick(rng)
        book.remove(order)
        resting.remove(order.client_order_id)
        return CancelOrder(
            SESSION_TS, order.account, f"c{order.client_order_id}", SYMBOL, order.client_order_id
        )

    warm = [new_order(marketable=False) for _ in range(warmup)]
    timed: list[NewOrder | CancelOrder] = []
    for _ in range(events):
        draw = rng.random()
        if draw < 0.3 and resting.orders:
            timed.append(cancel())
        else:
            timed.append(new_order(marketable=draw >= 0.9))
    return Workload(_setup(), warm, timed)


class _Resting:
    """The resting orders by client id, with O(1) add, remove and uniform random pick."""

    def __init__(self) -> None:
        self.orders: list[Order] = []
        self.index: dict[str, int] = {}

    def add(self, order: Order) -> None:
        self.index[order.client_order_id] = len(self.orders)
        self.orders.append(order)

    def remove(self, client_order_id: str) -> None:
        position = self.index.pop(client_order_id)
        last = self.orders.pop()
        if last.client_order_id != client_order_id:
            self.orders[position] = last
            self.index[last.client_order_id] = position

    def pick(self, rng: random.Random) -> Order:
        return self.orders[rng.randrange(len(self.orders))]


def _setup() -> list[Command]:
    rng = random.Random(0)
    commands: list[Command] = []
    for number in range(ACCOUNTS):
        account = f"ACC{number:03d}"
        if number % COMPLIANCE_EVERY == 0:
            kind, allocation = AccountKind.COMPLIANCE, rng.randrange(100_000, 2_000_001, 1_000)
            tonnes = allocation
        else:
            kind, allocation, tonnes = AccountKind.INVESTOR, 0, INVESTOR_TONNES
        commands += [
            OpenAccount(0, account, f"M{number % 10}", kind, "", allocation, "bench"),
            MoveCash(0, account, CASH, CashMovementKind.DEPOSIT, f"cash-{account}", "bench"),
            MoveHolding(
                0, account, SYMBOL, tonnes, HoldingMovementKind.ALLOCATE, f"t-{account}", "bench"
            ),
        ]
    return commands

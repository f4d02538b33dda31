"""Invariants of the sequencer on random command streams (hypothesis): the book is
never crossed at rest, each level is FIFO, quantities and holds are conserved, and
replay or snapshot/restore reproduce the same state."""

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.commands import (
    AmendOrder,
    CancelOrder,
    Command,
    EndOfDay,
    Halt,
    MassCancel,
    MoveCash,
    MoveHolding,
    NewOrder,
    OpenAccount,
    Resume,
)
from engine.events import (
    Event,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    Trade,
    encode_event,
)
from engine.memory_holds import MemoryHolds
from engine.orders import (
    AccountKind,
    CashMovementKind,
    HoldingMovementKind,
    MassCancelScope,
    OrderType,
)
from engine.reference import ReferenceData
from engine.sequencer import Sequencer
from tests.engine.conftest import ACCOUNTS, OPEN
from tests.engine.flow import BUY, DAY, FOK, IOC, SELL

INSTRUMENTS = {"TJEA25": 5000, "TJEA24": 4850}
CASH = 2_000_000  # fen: enough for a few orders, so some are refused for cash
TONNES = 300


def setup() -> list[Command]:
    commands: list[Command] = []
    for account, (member, group) in ACCOUNTS.items():
        commands.append(OpenAccount(0, account, member, AccountKind.INVESTOR, group, 0, "t"))
        commands.append(MoveCash(0, account, CASH, CashMovementKind.DEPOSIT, f"c-{account}", "t"))
        for symbol in INSTRUMENTS:
            commands.append(
                MoveHolding(
                    0,
                    account,
                    symbol,
                    TONNES,
                    HoldingMovementKind.ALLOCATE,
                    f"h{account}{symbol}",
                    "t",
                )
            )
    return commands


accounts = st.sampled_from(sorted(ACCOUNTS))
symbols = st.sampled_from(sorted(INSTRUMENTS))
client_ids = st.integers(0, 8).map(lambda n: f"o{n}")


@st.composite
def new_order(draw: st.DrawFn) -> NewOrder:
    symbol = draw(symbols)
    order_type, time_in_force = draw(
        st.sampled_from(
            [(OrderType.LIMIT, DAY)] * 4
            + [(OrderType.LIMIT, IOC), (OrderType.LIMIT, FOK), (OrderType.MARKET, IOC)]
        )
    )
    return NewOrder(
        OPEN,
        draw(accounts),
        draw(client_ids),
        symbol,
        draw(st.sampled_from([BUY, SELL])),
        int(order_type),
        time_in_force,
        INSTRUMENTS[symbol] + draw(st.integers(-4, 4)),
        draw(st.integers(1, 60)),
    )


@st.composite
def other_command(draw: st.DrawFn) -> Command | tuple:
    """A command, or for cancels and amends a recipe that `resolve` turns into one
    naming a live order (or an unknown one, for pick -1 or an empty book)."""
    symbol = draw(symbols)
    kind = draw(st.sampled_from(["cancel"] * 3 + ["amend"] * 4 + ["mass", "halt", "eod"]))
    if kind in ("cancel", "amend"):
        return (
            kind,
            draw(st.integers(-1, 12)),
            draw(st.integers(-4, 4)),
            draw(st.integers(1, 60)),
            draw(st.integers(0, 1000)),
        )
    if kind == "mass":
        return MassCancel(OPEN, "m", MassCancelScope.ACCOUNT, account=draw(accounts))
    if kind == "halt":
        halt_or_resume = draw(st.sampled_from([Halt, Resume]))
        return halt_or_resume(OPEN, draw(st.sampled_from(["", symbol])), "s", "r")
    return EndOfDay(OPEN, "2026-11-24")


def resolve(sequencer: Sequencer, item: Command | tuple) -> Command:
    if not isinstance(item, tuple):
        return item
    kind, pick, offset, quantity, new_id = item
    live = list(sequencer.orders.values())
    if pick >= 0 and live:
        order = live[pick % len(live)]
        account, symbol, orig = order.account, order.instrument, order.client_order_id
    else:
        account, symbol, orig = "A1", "TJEA25", "never-used"
    if kind == "cancel":
        return CancelOrder(OPEN, account, "x", symbol, orig)
    price = INSTRUMENTS[symbol] + offset
    return AmendOrder(OPEN, account, f"a{new_id}", symbol, orig, price, quantity)


streams = st.lists(st.one_of(new_order(), new_order(), other_command()), min_size=5, max_size=80)


class Ledger:
    """What the events say about each order, to check the engine's state against."""

    def __init__(self) -> None:
        self.total: dict[int, int] = {}  # order quantity, after amends
        self.traded: dict[int, int] = defaultdict(int)
        self.queued: dict[int, int] = {}  # seq at which the order joined its level's queue
        self.gone: set[int] = set()
        self.last_seq = 0

    def read(self, events: list[Event]) -> None:
        for event in events:
            assert event.seq == self.last_seq + 1, "sequence numbers have a gap"
            self.last_seq = event.seq
            kind = type(event)
            if kind is OrderAccepted:
                self.total[event.order_id] = event.quantity
                self.queued[event.order_id] = event.seq
            elif kind is Trade:
                self.traded[event.buy_order_id] += event.quantity
                self.traded[event.sell_order_id] += event.quantity
                for order_id, leaves in (
                    (event.buy_order_id, event.buy_leaves),
                    (event.sell_order_id, event.sell_leaves),
                ):
                    assert leaves == self.total[order_id] - self.traded[order_id]
                    if not leaves:
                        self.gone.add(order_id)
            elif kind is OrderAmended:
                self.total[event.order_id] = event.quantity
                assert event.leaves == event.quantity - self.traded[event.order_id]
                if not event.priority_kept:
                    self.queued[event.order_id] = event.seq
            elif kind is OrderCancelled:
                assert event.filled_quantity == self.traded[event.order_id]
                assert (
                    event.cancelled_quantity + event.filled_quantity == self.total[event.order_id]
                )
                self.gone.add(event.order_id)


def check_invariants(sequencer: Sequencer, ledger: Ledger) -> None:
    holds: MemoryHolds = sequencer.holds
    reserved_cash: dict[str, int] = defaultdict(int)
    reserved_tonnes: dict[tuple[str, str], int] = defaultdict(int)
    for symbol, listing in sequencer.listings.items():
        book = listing.book
        bid, ask = book.best_bid(), book.best_ask()
        assert not (bid and ask and bid >= ask), f"{symbol} rests crossed"
        for side in (BUY, SELL):
            by_price: dict[int, list[int]] = defaultdict(list)
            for order in book.orders(side):
                by_price[order.price].append(ledger.queued[order.order_id])
                assert order.order_id not in ledger.gone
                assert order.filled == ledger.traded[order.order_id]
                assert order.leaves > 0
                assert order.leaves + order.filled == ledger.total[order.order_id]
                if side == BUY:
                    reserved_cash[order.account] += order.leaves * order.price
                else:
                    reserved_tonnes[order.account, symbol] += order.leaves
            for queue in by_price.values():
                assert queue == sorted(queue), "a level is not FIFO"
    live = sum(
        len(listing.book.orders(side))
        for listing in sequencer.listings.values()
        for side in (BUY, SELL)
    )
    assert live == len(sequencer.orders) == len(holds.reservations)
    assert sum(a.cash for a in holds.accounts.values()) == CASH * len(ACCOUNTS)
    for name, account in holds.accounts.items():
        assert account.reserved == reserved_cash[name]
        assert 0 <= account.reserved <= account.cash
        for symbol, position in account.positions.items():
            assert position.reserved == reserved_tonnes[name, symbol]
            assert 0 <= position.reserved <= position.tonnes
    for symbol in INSTRUMENTS:
        total = sum(a.positions[symbol].tonnes for a in holds.accounts.values())
        assert total == TONNES * len(ACCOUNTS)


def run(reference: ReferenceData, stream: list) -> tuple[Sequencer, list[Command], list[bytes]]:
    """Runs `stream`; returns the commands as applied and their events."""
    sequencer = Sequencer(reference, MemoryHolds())
    commands, events = [], []
    for item in stream:
        command = resolve(sequencer, item)
        commands.append(command)
        events += [encode_event(e) for e in sequencer.apply(command)]
    return sequencer, commands, events


@settings(max_examples=150, deadline=None)
@given(streams)
def test_invariants_hold_after_every_command(reference: ReferenceData, stream: list) -> None:
    sequencer = Sequencer(reference, MemoryHolds())
    ledger = Ledger()
    for command in setup():
        ledger.read(sequencer.apply(command))
    for item in stream:
        ledger.read(sequencer.apply(resolve(sequencer, item)))
        check_invariants(sequencer, ledger)


@settings(max_examples=60, deadline=None)
@given(streams, streams)
def test_replay_and_snapshot_restore_reproduce_the_state(
    reference: ReferenceData, first: list, then: list
) -> None:
    original, commands, events = run(reference, setup() + first)
    replayed, _, replayed_events = run(reference, commands)
    assert replayed_events == events
    assert replayed.state_hash() == original.state_hash()
    assert replayed.snapshot() == original.snapshot()

    restored = Sequencer(reference, MemoryHolds())
    restored.restore(original.snapshot())
    assert restored.state_hash() == original.state_hash()
    assert restored.next_seq == original.next_seq
    assert restored.snapshot() == original.snapshot()
    # and the restored one carries on exactly as the original does
    for item in then:
        command = resolve(original, item)
        assert [encode_event(e) for e in restored.apply(command)] == [
            encode_event(e) for e in original.apply(command)
        ]
    assert restored.snapshot() == original.snapshot()

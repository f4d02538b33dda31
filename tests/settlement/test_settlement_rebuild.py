"""Start-up: holds rebuilt from the registry plus the open orders, differences reported."""

from settlement_builders import EventLog, with_fees

from engine.order import Order
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind, Side
from engine.reasons import Reason
from engine.reference import ReferenceData
from settlement.holds import SettlementHolds
from settlement.ledger import Ledger
from settlement.rebuild import rebuild_holds


def live(order_id: int, account: str, side: int, leaves: int, price: int) -> Order:
    """An order resting on the engine's book, as the sequencer hands it over."""
    return Order(order_id, account, account, f"c{order_id}", "TJEA25", side, price, leaves)


def trading_day(reference: ReferenceData) -> tuple[SettlementHolds, Ledger, list[Order]]:
    """Holds driven as the sequencer would, the same history booked in a ledger."""
    holds = SettlementHolds(reference)
    log = EventLog()
    events = []
    for name in ("BUYER", "SELLER"):
        holds.open_account(name, AccountKind.INVESTOR, 0)
        events.append(log.open(name))
    holds.move_cash("BUYER", 10_000_000, CashMovementKind.DEPOSIT)
    holds.move_holding("SELLER", "TJEA25", 1_000, HoldingMovementKind.ALLOCATE)
    holds.move_holding("SELLER", "TJEA25", 100, HoldingMovementKind.PLEDGE)
    events += [
        log.cash("BUYER", 10_000_000),
        log.holding("SELLER", 1_000),
        log.holding("SELLER", 100, HoldingMovementKind.PLEDGE),
        log.trade("BUYER", "SELLER", 10, 5_000),
        log.close("2026-11-24"),
    ]
    holds.reserve(1, "BUYER", "TJEA25", Side.BUY, 10, 5_000)
    holds.reserve(2, "SELLER", "TJEA25", Side.SELL, 10, 5_000)
    holds.fill(1, 2, 10, 5_000)
    holds.release(1)
    holds.release(2)
    holds.roll_day()
    # the next day: a trade, and two orders left on the book (one partly filled)
    holds.reserve(3, "BUYER", "TJEA25", Side.BUY, 100, 5_100)
    holds.reserve(4, "SELLER", "TJEA25", Side.SELL, 300, 4_950)
    holds.fill(3, 4, 40, 4_950)
    events.append(log.trade("BUYER", "SELLER", 40, 4_950))
    ledger = Ledger.open(":memory:", reference)
    assert ledger.book(events) == []
    return (
        holds,
        ledger,
        [live(3, "BUYER", Side.BUY, 60, 5_100), live(4, "SELLER", Side.SELL, 260, 4_950)],
    )


def test_rebuilt_holds_equal_the_running_ones(reference):
    reference = with_fees(reference, 20)
    running, ledger, open_orders = trading_day(reference)
    rebuilt = rebuild_holds(ledger, reference, open_orders, running=running)
    assert rebuilt.differences == []
    assert rebuilt.holds.snapshot() == running.snapshot()
    buyer = rebuilt.holds.account("BUYER")
    assert buyer.holdings["TJEA25"].bought_today == 40  # T+1 rebuilt from today's trades
    assert buyer.holdings["TJEA25"].available == 10
    assert rebuilt.holds.account("SELLER").proceeds_today == 40 * 4_950 - 40 * 4_950 * 20 // 10_000


def test_every_difference_is_named(reference):
    reference = with_fees(reference, 20)
    running, ledger, open_orders = trading_day(reference)
    running.move_cash("BUYER", 123, CashMovementKind.DEPOSIT)  # never reached the registry
    running.release(4)
    rebuilt = rebuild_holds(ledger, reference, open_orders, running=running)
    assert rebuilt.differences == [
        "account BUYER cash: registry 9751504, holds 9751627",
        "account SELLER TJEA25 available: registry 590, holds 850",
        "account SELLER TJEA25 held: registry 260, holds 0",
        "order 4: in the registry, missing from the holds",
    ]


def test_an_open_order_the_registry_cannot_cover_is_reported(reference):
    _, ledger, _ = trading_day(reference)
    rebuilt = rebuild_holds(ledger, reference, [live(9, "SELLER", Side.SELL, 5_000, 1)])
    assert len(rebuilt.differences) == 1
    assert rebuilt.differences[0].startswith("open order 9 (SELLER sell 5000 TJEA25 at 1)")
    assert "not enough tradable holdings" in rebuilt.differences[0]
    assert rebuilt.holds.reserve(10, "SELLER", "TJEA25", Side.SELL, 1, 1) == Reason.OK

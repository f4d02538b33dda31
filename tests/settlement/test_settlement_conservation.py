"""Property: across any sequence of orders, fills, cancels, amends, deposits, withdrawals
and registry transfers, cash and tonnes are conserved to the fen and the tonne, every
reservation adds up, and the registry ledger booking the same events agrees with the holds."""

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from settlement_builders import EventLog, with_fees

from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind, Side
from engine.reasons import Reason
from engine.reference import ReferenceData
from settlement.booking import AVAILABLE, FROZEN, PLEDGED
from settlement.holds import SettlementHolds
from settlement.ledger import Ledger

ACCOUNTS = ("A", "B", "C")
INSTRUMENTS = ("TJEA25", "CCER")
K = HoldingMovementKind
INTO = {K.ALLOCATE, K.TRANSFER_IN, K.REVERSE_SURRENDER, K.ENFORCE_RECEIVE}
OUT = {K.TRANSFER_OUT, K.CANCEL, K.SURRENDER, K.RETURN, K.CANCEL_FROZEN, K.ENFORCE}

order = st.tuples(
    st.just("order"),
    st.sampled_from(ACCOUNTS),
    st.sampled_from(INSTRUMENTS),
    st.sampled_from([Side.BUY, Side.SELL]),
    st.integers(-1, 400),
    st.sampled_from([0, 4_900, 4_950, 5_000, 5_050, 5_100]),  # few prices, so orders cross
)
fill = st.tuples(st.just("fill"), st.integers(0, 10**6), st.integers(1, 400), st.integers(0, 10**6))
BRANCHES = [
    order,
    fill,
    st.tuples(st.just("release"), st.integers(0, 10**6)),
    st.tuples(st.just("amend"), st.integers(0, 10**6), st.integers(-1, 400), st.integers(1, 6000)),
    st.tuples(st.just("cash"), st.sampled_from(ACCOUNTS), st.integers(-10, 3_000_000),
              st.sampled_from(list(CashMovementKind))),
    st.tuples(st.just("holding"), st.sampled_from(ACCOUNTS), st.sampled_from(INSTRUMENTS),
              st.integers(-1, 500), st.sampled_from(list(HoldingMovementKind))),
    st.tuples(st.just("roll_day")),
]  # fmt: skip
# Orders and fills are drawn more often than the rest, so books fill up and cross.
operation = st.sampled_from([0, 0, 0, 0, 1, 1, 1, 2, 3, 4, 5, 6]).flatmap(BRANCHES.__getitem__)


def check_invariants(holds: SettlementHolds, cash_in: int, tonnes_in: dict[str, int]) -> None:
    state = holds.state()
    assert sum(a.cash for a in state.accounts) + state.fees_collected == cash_in
    for symbol in INSTRUMENTS:
        held = sum(
            h.available + h.held + h.bought_today + h.pledged + h.frozen
            for a in state.accounts
            for h in a.holdings
            if h.instrument == symbol
        )
        assert held == tonnes_in[symbol]
    for account in state.accounts:
        reservations = [r for r in state.reservations if r.account == account.account]
        assert account.cash_held == sum(r.cash for r in reservations if r.side == Side.BUY)
        assert 0 <= account.cash_held <= account.cash
        assert account.proceeds_today >= 0
        for h in account.holdings:
            assert min(h.available, h.held, h.bought_today, h.pledged, h.frozen) >= 0
            assert h.held == sum(
                r.leaves
                for r in reservations
                if r.side == Side.SELL and r.instrument == h.instrument
            )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=st.lists(operation, min_size=20, max_size=100))
def test_cash_and_tonnes_are_conserved_and_the_registry_agrees(
    reference: ReferenceData, operations
):
    reference = with_fees(reference, 30)
    holds = SettlementHolds(reference)
    log = EventLog()
    events = []
    for name in ACCOUNTS:
        assert holds.open_account(name, AccountKind.INVESTOR, 0) == Reason.OK
        assert holds.move_cash(name, 50_000_000, CashMovementKind.DEPOSIT) == Reason.OK
        events += [log.open(name), log.cash(name, 50_000_000)]
        for symbol in INSTRUMENTS:
            assert holds.move_holding(name, symbol, 2_000, HoldingMovementKind.ALLOCATE) == 0
            events.append(log.holding(name, 2_000, HoldingMovementKind.ALLOCATE, symbol))
    cash_in = 50_000_000 * len(ACCOUNTS)
    tonnes_in = dict.fromkeys(INSTRUMENTS, 2_000 * len(ACCOUNTS))
    orders: dict[int, tuple[str, str, int, int]] = {}  # live: account, instrument, side, price
    next_id = 1
    for op in operations:
        kind = op[0]
        if kind == "order":
            _, account, symbol, side, quantity, price = op
            if holds.reserve(next_id, account, symbol, side, quantity, price) == Reason.OK:
                orders[next_id] = (account, symbol, side, price)
            next_id += 1
        elif kind == "fill":
            pairs = [
                (buy, sell)
                for buy, (buyer, symbol, side, limit) in sorted(orders.items())
                for sell, (seller, sold, other, ask) in sorted(orders.items())
                if side == Side.BUY and other == Side.SELL and symbol == sold
                and buyer != seller and ask <= limit
            ]  # fmt: skip
            if not pairs:
                continue
            buy, sell = pairs[op[1] % len(pairs)]
            (buyer, symbol, _, limit), (seller, _, _, ask) = orders[buy], orders[sell]
            leaves = {r.order_id: r.leaves for r in holds.state().reservations}
            quantity = min(op[2], leaves[buy], leaves[sell])
            price = ask + op[3] % (limit - ask + 1)
            holds.fill(buy, sell, quantity, price)
            events.append(log.trade(buyer, seller, quantity, price, symbol))
            for order_id in (buy, sell):
                if leaves[order_id] == quantity:
                    holds.release(order_id)
                    del orders[order_id]
        elif kind == "release" and orders:
            order_id = sorted(orders)[op[1] % len(orders)]
            holds.release(order_id)
            del orders[order_id]
        elif kind == "amend" and orders:
            order_id = sorted(orders)[op[1] % len(orders)]
            if holds.amend(order_id, op[2], op[3]) == Reason.OK:
                orders[order_id] = (*orders[order_id][:3], op[3])
        elif kind == "cash":
            _, account, amount, movement = op
            if holds.move_cash(account, amount, movement) == Reason.OK:
                cash_in += amount if movement == CashMovementKind.DEPOSIT else -amount
                events.append(log.cash(account, amount, movement))
        elif kind == "holding":
            _, account, symbol, quantity, movement = op
            if holds.move_holding(account, symbol, quantity, movement) == Reason.OK:
                tonnes_in[symbol] += (
                    quantity if movement in INTO else -quantity if movement in OUT else 0
                )
                events.append(log.holding(account, quantity, movement, symbol))
        elif kind == "roll_day":
            holds.roll_day()
        check_invariants(holds, cash_in, tonnes_in)

    event(f"trades booked: {min(sum(type(e).__name__ == 'Trade' for e in events), 3)}+")
    copy = SettlementHolds(reference)
    copy.restore(holds.snapshot())
    assert copy.snapshot() == holds.snapshot()

    ledger = Ledger.open(":memory:", reference)
    assert ledger.book(events) == []
    assert ledger.verify() == []
    assert ledger.balance("@fees", "CNY", "cash") == holds.fees_collected
    for account in holds.state().accounts:
        assert ledger.balance(account.account, "CNY", "cash") == account.cash
        for h in account.holdings:
            available = h.available + h.held + h.bought_today
            assert ledger.balance(account.account, h.instrument, AVAILABLE) == available
            assert ledger.balance(account.account, h.instrument, PLEDGED) == h.pledged
            assert ledger.balance(account.account, h.instrument, FROZEN) == h.frozen
    ledger.close()

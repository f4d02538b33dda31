"""End to end: the real engine Sequencer with settlement's holds, administration through
commands, its events booked into the registry ledger in arbitrary batches; cash and
tonnes conserved, the registry agreeing with the holds, statements reconciling, and the
holds rebuilt from the registry at start-up identical to the running ones."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from settlement_builders import with_fees

from engine.commands import AmendOrder, CancelOrder, Command, EndOfDay, NewOrder
from engine.events import Event, OrderAccepted, Trade
from engine.orders import (
    AccountKind,
    CashMovementKind,
    HoldingMovementKind,
    OrderType,
    Side,
    TimeInForce,
)
from engine.reasons import Reason
from engine.reference import ReferenceData
from engine.sequencer import Sequencer
from settlement.administration import Administration, AdministrationError
from settlement.booking import AVAILABLE, CASH, CNY, FEES, FROZEN, PLEDGED
from settlement.holds import SettlementHolds
from settlement.ledger import Ledger
from settlement.rebuild import rebuild_holds
from settlement.statements import end_of_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 24)  # a Tuesday
ACCOUNTS = ("A", "B", "C")
SYMBOLS = ("TJEA25", "CCER")
PRICES = {"TJEA25": (4_600, 4_900, 5_000, 5_100, 5_400), "CCER": (5_500, 6_000, 6_500)}


def at(day: dt.date, minute: int) -> int:
    moment = dt.datetime.combine(day, dt.time(10), SHANGHAI) + dt.timedelta(minutes=minute)
    return int(moment.timestamp()) * 1_000_000_000


class Exchange:
    """The real pieces wired as the composition root will: sequencer + holds, every
    event journaled, administration submitting through the sequencer."""

    def __init__(self, reference: ReferenceData):
        self.holds = SettlementHolds(reference)
        self.sequencer = Sequencer(reference, self.holds)
        self.events: list[Event] = []
        self.day = DAY
        self.minute = 0
        self.admin = Administration(self.submit, reference, clock=self.now)

    def now(self) -> int:
        self.minute += 1
        return at(self.day, self.minute % 60)

    def submit(self, command: Command) -> list[Event]:
        events = self.sequencer.apply(command)
        self.events.extend(events)
        return events

    def fund(self) -> None:
        for name in ACCOUNTS:
            self.admin.open_account(name, "M1", AccountKind.INVESTOR, actor="ops")
            self.admin.deposit(name, 50_000_000, reference=f"dep-{name}", actor="ops")
            for symbol in SYMBOLS:
                self.admin.move_holding(
                    name, symbol, 5_000, HoldingMovementKind.ALLOCATE, f"al-{name}-{symbol}", "ops"
                )


order = st.tuples(
    st.just("order"),
    st.sampled_from(ACCOUNTS),
    st.sampled_from(SYMBOLS),
    st.sampled_from([Side.BUY, Side.SELL]),
    st.sampled_from(
        [(OrderType.LIMIT, TimeInForce.DAY)] * 3
        + [(OrderType.LIMIT, TimeInForce.IOC), (OrderType.LIMIT, TimeInForce.FOK),
           (OrderType.MARKET, TimeInForce.IOC)]
    ),
    st.integers(0, 4),
    st.integers(1, 300),
)  # fmt: skip
BRANCHES = [
    order,
    st.tuples(st.just("cancel"), st.integers(0, 10**6)),
    st.tuples(st.just("amend"), st.integers(0, 10**6), st.integers(1, 400), st.integers(0, 4)),
    st.tuples(st.just("cash"), st.sampled_from(ACCOUNTS), st.integers(1, 5_000_000),
              st.sampled_from(list(CashMovementKind))),
    st.tuples(st.just("holding"), st.sampled_from(ACCOUNTS), st.sampled_from(SYMBOLS),
              st.integers(1, 800), st.sampled_from(list(HoldingMovementKind))),
    st.tuples(st.just("end_of_day")),
]  # fmt: skip
operation = st.sampled_from([0, 0, 0, 0, 0, 1, 2, 3, 4, 5]).flatmap(BRANCHES.__getitem__)


def run(exchange: Exchange, operations: list) -> None:
    for step, op in enumerate(operations):
        kind = op[0]
        ts = exchange.now()
        live = sorted(exchange.sequencer.orders.values(), key=lambda o: o.order_id)
        if kind == "order":
            _, account, symbol, side, (order_type, tif), price_index, quantity = op
            prices = PRICES[symbol]
            price = prices[price_index % len(prices)]
            exchange.submit(
                NewOrder(ts, account, f"o{step}", symbol, side, order_type, tif, price, quantity)
            )
        elif kind == "cancel" and live:
            target = live[op[1] % len(live)]
            exchange.submit(
                CancelOrder(ts, target.account, f"c{step}", target.instrument, "", target.order_id)
            )
        elif kind == "amend" and live:
            target = live[op[1] % len(live)]
            prices = PRICES[target.instrument]
            exchange.submit(
                AmendOrder(
                    ts, target.account, f"a{step}", target.instrument, "",
                    prices[op[3] % len(prices)], target.filled + op[2], target.order_id,
                )
            )  # fmt: skip
        elif kind == "cash":
            _, account, amount, movement = op
            try:
                exchange.admin.move_cash(account, amount, movement, f"cash{step}", "ops")
            except AdministrationError as refused:
                assert refused.reason == Reason.NOT_WITHDRAWABLE
        elif kind == "holding":
            _, account, symbol, quantity, movement = op
            try:
                exchange.admin.move_holding(account, symbol, quantity, movement, f"h{step}", "ops")
            except AdministrationError as refused:
                assert refused.reason in (
                    Reason.INSUFFICIENT_HOLDINGS,
                    Reason.HOLDINGS_ENCUMBERED,
                )
        elif kind == "end_of_day":
            exchange.submit(EndOfDay(at(exchange.day, 400), exchange.day.isoformat()))
            exchange.day = exchange.sequencer.reference.calendar.next_trading_day(exchange.day)


def assert_registry_agrees(ledger: Ledger, holds: SettlementHolds) -> None:
    state = holds.state()
    assert ledger.balance(FEES, CNY, CASH) == state.fees_collected
    for account in state.accounts:
        assert ledger.balance(account.account, CNY, CASH) == account.cash
        for h in account.holdings:
            free = h.available + h.held + h.bought_today
            assert ledger.balance(account.account, h.instrument, AVAILABLE) == free
            assert ledger.balance(account.account, h.instrument, PLEDGED) == h.pledged
            assert ledger.balance(account.account, h.instrument, FROZEN) == h.frozen


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=st.lists(operation, min_size=10, max_size=80), data=st.data())
def test_sequencer_holds_and_registry_conserve_and_agree(reference, operations, data):
    reference = with_fees(reference, 30)
    exchange = Exchange(reference)
    exchange.fund()
    run(exchange, operations)
    event(f"trades: {min(sum(isinstance(e, Trade) for e in exchange.events), 3)}+")
    ledger = Ledger.open(":memory:", reference)
    events = exchange.events
    position = 0
    while position < len(events):  # delivered in arbitrary, overlapping batches
        start = data.draw(st.integers(max(0, position - 3), position), label="from")
        end = data.draw(st.integers(position + 1, len(events)), label="to")
        assert ledger.book(events[start:end]) == []
        position = end
    assert ledger.verify() == []
    assert_registry_agrees(ledger, exchange.holds)
    totals = ledger.totals_at(ledger.last_seq())
    assert all(members + system == 0 for members, system in totals.values())

    rebuilt = rebuild_holds(
        ledger, reference, exchange.sequencer.orders.values(), running=exchange.holds
    )
    assert rebuilt.differences == []
    assert rebuilt.holds.snapshot() == exchange.holds.snapshot()
    ledger.close()


def test_a_trading_day_end_to_end(reference, database_url):
    reference = with_fees(reference, 30)
    exchange = Exchange(reference)
    exchange.fund()
    ts = exchange.now
    buy = NewOrder(
        ts(), "A", "b1", "TJEA25", Side.BUY, OrderType.LIMIT, TimeInForce.DAY, 5_100, 300
    )
    exchange.submit(buy)
    sell = NewOrder(
        ts(), "B", "s1", "TJEA25", Side.SELL, OrderType.LIMIT, TimeInForce.DAY, 5_000, 200
    )
    trades = [e for e in exchange.submit(sell) if isinstance(e, Trade)]
    assert [(t.price, t.quantity) for t in trades] == [(5_100, 200)]
    # the buyer cannot resell today (T+1); the seller can buy with the proceeds at once
    resale = NewOrder(
        ts(), "A", "r1", "TJEA25", Side.SELL, OrderType.LIMIT, TimeInForce.DAY, 5_000, 5_001
    )
    assert exchange.submit(resale)[0].reason == Reason.INSUFFICIENT_HOLDINGS
    with pytest.raises(AdministrationError) as refused:
        exchange.admin.withdraw("B", 50_000_000 + 1, "w1", "ops")
    assert refused.value.reason == Reason.NOT_WITHDRAWABLE
    exchange.admin.move_holding("B", "TJEA25", 100, HoldingMovementKind.PLEDGE, "p1", "bank")
    exchange.submit(EndOfDay(at(DAY, 400), DAY.isoformat()))

    ledger = Ledger.open(database_url, reference)
    try:
        assert ledger.book(exchange.events) == []
        report = end_of_day(ledger, DAY.isoformat())
        assert report.conservation == []
        assert all(statement.reconciled for statement in report.statements)
        statement = {s.account: s for s in report.statements}["B"]
        cash = {line.asset: line for line in statement.lines}[CNY]
        fee = 200 * 5_100 * 30 // 10_000
        assert (cash.opening, cash.moved_in, cash.trade_in, cash.fees) == (
            0,
            50_000_000,
            1_020_000,
            fee,
        )
        assert cash.closing == 50_000_000 + 1_020_000 - fee
        tonnes = {line.asset: line for line in statement.lines}["TJEA25"]
        assert (tonnes.moved_in, tonnes.trade_out, tonnes.closing, tonnes.pledged) == (
            5_000,
            200,
            4_800,
            100,
        )
        assert [t.trade_id for t in statement.trades] == [trades[0].trade_id]
        # the day closed: the proceeds now withdraw, and A's tonnes trade
        exchange.day = DAY + dt.timedelta(days=1)
        exchange.admin.withdraw("B", 50_000_000 + 1, "w2", "ops")
        resale = NewOrder(
            ts(), "A", "r2", "TJEA25", Side.SELL, OrderType.LIMIT, TimeInForce.DAY, 5_000, 5_001
        )
        assert isinstance(exchange.submit(resale)[0], OrderAccepted)
    finally:
        ledger.close()

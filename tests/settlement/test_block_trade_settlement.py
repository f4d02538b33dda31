"""Block trades through the real sequencer, settlement's holds and the registry ledger:
each block books delivery-versus-payment exactly once at the block commission rate,
statements show blocks apart, and over random days of orders, blocks, acceptances,
declines, withdrawals and expiries cash and tonnes are conserved, the registry agrees
with the holds, and replaying the commands gives the same state hash."""

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from settlement_builders import with_fees
from test_settlement_with_sequencer import assert_registry_agrees

from engine.commands import (
    AcceptBlock,
    ClockTick,
    Command,
    DeclineBlock,
    EndOfDay,
    MoveCash,
    MoveHolding,
    NewOrder,
    OpenAccount,
    ReportBlock,
    WithdrawBlock,
)
from engine.events import BlockTrade, Event
from engine.orders import (
    AccountKind,
    CashMovementKind,
    HoldingMovementKind,
    OrderType,
    Side,
    TimeInForce,
)
from engine.reference import ReferenceData
from engine.sequencer import Sequencer
from settlement.booking import CNY
from settlement.holds import SettlementHolds
from settlement.ledger import Ledger
from settlement.rebuild import rebuild_holds
from settlement.statements import end_of_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 24)  # a Tuesday
MEMBERS = {"A": "M1", "B": "M2", "C": "M3", "D": "M1"}
SYMBOLS = ("TJEA25", "CCER")
PRICES = {"TJEA25": (4_600, 5_000, 5_400, 6_000), "CCER": (5_500, 6_000, 7_000)}
BOOK_BPS, BLOCK_BPS = 30, 15
MINUTE = 60 * 1_000_000_000


def block_reference(reference: ReferenceData, minimum: int) -> ReferenceData:
    """Fees on both kinds of trade, and a block minimum random sequences can reach."""
    reference = with_fees(reference, BOOK_BPS)
    reference = dataclasses.replace(
        reference, rules=dataclasses.replace(reference.rules, block_commission_bps=BLOCK_BPS)
    )
    for symbol in SYMBOLS:
        instrument = reference.instruments[symbol]
        reference = reference.with_instrument(
            dataclasses.replace(instrument, block_min_quantity=minimum)
        )
    return reference


def afternoon(day: dt.date, minutes: int) -> int:
    moment = dt.datetime.combine(day, dt.time(13), SHANGHAI) + dt.timedelta(minutes=minutes)
    return int(moment.timestamp()) * 1_000_000_000


class Market:
    """The sequencer with settlement's holds, every command and event kept."""

    def __init__(self, reference: ReferenceData) -> None:
        self.reference = reference
        self.holds = SettlementHolds(reference)
        self.sequencer = Sequencer(reference, self.holds)
        self.commands: list[Command] = []
        self.events: list[Event] = []
        self.day = DAY
        self.minutes = 0

    def submit(self, command: Command) -> list[Event]:
        self.commands.append(command)
        events = self.sequencer.apply(command)
        self.events.extend(events)
        return events

    def now(self, advance: int = 1) -> int:
        self.minutes += advance
        if self.minutes >= 119:  # the block session is over: close the day
            self.submit(EndOfDay(afternoon(self.day, 150), self.day.isoformat()))
            self.day = self.reference.calendar.next_trading_day(self.day)
            self.minutes = 0
        return afternoon(self.day, self.minutes)

    def fund(self, cash: int, tonnes: int) -> None:
        for account, member in MEMBERS.items():
            self.submit(OpenAccount(0, account, member, AccountKind.INVESTOR, "", 0, "ops"))
            self.submit(MoveCash(0, account, cash, CashMovementKind.DEPOSIT, f"d{account}", "ops"))
            for symbol in SYMBOLS:
                allocate = HoldingMovementKind.ALLOCATE
                self.submit(
                    MoveHolding(0, account, symbol, tonnes, allocate, f"h{account}{symbol}", "ops")
                )


accounts = st.sampled_from(sorted(MEMBERS))
BRANCHES = [
    st.tuples(st.just("order"), accounts, st.sampled_from(SYMBOLS),
              st.sampled_from([Side.BUY, Side.SELL]), st.integers(0, 3), st.integers(1, 400)),
    st.tuples(st.just("block"), accounts, st.sampled_from([0, 1, 1, 2, 2, 3, 3]),
              st.sampled_from(SYMBOLS), st.sampled_from([Side.BUY, Side.SELL]),
              st.integers(0, 3), st.integers(50, 3_000), st.booleans()),
    st.tuples(st.just("accept"), st.integers(0, 10**6)),
    st.tuples(st.just("decline"), st.integers(0, 10**6)),
    st.tuples(st.just("withdraw"), st.integers(0, 10**6)),
    st.tuples(st.just("wait"), st.integers(1, 25)),
]  # fmt: skip
operation = st.sampled_from([0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 4, 5]).flatmap(BRANCHES.__getitem__)


def run(market: Market, operations: list) -> None:
    for step, op in enumerate(operations):
        kind = op[0]
        ts = market.now()
        open_blocks = list(market.sequencer.blocks.allegations.values())
        if kind == "order":
            _, account, symbol, side, price_index, quantity = op
            price = PRICES[symbol][price_index % len(PRICES[symbol])]
            market.submit(
                NewOrder(
                    ts, account, f"o{step}", symbol, side, OrderType.LIMIT, TimeInForce.DAY,
                    price, quantity,
                )
            )  # fmt: skip
        elif kind == "block":
            _, account, offset, symbol, side, price_index, quantity, cross = op
            names = sorted(MEMBERS)  # the offset picks the counterparty; 0 is itself
            counterparty = names[(names.index(account) + offset) % len(names)]
            price = PRICES[symbol][price_index % len(PRICES[symbol])]
            market.submit(
                ReportBlock(
                    ts, MEMBERS[account], f"r{step}", symbol, side, account, counterparty,
                    quantity, price, cross,
                )
            )  # fmt: skip
        elif kind in ("accept", "decline") and open_blocks:
            target = open_blocks[op[1] % len(open_blocks)]
            answer = AcceptBlock if kind == "accept" else DeclineBlock
            market.submit(answer(ts, target.counterparty_member, f"x{step}", target.block_id))
        elif kind == "withdraw" and open_blocks:
            target = open_blocks[op[1] % len(open_blocks)]
            market.submit(WithdrawBlock(ts, target.member, f"w{step}", target.block_id))
        elif kind == "wait":
            market.submit(ClockTick(market.now(op[1])))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=st.lists(operation, min_size=10, max_size=80), data=st.data())
def test_blocks_conserve_cash_and_tonnes_and_replay_to_the_same_hash(reference, operations, data):
    reference = block_reference(reference, 100)
    market = Market(reference)
    market.fund(cash=5_000_000_00, tonnes=20_000)
    run(market, operations)

    ledger = Ledger.open(":memory:", reference)
    events, position = market.events, 0
    while position < len(events):  # delivered in arbitrary, overlapping batches
        start = data.draw(st.integers(max(0, position - 3), position), label="from")
        end = data.draw(st.integers(position + 1, len(events)), label="to")
        assert ledger.book(events[start:end]) == []
        position = end
    assert ledger.verify() == []
    assert_registry_agrees(ledger, market.holds)
    totals = ledger.totals_at(ledger.last_seq())
    assert all(members + system == 0 for members, system in totals.values())
    blocks = [event for event in events if type(event) is BlockTrade]
    booked = [trade for trade in ledger.trades_after(0) if trade.block]
    assert [trade.trade_id for trade in booked] == [block.trade_id for block in blocks]
    rebuilt = rebuild_holds(
        ledger,
        reference,
        market.sequencer.orders.values(),
        running=market.holds,
        open_blocks=market.sequencer.blocks.allegations.values(),
    )
    assert rebuilt.differences == []
    ledger.close()

    replayed = Sequencer(reference, SettlementHolds(reference))
    for command in market.commands:
        replayed.apply(command)
    assert replayed.state_hash() == market.sequencer.state_hash()
    restored = Sequencer(reference, SettlementHolds(reference))
    restored.restore(market.sequencer.snapshot())
    assert restored.state_hash() == market.sequencer.state_hash()


def test_a_block_books_once_at_the_block_rate_and_statements_show_it_apart(reference, database_url):
    reference = block_reference(reference, 100_000)
    market = Market(reference)
    market.fund(cash=20_000_000_00, tonnes=300_000)
    (alleged,) = market.submit(
        ReportBlock(market.now(), "M2", "r1", "TJEA25", Side.SELL, "B", "C", 200_000, 5_000)
    )
    (block,) = market.submit(AcceptBlock(market.now(), "M3", "a1", alleged.block_id))
    book_buy = NewOrder(
        market.now(), "C", "b", "TJEA25", Side.BUY, OrderType.LIMIT, TimeInForce.DAY, 5_000, 10
    )
    market.submit(book_buy)
    market.submit(
        NewOrder(
            market.now(), "B", "s", "TJEA25", Side.SELL, OrderType.LIMIT, TimeInForce.DAY, 5_000, 10
        )
    )
    market.submit(EndOfDay(afternoon(DAY, 150), DAY.isoformat()))
    ledger = Ledger.open(database_url, reference)
    try:
        assert ledger.book(market.events) == []
        assert ledger.book(market.events) == []  # redelivered: booked once
        (booked,) = [trade for trade in ledger.trades_after(0) if trade.block]
        turnover = 200_000 * 5_000
        assert (booked.trade_id, booked.fee) == (block.trade_id, turnover * BLOCK_BPS // 10_000)
        assert ledger.verify() == []
        report = end_of_day(ledger, DAY.isoformat())
        assert all(statement.reconciled for statement in report.statements)
        seller = {s.account: s for s in report.statements}["B"]
        cash = {line.asset: line for line in seller.lines}[CNY]
        tonnes = {line.asset: line for line in seller.lines}["TJEA25"]
        assert (cash.trade_in, cash.block_in) == (turnover + 10 * 5_000, turnover)
        assert (tonnes.trade_out, tonnes.block_out) == (200_010, 200_000)
        assert [line.block for line in seller.trades] == [True, False]
        fees = turnover * BLOCK_BPS // 10_000 + 10 * 5_000 * BOOK_BPS // 10_000
        assert cash.fees == fees
    finally:
        ledger.close()

"""End-of-day statements: per account, opening + the day's movements = closing, for cash
and every instrument, reconciled to the registry; per instrument, totals conserved.

A trading day's events are those after the previous day's last DayClosed up to this day's
last DayClosed. Each line itemises the day from the trades table and the audit entries
and checks it against two independent sums: the day's postings, and the registry's
current balances less everything booked since the close. A statement that does not
reconcile lists its differences (it is never silently adjusted).

For the CNY line, trade_in is the turnover of sales, trade_out the turnover of buys and
fees the commission on both; for an instrument, trade_in / trade_out are tonnes bought /
sold. moved_in / moved_out are deposits / withdrawals, or allocations, transfers in,
surrender reversals and enforced pledges received / transfers out, cancellations,
surrenders, claw-backs and enforced pledges given.
"""

import csv
import io

import msgspec

from engine.orders import Side
from settlement.booking import CNY
from settlement.ledger import Ledger

_MOVED_IN = frozenset(
    {"deposit", "allocate", "transfer_in", "reverse_surrender", "enforce_receive"}
)
_MOVED_OUT = frozenset({"withdraw", "transfer_out", "cancel", "surrender", "return", "enforce"})


class StatementError(ValueError):
    """A statement that cannot be drawn: unknown account, or a day not closed yet."""


class StatementLine(msgspec.Struct):
    asset: str  # "CNY" or an instrument symbol
    opening: int
    trade_in: int = 0
    trade_out: int = 0
    fees: int = 0
    moved_in: int = 0
    moved_out: int = 0
    closing: int = 0
    pledged: int = 0  # of the closing tonnes
    frozen: int = 0


class TradeLine(msgspec.Struct):
    trade_id: int
    seq: int
    instrument: str
    side: int  # orders.Side, from this account's point of view
    quantity: int
    price: int
    turnover: int
    fee: int


class Statement(msgspec.Struct):
    account: str
    member: str
    trading_date: str
    lines: list[StatementLine]
    trades: list[TradeLine]
    differences: list[str]  # empty when the statement reconciles

    @property
    def reconciled(self) -> bool:
        return not self.differences


class DayReport(msgspec.Struct):
    trading_date: str
    statements: list[Statement]
    conservation: list[str]  # per-instrument totals that do not add up; empty when sound


def account_statement(ledger: Ledger, account: str, trading_date: str) -> Statement:
    record = ledger.account(account)
    if record is None:
        raise StatementError(f"unknown account {account!r}")
    after, upto = _day(ledger, trading_date)
    lines: dict[str, StatementLine] = {}
    posted: dict[str, int] = {}
    by_state: dict[tuple[str, str], int] = {}

    def line(asset: str) -> StatementLine:
        if asset not in lines:
            lines[asset] = StatementLine(asset, opening=0)
        return lines[asset]

    for _seq, asset, state, amount, _kind in ledger.postings(account, 0, after):
        line(asset).opening += amount
        by_state[asset, state] = by_state.get((asset, state), 0) + amount
    for _seq, asset, state, amount, kind in ledger.postings(account, after, upto):
        entry = line(asset)
        posted[asset] = posted.get(asset, 0) + amount
        by_state[asset, state] = by_state.get((asset, state), 0) + amount
        if kind in _MOVED_IN:
            entry.moved_in += amount
        elif kind in _MOVED_OUT:
            entry.moved_out -= amount
        elif kind == "auction":  # an allotment's leg, signed: bought like a trade
            if amount > 0:
                entry.trade_in += amount
            else:
                entry.trade_out -= amount
    trades = []
    for trade in ledger.trades(account, after, upto):
        turnover = trade.price * trade.quantity
        side = Side.BUY if trade.buy_account == account else Side.SELL
        cash, tonnes = line(CNY), line(trade.instrument)
        cash.fees += trade.fee
        if side == Side.BUY:
            cash.trade_out += turnover
            tonnes.trade_in += trade.quantity
        else:
            cash.trade_in += turnover
            tonnes.trade_out += trade.quantity
        trades.append(
            TradeLine(
                trade.trade_id,
                trade.seq,
                trade.instrument,
                side,
                trade.quantity,
                trade.price,
                turnover,
                trade.fee,
            )
        )
    registry = _registry_at(ledger, account, upto)
    differences = []
    for asset, entry in sorted(lines.items()):
        entry.closing = (
            entry.opening
            + entry.trade_in
            - entry.trade_out
            - entry.fees
            + entry.moved_in
            - entry.moved_out
        )
        entry.pledged = by_state.get((asset, "pledged"), 0)
        entry.frozen = by_state.get((asset, "frozen"), 0)
        from_postings = entry.opening + posted.get(asset, 0)
        if entry.closing != from_postings:
            differences.append(
                f"{asset}: itemised closing {entry.closing} but postings give {from_postings}"
            )
        held = sum(amount for (held_asset, _), amount in registry.items() if held_asset == asset)
        if entry.closing != held:
            differences.append(f"{asset}: closing {entry.closing} but the registry holds {held}")
    return Statement(
        account,
        record.member,
        trading_date,
        [lines[asset] for asset in sorted(lines) if _shows(lines[asset])],
        trades,
        differences,
    )


def end_of_day(ledger: Ledger, trading_date: str) -> DayReport:
    """Every account's statement for the day, and the per-instrument conservation check:
    what members hold plus what system owners hold is zero for each asset, and the
    statements' closings add up to what members hold."""
    _after, upto = _day(ledger, trading_date)
    statements = [
        account_statement(ledger, record.account, trading_date) for record in ledger.accounts()
    ]
    closings: dict[str, int] = {}
    for statement in statements:
        for entry in statement.lines:
            closings[entry.asset] = closings.get(entry.asset, 0) + entry.closing
    conservation = []
    for asset, (members, system) in ledger.totals_at(upto).items():
        if members + system != 0:
            conservation.append(f"{asset}: members hold {members}, system owners {system}")
        if closings.get(asset, 0) != members:
            conservation.append(
                f"{asset}: statements close at {closings.get(asset, 0)}, members hold {members}"
            )
    return DayReport(trading_date, statements, conservation)


def statements_json(report: DayReport) -> bytes:
    return msgspec.json.encode(report)


CSV_COLUMNS = (
    "trading_date",
    "account",
    "member",
    "asset",
    "opening",
    "trade_in",
    "trade_out",
    "fees",
    "moved_in",
    "moved_out",
    "closing",
    "pledged",
    "frozen",
    "reconciled",
)


def statements_csv(report: DayReport) -> str:
    """One row per account and asset (amounts in fen or tonnes, as integers)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for statement in report.statements:
        for entry in statement.lines:
            writer.writerow(
                (
                    report.trading_date,
                    statement.account,
                    statement.member,
                    *msgspec.structs.astuple(entry),
                    statement.reconciled,
                )
            )
    return out.getvalue()


def _day(ledger: Ledger, trading_date: str) -> tuple[int, int]:
    upto = ledger.close_seq(trading_date)
    if upto is None:
        raise StatementError(f"{trading_date} is not closed yet (no DayClosed booked)")
    return ledger.previous_close_seq(trading_date), upto


def _registry_at(ledger: Ledger, account: str, upto: int) -> dict[tuple[str, str], int]:
    """The account's registry balances as they stood at `upto`: today's balances less
    everything booked since."""
    balances = dict(ledger.balances(account))
    for _seq, asset, state, amount, _kind in ledger.postings(account, upto, ledger.last_seq()):
        balances[asset, state] = balances.get((asset, state), 0) - amount
    return balances


def _shows(entry: StatementLine) -> bool:
    return any(msgspec.structs.astuple(entry)[1:])

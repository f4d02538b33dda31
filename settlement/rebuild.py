"""Start-up: rebuild the in-memory holds from the registry ledger plus the open orders,
and report every difference from the holds the engine restored (its snapshot + journal).

The ledger must have booked every event up to the engine's state first. What the registry
does not keep is derived from the day's trades since the last DayClosed: tonnes bought
today (not tradable until the next day, T+1) and today's sale proceeds (not withdrawable
yet). Reservations are made again from the open orders, exactly as at order entry.
"""

from collections.abc import Iterable
from typing import NamedTuple, Protocol

import msgspec

from engine.orders import Side
from engine.reasons import TEXT, Reason
from engine.reference import ReferenceData
from settlement.auction_booking import SURRENDER_ONLY
from settlement.booking import AVAILABLE, CASH, CNY, FEES, FROZEN, PLEDGED
from settlement.holds import AccountState, HoldingState, HoldsState, SettlementHolds
from settlement.ledger import Ledger


class OpenOrder(Protocol):
    """A live order on the book, as the engine knows it (engine.order.Order fits)."""

    order_id: int
    account: str
    instrument: str
    side: int
    leaves: int  # open quantity
    price: int  # limit (a market order's band edge)


class Reconciliation(NamedTuple):
    holds: SettlementHolds  # rebuilt from the registry: the one to trust
    differences: list[str]  # empty when the running holds agreed with the registry


def rebuild_holds(
    ledger: Ledger,
    reference: ReferenceData,
    open_orders: Iterable[OpenOrder],
    running: SettlementHolds | None = None,
) -> Reconciliation:
    bought_today: dict[tuple[str, str], int] = {}
    proceeds_today: dict[str, int] = {}
    for trade in ledger.trades_after(ledger.last_close_seq()):
        if reference.instruments[trade.instrument].t_plus_one:
            key = (trade.buy_account, trade.instrument)
            bought_today[key] = bought_today.get(key, 0) + trade.quantity
        proceeds = trade.price * trade.quantity - trade.fee
        proceeds_today[trade.sell_account] = proceeds_today.get(trade.sell_account, 0) + proceeds

    accounts = []
    for record in ledger.accounts():
        balances = ledger.balances(record.account)
        holdings = []
        for symbol in sorted({asset for asset, _ in balances if asset != CNY}):
            available = balances.get((symbol, AVAILABLE), 0)
            # Leaving the registry draws on older tonnes first, so today's purchases are
            # what is left of them within the available tonnes.
            recent = min(bought_today.get((record.account, symbol), 0), available)
            holdings.append(
                HoldingState(
                    symbol,
                    available - recent,
                    0,
                    recent,
                    balances.get((symbol, PLEDGED), 0),
                    balances.get((symbol, FROZEN), 0),
                    balances.get((symbol, SURRENDER_ONLY), 0),
                )
            )
        accounts.append(
            AccountState(
                record.account,
                record.kind,
                record.allocation,
                balances.get((CNY, CASH), 0),
                0,
                proceeds_today.get(record.account, 0),
                holdings,
            )
        )
    holds = SettlementHolds(reference)
    holds.load(HoldsState(ledger.balance(FEES, CNY, CASH), accounts, []))

    differences = []
    for order in sorted(open_orders, key=lambda order: order.order_id):
        reason = holds.reserve(
            order.order_id, order.account, order.instrument, order.side, order.leaves, order.price
        )
        if reason != Reason.OK:
            side = Side(order.side).name.lower()
            differences.append(
                f"open order {order.order_id} ({order.account} {side} {order.leaves} "
                f"{order.instrument} at {order.price}) cannot be reserved: {TEXT[Reason(reason)]}"
            )
    if running is not None:
        differences.extend(compare(holds.state(), running.state()))
    return Reconciliation(holds, differences)


def compare(expected: HoldsState, actual: HoldsState) -> list[str]:
    """Each field where the running holds (`actual`) differ from the registry's
    (`expected`), named so an operator can find it; empty holdings count as absent."""
    differences = []
    if expected.fees_collected != actual.fees_collected:
        differences.append(
            f"fees collected: registry {expected.fees_collected}, holds {actual.fees_collected}"
        )
    differences += _compare_rows("account", _accounts(expected), _accounts(actual))
    differences += _compare_rows(
        "order",
        {r.order_id: msgspec.structs.asdict(r) for r in expected.reservations},
        {r.order_id: msgspec.structs.asdict(r) for r in actual.reservations},
    )
    return differences


def _accounts(state: HoldsState) -> dict[str, dict[str, int]]:
    rows = {}
    for account in state.accounts:
        fields = {
            "cash": account.cash,
            "cash held": account.cash_held,
            "proceeds today": account.proceeds_today,
        }
        for holding in account.holdings:
            for name, value in msgspec.structs.asdict(holding).items():
                if name != "instrument" and value:
                    fields[f"{holding.instrument} {name}"] = value
        rows[account.account] = fields
    return rows


def _compare_rows(what: str, expected: dict, actual: dict) -> list[str]:
    differences = []
    for key in sorted(expected.keys() | actual.keys(), key=str):
        if key not in actual:
            differences.append(f"{what} {key}: in the registry, missing from the holds")
        elif key not in expected:
            differences.append(f"{what} {key}: in the holds, missing from the registry")
        else:
            mine, theirs = expected[key], actual[key]
            for name in sorted(mine.keys() | theirs.keys()):
                if mine.get(name, 0) != theirs.get(name, 0):
                    differences.append(
                        f"{what} {key} {name}: registry {mine.get(name, 0)}, "
                        f"holds {theirs.get(name, 0)}"
                    )
    return differences

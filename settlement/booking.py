"""Booking: how each event becomes double-entry postings in the registry.

The chart of ledger accounts (owner, asset, state):
  <account>  CNY         cash       a member account's cash at the exchange
  <account>  <symbol>    available  tonnes in the registry, free to trade or move
  <account>  <symbol>    pledged    pledged (质押): neither tradable nor transferable
  <account>  <symbol>    frozen     frozen by the supervisor
  @bank      CNY         cash       money outside the exchange: deposits come from it
  @fees      CNY         cash       commission earned, both sides of every trade
  @issuer    <symbol>    available  the government's allocations come from it
  @outside   <symbol>    available  registries outside the exchange (transfers in/out)
  @cancelled / @surrendered <symbol> available   tonnes retired from circulation
  @enforcement <symbol>   available  pledged tonnes between pledgor and pledgee (enforcement)
System owners start with '@' and run negative where they are a source, so every asset's
balances sum to zero, always. A trade is booked delivery-versus-payment as one unit: all
its legs or, when the seller's available tonnes or the buyer's cash no longer cover it,
none of them and a `SettlementFailure` instead.

`Booking` works on one batch: it reads balances from a dict the ledger pre-loaded and
collects the rows the ledger then writes in the same transaction as the cursor.
"""

import msgspec

from engine.events import (
    AccountOpened,
    AccountRestricted,
    AuctionCreated,
    AuctionStatus,
    BidAllotted,
    CashMoved,
    CommandRejected,
    ControlGroupSet,
    DayClosed,
    Event,
    HoldingMoved,
    RestrictionLifted,
    Trade,
)
from engine.orders import CashMovementKind, HoldingMovementKind
from engine.reference import ReferenceData
from engine.restrictions import Mode
from settlement.accounts import SYSTEM_PREFIX
from settlement.auction_booking import (
    audit_auction,
    book_allotment,
    locked_tonnes,
    surrender_from_locked,
)
from settlement.fees import commission
from settlement.lots import Lots

CNY = "CNY"
CASH = "cash"
AVAILABLE = "available"
PLEDGED = "pledged"
FROZEN = "frozen"
BANK = "@bank"
FEES = "@fees"

Key = tuple[str, str, str]  # (owner, asset, state)

# HoldingMovementKind -> (posting kind, (from owner or None for the account, from state),
#                         (to owner or None, to state))
_HOLDING_LEGS: dict[int, tuple[str, tuple[str | None, str], tuple[str | None, str]]] = {
    HoldingMovementKind.ALLOCATE: ("allocate", ("@issuer", AVAILABLE), (None, AVAILABLE)),
    HoldingMovementKind.TRANSFER_IN: ("transfer_in", ("@outside", AVAILABLE), (None, AVAILABLE)),
    HoldingMovementKind.TRANSFER_OUT: ("transfer_out", (None, AVAILABLE), ("@outside", AVAILABLE)),
    HoldingMovementKind.CANCEL: ("cancel", (None, AVAILABLE), ("@cancelled", AVAILABLE)),
    HoldingMovementKind.SURRENDER: ("surrender", (None, AVAILABLE), ("@surrendered", AVAILABLE)),
    HoldingMovementKind.PLEDGE: ("pledge", (None, AVAILABLE), (None, PLEDGED)),
    HoldingMovementKind.RELEASE: ("release", (None, PLEDGED), (None, AVAILABLE)),
    HoldingMovementKind.FREEZE: ("freeze", (None, AVAILABLE), (None, FROZEN)),
    HoldingMovementKind.UNFREEZE: ("unfreeze", (None, FROZEN), (None, AVAILABLE)),
    HoldingMovementKind.RETURN: ("return", (None, AVAILABLE), ("@issuer", AVAILABLE)),
    HoldingMovementKind.REVERSE_SURRENDER: (
        "reverse_surrender",
        ("@surrendered", AVAILABLE),
        (None, AVAILABLE),
    ),
    HoldingMovementKind.FREEZE_FREE_ALLOCATION: ("freeze", (None, AVAILABLE), (None, FROZEN)),
    HoldingMovementKind.CANCEL_FROZEN: ("cancel", (None, FROZEN), ("@cancelled", AVAILABLE)),
    HoldingMovementKind.ENFORCE: ("enforce", (None, PLEDGED), ("@enforcement", AVAILABLE)),
    HoldingMovementKind.ENFORCE_RECEIVE: (
        "enforce_receive",
        ("@enforcement", AVAILABLE),
        (None, AVAILABLE),
    ),
}
CASH_KIND_NAMES = {CashMovementKind.DEPOSIT: "deposit", CashMovementKind.WITHDRAW: "withdraw"}


class SettlementFailure(msgspec.Struct, frozen=True):
    """An event the registry could not book: nothing of it was booked; a supervisor acts."""

    seq: int
    ts: int
    event: str  # "trade", "cash", "holding", "account", "control_group"
    trade_id: int
    account: str
    instrument: str
    quantity: int
    amount: int
    reason: str


class Booking:
    """Turns one batch of events into registry rows, checking each against balances."""

    __slots__ = (
        "accounts",
        "balances",
        "bps",
        "control_groups",
        "day_closes",
        "entries",
        "failures",
        "instruments",
        "lots",
        "new_accounts",
        "postings",
        "references",
        "trades",
        "used_references",
    )

    def __init__(
        self,
        reference: ReferenceData,
        balances: dict[Key, int],
        accounts: set[str],
        used_references: set[str],
        lots: Lots,
    ):
        self.lots = lots  # the lineage of the tonnes the batch moves
        self.bps = reference.rules.commission_bps
        self.instruments = reference.instruments
        self.balances = balances  # every key the batch may touch; absent means zero
        self.accounts = accounts  # known accounts (grows as the batch opens new ones)
        self.used_references = used_references
        self.postings: list[tuple] = []
        self.trades: list[tuple] = []
        self.entries: list[tuple] = []
        self.new_accounts: list[tuple] = []
        self.control_groups: list[tuple[str, str]] = []
        self.references: list[tuple[str, int]] = []
        self.day_closes: list[tuple] = []
        self.failures: list[SettlementFailure] = []

    def book(self, event: Event) -> None:
        """Books one event; order-flow events (accepted, cancelled, ...) leave the
        registry as it is, and the cursor simply moves past them."""
        kind = type(event)
        if kind is Trade:
            self._trade(event)
        elif kind is CashMoved:
            self._cash(event)
        elif kind is HoldingMoved:
            self._holding(event)
        elif kind is AccountOpened:
            self._account(event)
        elif kind is ControlGroupSet:
            self._control_group(event)
        elif kind is CommandRejected:
            self._audit(event, "rejected:" + event.command, "", 0, event.reference, event.text)
        elif kind is DayClosed:
            self.day_closes.append(
                (event.seq, event.trading_date, event.instrument, event.close_price)
            )
        elif kind is AccountRestricted or kind is RestrictionLifted:
            # settlement/restriction_register.py reads these back
            verb = "restrict:" if kind is AccountRestricted else "lift:"
            until = event.until if kind is AccountRestricted else 0
            self._audit(
                event,
                verb + Mode(event.mode).name.lower(),
                "",
                until,
                event.reference,
                event.reason,
            )
        elif kind is BidAllotted:
            book_allotment(self, event)
        elif kind is AuctionCreated or kind is AuctionStatus:
            audit_auction(self, event)

    def _audit(
        self, event: Event, kind: str, instrument: str, amount: int, reference: str, detail: str
    ) -> None:
        """The audit record of an administrative event: what, to whom, by whom, when."""
        self.entries.append(
            (
                event.seq,
                event.ts,
                kind,
                event.account,
                instrument,
                amount,
                reference,
                event.actor,
                detail,
            )
        )

    def _post(self, seq: int, key: Key, amount: int, kind: str) -> None:
        balances = self.balances
        balances[key] = balances.get(key, 0) + amount
        self.postings.append((seq, key[0], key[1], key[2], amount, kind))

    def _fail(self, event: Event, what: str, reason: str, **fields) -> None:
        self.failures.append(
            SettlementFailure(
                seq=event.seq,
                ts=event.ts,
                event=what,
                trade_id=fields.get("trade_id", 0),
                account=fields.get("account", ""),
                instrument=fields.get("instrument", ""),
                quantity=fields.get("quantity", 0),
                amount=fields.get("amount", 0),
                reason=reason,
            )
        )

    def _trade(self, trade: Trade) -> None:
        seq, buyer, seller, symbol = (
            trade.seq,
            trade.buy_account,
            trade.sell_account,
            trade.instrument,
        )
        quantity = trade.quantity
        turnover = quantity * trade.price
        fee = commission(turnover, self.bps)
        delivered = (seller, symbol, AVAILABLE)
        paid = (buyer, CNY, CASH)
        reason = ""
        if buyer not in self.accounts or seller not in self.accounts:
            reason = "unknown account"
        elif symbol not in self.instruments:
            reason = "unknown instrument"
        elif quantity <= 0 or trade.price <= 0:
            reason = "quantity and price must be positive"
        elif self.balances.get(delivered, 0) < quantity:
            reason = "seller's available registry holdings do not cover the trade"
        elif self.balances.get(paid, 0) < turnover + fee:
            reason = "buyer's registry cash does not cover the trade and its fee"
        if reason:
            self._fail(
                trade,
                "trade",
                reason,
                trade_id=trade.trade_id,
                account=seller,
                instrument=symbol,
                quantity=quantity,
                amount=turnover,
            )
            return
        self._post(seq, delivered, -quantity, "trade")
        self._post(seq, (buyer, symbol, AVAILABLE), quantity, "trade")
        self.lots.trade(trade, AVAILABLE)
        self._post(seq, paid, -turnover - fee, "trade")
        self._post(seq, (seller, CNY, CASH), turnover - fee, "trade")
        if fee:
            self._post(seq, (FEES, CNY, CASH), fee + fee, "fee")
        self.trades.append(
            (trade.trade_id, seq, trade.ts, symbol, trade.price, quantity, buyer, seller, fee)
        )

    def _movement_refused(self, event: CashMoved | HoldingMoved, instrument: str) -> str:
        if event.account not in self.accounts:
            return "unknown account"
        if instrument and instrument not in self.instruments:
            return "unknown instrument"
        if event.reference in self.used_references:
            return f"reference {event.reference!r} was already booked"
        return ""

    def _cash(self, event: CashMoved) -> None:
        kind = CASH_KIND_NAMES.get(event.kind)
        account_cash = (event.account, CNY, CASH)
        reason = self._movement_refused(event, "")
        if not reason and (kind is None or event.amount <= 0):
            reason = "not a deposit or withdrawal of a positive amount"
        if not reason and kind == "withdraw" and self.balances.get(account_cash, 0) < event.amount:
            reason = "account's registry cash does not cover the withdrawal"
        if reason:
            self._fail(event, "cash", reason, account=event.account, amount=event.amount)
            return
        sign = 1 if kind == "deposit" else -1
        self._post(event.seq, account_cash, sign * event.amount, kind)
        self._post(event.seq, (BANK, CNY, CASH), -sign * event.amount, kind)
        self._record_movement(event, kind, "", event.amount)

    def _holding(self, event: HoldingMoved) -> None:
        legs = _HOLDING_LEGS.get(event.kind)
        locked = locked_tonnes(self, event)
        reason = self._movement_refused(event, event.instrument)
        if not reason and (legs is None or event.quantity <= 0):
            reason = "not a known registry operation on a positive quantity"
        if not reason:
            kind, (source_owner, source_state), (target_owner, target_state) = legs
            source = (source_owner or event.account, event.instrument, source_state)
            target = (target_owner or event.account, event.instrument, target_state)
            if source_owner is None and self.balances.get(source, 0) + locked < event.quantity:
                reason = f"account's {source_state} registry holdings do not cover it"
        if reason:
            self._fail(
                event,
                "holding",
                reason,
                account=event.account,
                instrument=event.instrument,
                quantity=event.quantity,
            )
            return
        rest = surrender_from_locked(self, event) if locked else event.quantity
        if rest:
            moved = msgspec.structs.replace(event, quantity=rest) if locked else event
            self._post(event.seq, source, -rest, kind)
            self._post(event.seq, target, rest, kind)
            self.lots.holding(moved, kind, (source[0], source[2]), (target[0], target[2]))
        self._record_movement(event, kind, event.instrument, event.quantity)

    def _record_movement(
        self, event: CashMoved | HoldingMoved, kind: str, instrument: str, amount: int
    ) -> None:
        self._audit(event, kind, instrument, amount, event.reference, "")
        if event.reference:
            self.used_references.add(event.reference)
            self.references.append((event.reference, event.seq))

    def _account(self, event: AccountOpened) -> None:
        reason = ""
        if event.account in self.accounts:
            reason = "account already exists"
        elif not event.account or event.account.startswith(SYSTEM_PREFIX):
            reason = f"account ids may not be empty or start with {SYSTEM_PREFIX!r}"
        if reason:
            self._fail(event, "account", reason, account=event.account)
            return
        self.accounts.add(event.account)
        self.new_accounts.append(
            (
                event.account,
                event.member,
                event.kind,
                event.control_group,
                event.allocation,
                event.seq,
                event.ts,
                event.actor,
            )
        )
        detail = f"member={event.member} control_group={event.control_group}"
        self._audit(event, "open_account", "", event.allocation, "", detail)

    def _control_group(self, event: ControlGroupSet) -> None:
        if event.account not in self.accounts:
            self._fail(event, "control_group", "unknown account", account=event.account)
            return
        self.control_groups.append((event.control_group, event.account))
        self._audit(event, "control_group", "", 0, "", event.control_group)

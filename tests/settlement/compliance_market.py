"""A registry with the real engine for compliance tests: Sequencer + SettlementHolds, every
event booked into the ledger at once, compliance operations submitting through it, a
clock the test moves, and the check that the engine's holds equal the registry's."""

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from engine.commands import Command, NewOrder
from engine.events import Event
from engine.orders import AccountKind, HoldingMovementKind, OrderType, TimeInForce
from engine.reference import ReferenceData, load_reference_data
from engine.sequencer import Sequencer
from settlement.administration import Administration
from settlement.compliance import Compliance
from settlement.compliance_operations import HoldsExposure
from settlement.holds import SettlementHolds
from settlement.ledger import Ledger
from settlement.rebuild import compare, rebuild_holds

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 3, 10)  # a Tuesday
NS_PER_DAY = 86_400 * 1_000_000_000


def compliance_reference() -> ReferenceData:
    """The shipped reference data and a later vintage (TJEA26), for vintage rules."""
    base = load_reference_data()
    later = dataclasses.replace(base.instruments["TJEA25"], symbol="TJEA26", vintage=2026)
    return base.with_instrument(later)


class ComplianceMarket:
    def __init__(self, ledger: Ledger, reference: ReferenceData):
        self.ledger = ledger
        self.reference = reference
        self.holds = SettlementHolds(reference)
        self.sequencer = Sequencer(reference, self.holds)
        moment = dt.datetime.combine(DAY, dt.time(10), SHANGHAI)
        self.ts = int(moment.timestamp()) * 1_000_000_000
        self.admin = Administration(self.submit, reference, clock=self.now)
        self.compliance = self.new_compliance()
        self.order_id = 0

    def new_compliance(self, submit=None) -> Compliance:
        return Compliance(
            self.ledger, self.reference, submit or self.submit, HoldsExposure(self.holds), self.now
        )

    def now(self) -> int:
        self.ts += 1_000_000
        return self.ts

    def advance_days(self, days: int) -> None:
        self.ts += days * NS_PER_DAY

    def submit(self, command: Command) -> list[Event]:
        events = self.sequencer.apply(command)
        self.ledger.book(events)
        return events

    def open(self, account: str, kind: int = AccountKind.COMPLIANCE, cash: int = 0) -> None:
        self.admin.open_account(account, "M-" + account, kind, "ops")
        if cash:
            self.admin.deposit(account, cash, f"dep-{account}", "ops")

    def give(self, account: str, instrument: str, quantity: int, reference: str) -> None:
        self.admin.move_holding(
            account, instrument, quantity, HoldingMovementKind.TRANSFER_IN, reference, "ops"
        )

    def order(self, account: str, instrument: str, side: int, quantity: int, price: int):
        self.order_id += 1
        return self.submit(
            NewOrder(
                self.now(),
                account,
                f"c{self.order_id}",
                instrument,
                side,
                OrderType.LIMIT,
                TimeInForce.DAY,
                price,
                quantity,
            )
        )

    def tonnes(self, account: str, instrument: str) -> tuple[int, int, int]:
        """(available, pledged, frozen) in the registry."""
        balances = self.ledger.balances(account)
        return tuple(
            balances.get((instrument, state), 0) for state in ("available", "pledged", "frozen")
        )

    def differences(self) -> list[str]:
        """How the engine's holds differ from the registry's (empty = they agree), and
        every way the registry disagrees with itself (lots included)."""
        rebuilt = rebuild_holds(self.ledger, self.reference, self.sequencer.orders.values())
        return compare(rebuilt.holds.state(), self.holds.state()) + self.ledger.verify()

    def lineage(self, account: str, instrument: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for _, symbol, _, _, _, source, quantity in self.ledger.lots(account):
            if symbol == instrument:
                found[source] = found.get(source, 0) + quantity
        return found

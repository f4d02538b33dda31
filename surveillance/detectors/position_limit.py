"""Concentration / position limit: a control group's holdings of one instrument class
against its limit (Beijing model, market-rules.md).

A group counts as one holder: its limit is its compliance accounts' allocations plus
`compliance_position_extra` if it has any compliance account, else the investor limit;
the large-holder line is drawn the same way. The engine refuses a buy that would breach
one account's limit, but a group spread over several accounts, or tonnes arriving by
registry transfer, can still pass it: that is what this detector is for. Alerts fire when
a group crosses into warning (>= `warning_percent` of its limit) or breach (above it).
"""

from collections.abc import Sequence

from engine.events import AccountOpened, BlockTrade, ControlGroupSet, HoldingMoved, Trade
from engine.orders import AccountKind
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import HOLDING_SIGN, MarketView
from surveillance.parameters import PositionLimit, label

PATTERN = "position_limit"
OK, WARNING, BREACH = 0, 1, 2


class PositionLimitDetector:
    pattern = PATTERN
    events = (AccountOpened, ControlGroupSet, HoldingMoved, Trade, BlockTrade)

    def __init__(self, view: MarketView, parameters: PositionLimit):
        self.view = view
        self.parameters = parameters
        self.members: dict[str, set[str]] = {}  # group -> its accounts
        self.totals: dict[tuple[str, str], int] = {}  # (group, instrument class) -> tonnes
        self.levels: dict[tuple[str, str], int] = {}

    def on_event(self, event) -> Sequence[Alert]:
        kind = type(event)
        if kind is Trade or kind is BlockTrade:
            buyer, seller = self.view.group(event.buy_account), self.view.group(event.sell_account)
            if buyer == seller:
                return NO_ALERTS
            held = self._class_of(event.instrument)
            self._add(seller, held, -event.quantity)
            self._add(buyer, held, event.quantity)
            return self._check(buyer, event.instrument, event.ts, event.buy_account)
        if kind is HoldingMoved:
            sign = HOLDING_SIGN.get(event.kind, 0)
            if not sign:
                return NO_ALERTS
            group, held = self.view.group(event.account), self._class_of(event.instrument)
            self._add(group, held, sign * event.quantity)
            return self._check(group, event.instrument, event.ts, event.account)
        if kind is AccountOpened:
            self.members.setdefault(self.view.group(event.account), set()).add(event.account)
            return NO_ALERTS
        return self._regroup(event)

    def _regroup(self, event: ControlGroupSet) -> Sequence[Alert]:
        """An account changing group takes its holdings along."""
        old_group = next(
            (group for group, members in self.members.items() if event.account in members),
            event.account,
        )
        self.members.get(old_group, set()).discard(event.account)
        new_group = self.view.group(event.account)
        self.members.setdefault(new_group, set()).add(event.account)
        alerts: list[Alert] = []
        for (account, instrument), quantity in list(self.view.holdings.items()):
            if account == event.account and quantity:
                held = self._class_of(instrument)
                self._add(old_group, held, -quantity)
                self._add(new_group, held, quantity)
                alerts.extend(self._check(new_group, instrument, event.ts, event.account))
        return alerts

    def _class_of(self, instrument: str) -> str:
        listed = self.view.reference.instruments.get(instrument)
        return listed.kind if listed else instrument

    def _add(self, group: str, held: str, quantity: int) -> None:
        self.totals[(group, held)] = self.totals.get((group, held), 0) + quantity

    def limits(self, group: str) -> tuple[int, int]:
        """(position limit, large-holder line) of a group."""
        rules = self.view.reference.rules
        accounts = self.members.get(group) or {group}
        compliance = [
            self.view.holders[a]
            for a in accounts
            if a in self.view.holders and self.view.holders[a].kind == AccountKind.COMPLIANCE
        ]
        if compliance:
            allocation = sum(holder.allocation for holder in compliance)
            return (
                allocation + rules.compliance_position_extra,
                allocation + rules.compliance_large_holder_extra,
            )
        return rules.investor_position_limit, rules.investor_large_holder

    def large_holders(self) -> list[tuple[str, str, int]]:
        """(group, instrument class, tonnes) above the large-holder line, largest first."""
        listed = [
            (group, held, total)
            for (group, held), total in self.totals.items()
            if total > self.limits(group)[1]
        ]
        return sorted(listed, key=lambda row: -row[2])

    def _check(self, group: str, instrument: str, ts: int, account: str) -> Sequence[Alert]:
        held = self._class_of(instrument)
        total = self.totals[(group, held)]
        limit, _ = self.limits(group)
        percent = 100 * total / limit
        level = OK
        if total > limit:
            level = BREACH
        elif percent >= self.parameters.warning_percent:
            level = WARNING
        previous = self.levels.get((group, held), OK)
        self.levels[(group, held)] = level
        if level <= previous:
            return NO_ALERTS
        state = "above" if level == BREACH else "near"
        accounts = sorted(self.members.get(group) or {account})
        return (
            raise_alert(
                pattern=PATTERN,
                score=90 if level == BREACH else 60,
                instrument=instrument,
                accounts=accounts,
                control_group=group,
                window_start=ts,
                window_end=ts,
                evidence={
                    "instrument_class": held,
                    "holdings": total,
                    "position_limit": limit,
                    "percent_of_limit": round(percent, 2),
                    "warning_percent": self.parameters.warning_percent,
                    "level": "breach" if level == BREACH else "warning",
                    "parameters": label(PATTERN, self.parameters),
                },
                reason=(
                    f"Control group {group} holds {total} t of {held}s, {percent:.1f}% of its "
                    f"{limit} t position limit ({state} the limit)."
                ),
            ),
        )

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

"""Counting a party's cancels per instrument per day, for the detectors whose rule is
'more than N cancels a day' (frequent cancels, large cancels). The party is who acts
(surveillance/acting.py): cancels spread over the accounts of one control group count
as one party's."""

from collections.abc import Callable, Sequence

from engine.events import OrderCancelled
from surveillance.acting import describe, shares
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS


class Tally:
    __slots__ = ("by_account", "count", "first_ts", "last_ts", "order_ids")

    def __init__(self, ts: int):
        self.count = 0
        self.first_ts = ts
        self.last_ts = ts
        self.order_ids: list[int] = []
        self.by_account: dict[str, int] = {}


class CancelTally:
    """Raises once when a party passes `limit` cancels in an instrument, and again at
    the day's end with the final count (the same alert id, so the two merge into one)."""

    MAX_ORDER_IDS = 1000  # evidence enough; a flood of ids helps nobody

    def __init__(self, pattern: str, limit: int, describe: str, parameters_label: str):
        self.pattern = pattern
        self.limit = limit
        self.describe = describe  # "cancels" or "cancels of large orders"
        self.parameters_label = parameters_label
        self.tallies: dict[tuple[str, str], Tally] = {}  # (party, instrument)

    def count(self, event: OrderCancelled, party: str, control_group: str) -> Sequence[Alert]:
        key = (party, event.instrument)
        tally = self.tallies.get(key)
        if tally is None:
            tally = self.tallies[key] = Tally(event.ts)
        tally.count += 1
        tally.last_ts = event.ts
        tally.by_account[event.account] = tally.by_account.get(event.account, 0) + 1
        if len(tally.order_ids) < self.MAX_ORDER_IDS:
            tally.order_ids.append(event.order_id)
        if tally.count != self.limit + 1:
            return NO_ALERTS
        return (self._alert(key, tally, control_group),)

    def close_instrument(self, instrument: str, groups: Callable[[str], str]) -> list[Alert]:
        alerts = []
        for key in [key for key in self.tallies if key[1] == instrument]:
            tally = self.tallies.pop(key)
            if tally.count > self.limit:
                alerts.append(self._alert(key, tally, groups(min(tally.by_account))))
        return alerts

    def _alert(self, key: tuple[str, str], tally: Tally, control_group: str) -> Alert:
        party, instrument = key
        accounts = sorted(tally.by_account)
        return raise_alert(
            pattern=self.pattern,
            score=50 + 50 * min(1.0, (tally.count - self.limit) / self.limit),
            instrument=instrument,
            accounts=accounts,
            control_group=control_group,
            window_start=tally.first_ts,
            window_end=tally.last_ts,
            evidence={
                "cancels": tally.count,
                "limit": self.limit,
                "party": party,
                "parameters": self.parameters_label,
            }
            | shares(tally.by_account),
            order_ids=tally.order_ids,
            reason=(
                f"{describe(accounts, party)} made {tally.count} {self.describe} in "
                f"{instrument} today, more than the {self.limit} allowed."
            ),
        )

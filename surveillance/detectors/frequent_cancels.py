"""Frequent cancels: more cancels a day than any honest order flow needs (SHFE), counted
per party (`acts_by`, by default the control group: surveillance/acting.py)."""

from collections.abc import Sequence

from engine.events import DayClosed, OrderCancelled
from surveillance.alert import Alert
from surveillance.cancel_tally import CancelTally
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView, is_member_cancel
from surveillance.parameters import FrequentCancels, label

PATTERN = "frequent_cancels"


class FrequentCancelsDetector:
    pattern = PATTERN
    events = (OrderCancelled, DayClosed)

    def __init__(self, view: MarketView, parameters: FrequentCancels):
        self.view = view
        self.acts_by = parameters.acts_by
        self.tally = CancelTally(
            PATTERN, parameters.max_cancels_per_day, "cancels", label(PATTERN, parameters)
        )

    def on_event(self, event) -> Sequence[Alert]:
        if type(event) is DayClosed:
            return self.tally.close_instrument(event.instrument, self.view.group)
        if not is_member_cancel(event):
            return NO_ALERTS
        party = self.view.party(event.account, self.acts_by, self._session(event))
        return self.tally.count(event, party, self.view.group(event.account))

    def _session(self, event: OrderCancelled) -> str:
        order = self.view.orders.get(event.order_id)
        return event.session or (order.session if order is not None else "")

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

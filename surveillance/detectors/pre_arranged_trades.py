"""Pre-arranged trades: two unrelated accounts enter opposite orders of the same size
within seconds and they meet each other wholly, again and again (CME Rule 539).

Once is chance in an anonymous book; `min_repeats` times a day for the same pair is an
arrangement. Orders entered further apart than `entered_within_s`, of different sizes,
smaller than `min_cross_tonnes` (the odd lot an algorithm lifts), or filled by anyone
else do not count.
"""

from collections.abc import Sequence

from engine.events import DayClosed, Trade
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import PreArrangedTrades, label

PATTERN = "pre_arranged_trades"
NS = 1_000_000_000


class PreArrangedTradesDetector:
    pattern = PATTERN
    events = (Trade, DayClosed)

    def __init__(self, view: MarketView, parameters: PreArrangedTrades):
        self.view = view
        self.parameters = parameters
        self.within = parameters.entered_within_s * NS
        # (instrument, first account, second account) -> matching trades today
        self.crosses: dict[tuple[str, str, str], list[Trade]] = {}

    def on_event(self, event) -> Sequence[Alert]:
        if type(event) is DayClosed:
            return self._close(event.instrument)
        buy = self.view.orders.get(event.buy_order_id)
        sell = self.view.orders.get(event.sell_order_id)
        if (
            buy is None
            or sell is None
            or buy.quantity != sell.quantity
            or event.quantity != buy.quantity
            or event.quantity < self.parameters.min_cross_tonnes
            or abs(buy.accepted_ts - sell.accepted_ts) > self.within
            or self.view.related(event.buy_account, event.sell_account)
        ):
            return NO_ALERTS
        first, second = sorted((event.buy_account, event.sell_account))
        crosses = self.crosses.setdefault((event.instrument, first, second), [])
        crosses.append(event)
        if len(crosses) != self.parameters.min_repeats:
            return NO_ALERTS
        return (self._alert(event.instrument, first, second, crosses),)

    def _close(self, instrument: str) -> Sequence[Alert]:
        """The day's final count for every pair that was alerted (it merges into the alert)."""
        alerts = []
        for key in [key for key in self.crosses if key[0] == instrument]:
            crosses = self.crosses.pop(key)
            if len(crosses) > self.parameters.min_repeats:
                alerts.append(self._alert(*key, crosses))
        return alerts

    def _alert(self, instrument: str, first: str, second: str, crosses: list[Trade]) -> Alert:
        return raise_alert(
            pattern=PATTERN,
            score=min(100, 50 + 10 * len(crosses)),
            instrument=instrument,
            accounts=(first, second),
            control_group="",
            window_start=crosses[0].ts,
            window_end=crosses[-1].ts,
            evidence={
                "matched_crosses_today": len(crosses),
                "min_repeats": self.parameters.min_repeats,
                "entered_within_s": self.parameters.entered_within_s,
                "parameters": label(PATTERN, self.parameters),
            },
            order_ids=sorted(
                {t.buy_order_id for t in crosses} | {t.sell_order_id for t in crosses}
            ),
            trade_ids=[t.trade_id for t in crosses],
            reason=(
                f"Unrelated accounts {first} and {second} entered opposite orders of equal "
                f"size within {self.parameters.entered_within_s} s that met each other "
                f"{len(crosses)} times today in {instrument}."
            ),
        )

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

"""Layering: orders stacked at several prices on one side to lean on the price, then
withdrawn together once the party has traded on the other side (EU MAR).

The party is who acts (`acts_by`, by default the control group). Its day orders on one
side placed within `placed_within_ms` of each other form one placement
(surveillance/placements.py), followed incrementally: each withdrawal (a member's cancel,
or an amendment that cuts the order) is O(1), nothing is rescanned. A placement alerts
when withdrawals within `cancelled_within_ms` of each other cover `min_levels` or more of
its prices, the party filled on the other side after placing it and within
`opposite_trade_within_s`, and the party is one-sided: its own open or just-withdrawn
quantity on the other side is at most `negligible_opposite_percent` of the layers (a
market maker pulling its ladder after a fill, or before a break, quotes both sides).
Each further level withdrawn re-raises the alert, which the runner merges into one.
"""

from collections.abc import Sequence

from engine.events import DayClosed, OrderAccepted, OrderAmended, OrderCancelled, Trade
from engine.orders import Side
from surveillance.acting import describe, shares
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MEMBER_CANCEL_CAUSES, MarketView
from surveillance.parameters import Layering, label
from surveillance.party_fills import PartyFills
from surveillance.placements import Placement, Placements

PATTERN = "layering"
NS = 1_000_000_000
NS_PER_MS = 1_000_000


class LayeringDetector:
    pattern = PATTERN
    events = (OrderAccepted, OrderAmended, OrderCancelled, Trade, DayClosed)

    def __init__(self, view: MarketView, parameters: Layering):
        self.view = view
        self.parameters = parameters
        self.window = parameters.opposite_trade_within_s * NS
        self.placements = Placements(
            view,
            parameters.acts_by,
            parameters.placed_within_ms * NS_PER_MS,
            parameters.withdrawn_percent,
            horizon_ns=2 * self.window,
            withdrawals_within_ns=parameters.cancelled_within_ms * NS_PER_MS,
            min_orders=2,
        )
        self.fills = PartyFills.of(view, parameters.acts_by, 2 * self.window)

    def on_event(self, event) -> Sequence[Alert]:
        kind = type(event)
        if kind is OrderAccepted:
            if not event.time_in_force:  # a day order: an IOC or FOK one never rests
                self.placements.placed(event, 0.0, alone_matters=False)
            return NO_ALERTS
        if kind is Trade:
            self._on_trade(event)
            return NO_ALERTS
        if kind is DayClosed:
            self.placements.forget_instrument(event.instrument)
            self.fills.forget_instrument(event.instrument)
            return NO_ALERTS
        if kind is OrderCancelled and event.cause not in MEMBER_CANCEL_CAUSES:
            return NO_ALERTS  # the system's: an IOC remainder, an expiry
        found = self.placements.withdrawn(event)
        if found is None:
            return NO_ALERTS
        placement = found[0]
        if len(placement.withdrawn_prices) < self.parameters.min_levels:
            return NO_ALERTS
        fill = self._opposite_fill(placement, event.ts)
        if fill is None:
            return NO_ALERTS
        presence = self.placements.opposite_presence(placement, event.ts)
        if presence * 100 > self.parameters.negligible_opposite_percent * placement.peak:
            return NO_ALERTS
        return (self._alert(placement, event.ts, fill),)

    def _on_trade(self, trade: Trade) -> None:
        self.placements.filled(trade)
        self.fills.record(trade)

    def _opposite_fill(self, placement: Placement, ts: int) -> tuple[int, int, str] | None:
        """The party's latest fill on the other side after the layers were placed and
        within the window of their placement."""
        other = Side.SELL if placement.side == Side.BUY else Side.BUY
        for fill in reversed(self.fills.recent(placement.party, placement.instrument, other)):
            if fill[0] < placement.first_ts:
                return None
            if fill[0] <= min(ts, placement.first_ts + self.window):
                return fill
        return None

    def _alert(self, placement: Placement, ts: int, fill: tuple[int, int, str]) -> Alert:
        levels = len(placement.withdrawn_prices)
        side = "buy" if placement.side == Side.BUY else "sell"
        who = describe(sorted(placement.accounts), placement.party)
        first_withdrawal = placement.withdrawals[0][0]
        return raise_alert(
            pattern=PATTERN,
            score=min(100, 50 + 10 * levels),
            instrument=placement.instrument,
            accounts=sorted({*placement.accounts, fill[2]}),
            control_group=self.view.group(fill[2]),
            window_start=placement.first_ts,
            window_end=ts,
            evidence={
                "price_levels": levels,
                "min_levels": self.parameters.min_levels,
                "layers_tonnes": placement.peak,
                "placed_within_ms": (placement.last_ts - placement.first_ts) / NS_PER_MS,
                "placed_threshold_ms": self.parameters.placed_within_ms,
                "cancelled_within_ms": (ts - first_withdrawal) / NS_PER_MS,
                "cancelled_threshold_ms": self.parameters.cancelled_within_ms,
                "seconds_to_opposite_fill": (fill[0] - placement.first_ts) / NS,
                "opposite_trade_threshold_s": self.parameters.opposite_trade_within_s,
                "acts_by": self.parameters.acts_by,
                "party": placement.party,
                "parameters": label(PATTERN, self.parameters),
            }
            | shares(placement.accounts),
            order_ids=placement.order_ids,
            trade_ids=(fill[1],),
            reason=(
                f"{who} placed {side} orders at {levels} prices within "
                f"{self.parameters.placed_within_ms} ms and withdrew them together right "
                f"after {fill[2]} traded on the other side."
            ),
        )

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

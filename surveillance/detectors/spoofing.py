"""Spoofing: a large order that was never meant to trade, withdrawn within seconds, while
the same party trades on the other side (CFTC / EU MAR).

The party is who acts (`acts_by`, by default the control group: see
surveillance/acting.py). Its resting orders on one side placed together at adjacent
prices are one order (surveillance/placements.py), so splitting a spoof into several
smaller orders does not hide it. A placement is a candidate when its size reaches
`size_multiple` x the day's median top-of-book size; it is withdrawn by cancels or by
amendments that leave at most `withdrawn_percent` of it, within `cancelled_within_s` of
its first order and with less than `max_filled_percent` filled. It alerts when the party
trades on the other side within `opposite_trade_within_s` of the placement (before or
after the withdrawal) and is one-sided: a party whose own quotes on the other side
exceed `negligible_opposite_percent` of the placement is a market maker.
"""

from collections.abc import Sequence

from engine.events import DayClosed, OrderAccepted, OrderAmended, OrderCancelled, Trade
from engine.orders import Side, TimeInForce
from surveillance.acting import describe, shares
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MEMBER_CANCEL_CAUSES, MarketView
from surveillance.parameters import Spoofing, label
from surveillance.party_fills import PartyFills
from surveillance.placements import Placement, Placements

PATTERN = "spoofing"
NS = 1_000_000_000
MS = 1_000_000


class SpoofingDetector:
    pattern = PATTERN
    events = (OrderAccepted, OrderAmended, OrderCancelled, Trade, DayClosed)

    def __init__(self, view: MarketView, parameters: Spoofing):
        self.view = view
        self.parameters = parameters
        self.window = parameters.opposite_trade_within_s * NS
        self.cancel_within = parameters.cancelled_within_s * NS
        self.placements = Placements(
            view,
            parameters.acts_by,
            parameters.placed_together_ms * MS,
            parameters.withdrawn_percent,
            horizon_ns=self.cancel_within + parameters.placed_together_ms * MS,
            adjacent_ticks=parameters.adjacent_ticks,
            withdrawals_within_ns=parameters.placed_together_ms * MS,
            min_orders=2,
        )
        # fills older than this cannot pair with any placement still withdrawable in time
        self.fills = PartyFills.of(view, parameters.acts_by, self.window + self.cancel_within)
        self.waiting: dict[tuple[str, str], list[Placement]] = {}  # withdrawn, no trade yet
        self.repeats: dict[tuple[str, str], int] = {}

    def on_event(self, event) -> Sequence[Alert]:
        kind = type(event)
        if kind is OrderAccepted:
            if event.time_in_force != TimeInForce.DAY:
                return NO_ALERTS  # an IOC or FOK order never rests
            book = self.view.book(event.instrument)
            median = (
                book.top_sizes.median()
                if book.top_sizes.count >= self.parameters.min_book_samples
                else 0.0
            )
            # a lone order under the size is followed only once others join it
            large = median > 0 and event.quantity >= self.parameters.size_multiple * median
            self.placements.placed(event, median, alone_matters=large)
            return NO_ALERTS
        if kind is Trade:
            self.placements.filled(event)
            return self._on_trade(event)
        if kind is DayClosed:
            self.placements.forget_instrument(event.instrument)
            self.fills.forget_instrument(event.instrument)
            for table in (self.waiting, self.repeats):
                for key in [key for key in table if key[0] == event.instrument]:
                    del table[key]
            return NO_ALERTS
        if kind is OrderCancelled and event.cause not in MEMBER_CANCEL_CAUSES:
            return NO_ALERTS  # the system's: an IOC remainder, an expiry
        found = self.placements.withdrawn(event)
        if found is None:
            return NO_ALERTS
        placement = found[0]
        if not self._qualifies(placement, event.ts):
            return NO_ALERTS
        return self._match_past_fills(placement, event.ts)

    def _qualifies(self, placement: Placement, ts: int) -> bool:
        parameters = self.parameters
        return (
            placement.median > 0
            and placement.peak >= parameters.size_multiple * placement.median
            and not placement.alerted
            and self.placements.is_withdrawn(placement)
            and ts - placement.first_ts <= self.cancel_within
            and placement.filled * 100 < parameters.max_filled_percent * placement.peak
            and self.placements.opposite_presence(placement, ts) * 100
            <= parameters.negligible_opposite_percent * placement.peak
        )

    def _match_past_fills(self, placement: Placement, ts: int) -> Sequence[Alert]:
        since = placement.first_ts - self.window
        other = Side.SELL if placement.side == Side.BUY else Side.BUY
        for fill_ts, trade_id, account in self.fills.recent(
            placement.party, placement.instrument, other
        ):
            if fill_ts >= since:
                return (self._alert(placement, ts, fill_ts, trade_id, account),)
        key = (placement.instrument, placement.party)
        self.waiting.setdefault(key, []).append(placement)
        return NO_ALERTS

    def _on_trade(self, trade: Trade) -> Sequence[Alert]:
        alerts: list[Alert] = []
        buyer, seller = self.fills.record(trade)
        if not self.waiting:
            return alerts
        for side, account, party in (
            (Side.BUY, trade.buy_account, buyer),
            (Side.SELL, trade.sell_account, seller),
        ):
            key = (trade.instrument, party)
            waiting = self.waiting.get(key)
            if waiting:
                still = []
                for placement in waiting:
                    if placement.first_ts + self.window < trade.ts:
                        continue
                    if placement.side != side:
                        alerts.append(
                            self._alert(
                                placement,
                                placement.withdrawn_ts,
                                trade.ts,
                                trade.trade_id,
                                account,
                            )
                        )
                    else:
                        still.append(placement)
                if still:
                    self.waiting[key] = still
                else:
                    del self.waiting[key]
        return alerts

    def _alert(
        self, placement: Placement, withdrawn_ts: int, trade_ts: int, trade_id: int, trader: str
    ) -> Alert:
        placement.alerted = True
        key = (placement.instrument, placement.party)
        repeats = self.repeats[key] = self.repeats.get(key, 0) + 1
        escalated = repeats >= self.parameters.escalate_at_repeats
        quantity, median = placement.peak, placement.median
        side = "buy" if placement.side == Side.BUY else "sell"
        accounts = sorted({*placement.accounts, trader})
        seconds = (withdrawn_ts - placement.first_ts) / NS
        who = describe(sorted(placement.accounts), placement.party)
        orders = len(placement.order_ids)
        return raise_alert(
            pattern=PATTERN,
            score=90 if escalated else 60,
            instrument=placement.instrument,
            accounts=accounts,
            control_group=self.view.group(trader),
            window_start=min(placement.first_ts, trade_ts),
            window_end=max(withdrawn_ts, trade_ts),
            evidence={
                "order_quantity": quantity,
                "orders_placed_together": orders,
                "price_levels": len(placement.prices),
                "median_top_of_book": median,
                "size_multiple": round(quantity / median, 2),
                "size_multiple_threshold": self.parameters.size_multiple,
                "seconds_to_cancel": seconds,  # to the withdrawal, by cancel or amendment
                "cancel_threshold_s": self.parameters.cancelled_within_s,
                "filled_percent": round(100 * placement.filled / quantity, 2),
                "filled_threshold_percent": self.parameters.max_filled_percent,
                "seconds_to_opposite_trade": abs(trade_ts - placement.first_ts) / NS,
                "opposite_trade_threshold_s": self.parameters.opposite_trade_within_s,
                "acts_by": self.parameters.acts_by,
                "party": placement.party,
                "repeats_today": repeats,
                "parameters": label(PATTERN, self.parameters),
            }
            | shares(placement.accounts),
            order_ids=placement.order_ids,
            trade_ids=(trade_id,),
            reason=(
                (
                    f"{who} placed a {side} order of {quantity} t "
                    f"({quantity / median:.1f}x the usual top-of-book size), "
                    f"{'cut it by amendment' if placement.amended else 'cancelled it'} "
                    if orders == 1
                    else f"{who} placed {side} orders of {quantity} t "
                    f"({quantity / median:.1f}x the usual top-of-book size, {orders} orders "
                    f"at adjacent prices), withdrew them "
                )
                + f"after {seconds:.1f} s while {trader} traded on the other side"
                + (f", {repeats} times today" if escalated else "")
                + "."
            ),
        )

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

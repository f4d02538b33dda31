"""Self-trade / wash: a trade between accounts of one control group changes no beneficial
owner, so it only paints the tape. Alert at once; escalate past the daily allowance."""

from collections.abc import Sequence

from engine.events import BlockTrade, DayClosed, Trade
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import SelfTrade, label

PATTERN = "self_trade"


class SelfTradeDetector:
    pattern = PATTERN
    events = (Trade, BlockTrade, DayClosed)  # a block has no orders, but is a trade

    def __init__(self, view: MarketView, parameters: SelfTrade):
        self.view = view
        self.parameters = parameters
        self.counts: dict[tuple[str, str], int] = {}  # (instrument, group) -> today's count

    def on_event(self, event) -> Sequence[Alert]:
        if type(event) is DayClosed:
            self.counts = {k: v for k, v in self.counts.items() if k[0] != event.instrument}
            return NO_ALERTS
        group = self.view.group(event.buy_account)
        if group != self.view.group(event.sell_account):
            return NO_ALERTS
        key = (event.instrument, group)
        count = self.counts[key] = self.counts.get(key, 0) + 1
        limit = self.parameters.escalate_above_per_day
        escalated = count > limit
        return (
            raise_alert(
                pattern=PATTERN,
                score=90 if escalated else 50,
                instrument=event.instrument,
                accounts=(event.buy_account, event.sell_account),
                control_group=group,
                window_start=event.ts,
                window_end=event.ts,
                evidence={
                    "self_trades_today": count,
                    "escalate_above": limit,
                    "quantity": event.quantity,
                    "price": event.price,
                    "parameters": label(PATTERN, self.parameters),
                },
                order_ids=(event.buy_order_id, event.sell_order_id) if type(event) is Trade else (),
                trade_ids=(event.trade_id,),
                reason=(
                    f"{event.sell_account} sold {event.quantity} t to {event.buy_account}, "
                    f"an account of the same control group {group}"
                    + (f" (self-trade {count} today, above {limit})" if escalated else "")
                    + "."
                ),
            ),
        )

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        self.counts.clear()
        return NO_ALERTS

"""Block away from the market: a block trade (协议大宗交易) priced more than
`block_away_percent` from the market, a potential transfer-pricing or value-shifting
trade between the two parties (surveillance.md; issue 14).

The market is the volume-weighted average price of the instrument's book trades in the
`window_s` before the block (an hour by default) or, with no book trade in that window,
the reference price (the previous close, or the supervisor's). The alert carries both
prices, which benchmark was used and what it was made of, the deviation against the
threshold, and the value the price moved from one party to the other.
"""

from collections import deque
from collections.abc import Sequence

from engine.events import BlockTrade, DayClosed, Trade
from engine.money import format_cny
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import BlockAwayFromMarket, label

PATTERN = "block_away_from_market"
NS_PER_SECOND = 1_000_000_000


class BlockAwayFromMarketDetector:
    pattern = PATTERN
    events = (Trade, BlockTrade, DayClosed)

    def __init__(self, view: MarketView, parameters: BlockAwayFromMarket):
        self.view = view
        self.parameters = parameters
        self.window_ns = parameters.window_s * NS_PER_SECOND
        self.trades: dict[str, deque[tuple[int, int, int]]] = {}  # instrument -> (ts, px, qty)

    def on_event(self, event) -> Sequence[Alert]:
        kind = type(event)
        if kind is Trade:
            self.trades.setdefault(event.instrument, deque()).append(
                (event.ts, event.price, event.quantity)
            )
            return NO_ALERTS
        if kind is DayClosed:
            self.trades.pop(event.instrument, None)
            return NO_ALERTS
        return self._check(event)

    def _check(self, block: BlockTrade) -> Sequence[Alert]:
        recent = self.trades.get(block.instrument, deque())
        while recent and recent[0][0] < block.ts - self.window_ns:
            recent.popleft()
        volume = sum(quantity for _, _, quantity in recent)
        if volume:
            benchmark = round(sum(price * quantity for _, price, quantity in recent) / volume)
            source = "book VWAP of the last hour"
        else:
            benchmark = self.view.references.get(block.instrument, 0)
            source = "reference price"
        if benchmark <= 0:
            return NO_ALERTS
        deviation = abs(block.price - benchmark) * 100 / benchmark
        threshold = self.parameters.block_away_percent
        if deviation <= threshold:
            return NO_ALERTS
        shifted = (block.price - benchmark) * block.quantity  # the buyer paid this much more
        direction = "above" if block.price > benchmark else "below"
        gainer, loser = (
            (block.sell_account, block.buy_account)
            if shifted > 0
            else (block.buy_account, block.sell_account)
        )
        return (
            raise_alert(
                pattern=PATTERN,
                score=min(100, 50 + 50 * (deviation / threshold - 1)),
                instrument=block.instrument,
                accounts=(block.buy_account, block.sell_account),
                control_group=self.view.group(block.sell_account),
                window_start=block.ts,
                window_end=block.ts,
                evidence={
                    "block_price": format_cny(block.price),
                    "benchmark_price": format_cny(benchmark),
                    "benchmark": source,
                    "book_trades_in_window": len(recent),
                    "book_volume_in_window": volume,
                    "window_s": self.parameters.window_s,
                    "deviation_percent": round(deviation, 2),
                    "block_away_percent": threshold,
                    "quantity": block.quantity,
                    "value_shifted": format_cny(abs(shifted)),
                    "buyer_group": self.view.group(block.buy_account),
                    "seller_group": self.view.group(block.sell_account),
                    "parameters": label(PATTERN, self.parameters),
                },
                trade_ids=(block.trade_id,),
                reason=(
                    f"block trade {block.trade_id}: {block.quantity} t of {block.instrument} "
                    f"at {format_cny(block.price)}, {deviation:.2f}% {direction} the {source} "
                    f"{format_cny(benchmark)} (threshold {threshold:g}%): about "
                    f"{format_cny(abs(shifted))} CNY moved from {loser} to {gainer}."
                ),
            ),
        )

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        self.trades.clear()
        return NO_ALERTS

"""Abnormal price move: a 5-minute return far outside the instrument's own recent
volatility, or a trade at the edge of the price band (CCER rules).

Volatility is the standard deviation of the last `lookback_returns` completed 5-minute
returns within sessions (only windows that traded), kept across days, estimated robustly
(from the median absolute deviation) so an earlier shock does not hide the next one. On
a thin market most windows trade at an unchanged price, so that estimate sits near
nothing and an ordinary 1 % move would look like ten sigmas; the estimate is therefore
never taken below the instrument's historical daily volatility scaled to one window
(`daily_volatility_percent` x sqrt(window / `trading_hours_per_day`)): a busy market's own
returns raise it above that, a thin one's few returns lean on it. `min_std_bps` is a
last floor. The live return
compares each trade with the last price at least a window earlier in the same session.
An instrument alerts once on entering the abnormal state and again only after the return
has fallen back below half the threshold, so a move that hovers there is one alert.
"""

import math
import statistics
from collections import deque
from collections.abc import Sequence

from engine.events import DayClosed, Trade
from engine.orders import Side
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import AbnormalPriceMove, label

PATTERN = "abnormal_price_move"
NS = 1_000_000_000


def robust_std(values) -> float:
    """The standard deviation estimated from the median absolute deviation (x 1.4826,
    exact for normal returns), or from the upper quartile of the absolute returns
    (/ 1.150, exact too) when that is larger: one past shock, a ramp say, does not mask
    the next, yet a thin market whose windows mostly do not move and sometimes jump a
    few ticks (its median deviation near nothing) is measured by its jumps."""
    ordered = sorted(values)
    middle = statistics.median(ordered)
    spread = 1.4826 * statistics.median(abs(value - middle) for value in ordered)
    sizes = sorted(abs(value) for value in ordered)
    tail = sizes[min(len(sizes) - 1, int(0.75 * len(sizes)))] / 1.150
    return max(spread, tail)


class PriceHistory:
    __slots__ = (
        "anchor",
        "at_band",
        "bucket_end",
        "bucket_open",
        "last",
        "moving",
        "recent",
        "returns",
        "session_end",
        "std",
    )

    def __init__(self, lookback: int):
        self.anchor = 0  # last price at least one window before the latest trade
        self.recent: deque = deque()  # (ts, price) of the latest window
        self.returns: deque = deque(maxlen=lookback)
        self.bucket_end = 0
        self.bucket_open = 0
        self.last = 0
        self.moving = False
        self.at_band = False
        self.std = 0.0  # of `returns`, floored; 0 until there are enough of them
        self.session_end = 0


class AbnormalPriceMoveDetector:
    pattern = PATTERN
    events = (Trade, DayClosed)

    def __init__(self, view: MarketView, parameters: AbnormalPriceMove):
        self.view = view
        self.parameters = parameters
        self.span = parameters.return_window_s * NS
        self.histories: dict[str, PriceHistory] = {}
        day_s = parameters.trading_hours_per_day * 3600
        self.prior = (
            parameters.daily_volatility_percent
            / 100
            * math.sqrt(parameters.return_window_s / day_s)
        )

    def on_event(self, event) -> Sequence[Alert]:
        if type(event) is DayClosed:
            history = self.histories.get(event.instrument)
            if history is not None:
                history.at_band = False
            return NO_ALERTS
        history = self.histories.get(event.instrument)
        if history is None:
            history = self.histories[event.instrument] = PriceHistory(
                self.parameters.lookback_returns
            )
        if event.ts >= history.session_end:
            self._new_session(history, event)
        self._roll_buckets(history, event.ts)
        recent = history.recent
        recent.append((event.ts, event.price))
        while recent[0][0] <= event.ts - self.span:
            history.anchor = recent.popleft()[1]
        history.last = event.price
        alerts = []
        alert = self._band_alert(history, event)
        if alert is not None:
            alerts.append(alert)
        alert = self._return_alert(history, event)
        if alert is not None:
            alerts.append(alert)
        return alerts

    def _new_session(self, history: PriceHistory, trade: Trade) -> None:
        """Returns are measured within a session: the move over a lunch break or a night
        is an opening gap, not a 5-minute move."""
        calendar = self.view.reference.calendar
        sessions = calendar.session_windows(calendar.trading_date(trade.ts))
        history.session_end = next((end for _, end in sessions if trade.ts < end), trade.ts + 1)
        history.recent.clear()
        history.anchor = history.last = history.bucket_open = trade.price
        history.bucket_end = 0
        history.moving = False

    def _roll_buckets(self, history: PriceHistory, ts: int) -> None:
        if ts < history.bucket_end:
            return
        if history.bucket_end and history.last != history.bucket_open:
            history.returns.append(math.log(history.last / history.bucket_open))
        elif history.bucket_end:
            history.returns.append(0.0)
        history.bucket_open = history.last
        history.bucket_end = ts + self.span
        if len(history.returns) >= self.parameters.min_returns:
            std = max(robust_std(history.returns), self.prior)
        else:  # too few returns of its own yet (the morning, a thin market): the history
            std = self.prior
        history.std = max(std, self.parameters.min_std_bps / 10_000)

    def _return_alert(self, history: PriceHistory, trade: Trade) -> Alert | None:
        std = history.std
        if not std:
            return None
        change = math.log(trade.price / history.anchor)
        sigmas = abs(change) / std
        if sigmas <= self.parameters.sigmas:
            if sigmas <= self.parameters.sigmas / 2:
                history.moving = False
            return None
        if history.moving:
            return None
        history.moving = True
        return self._alert(
            trade,
            score=50 + 5 * (sigmas - self.parameters.sigmas),
            evidence={
                "return_percent": round(100 * (math.exp(change) - 1), 3),
                "sigmas": round(sigmas, 2),
                "sigma_threshold": self.parameters.sigmas,
                "rolling_std_percent": round(100 * std, 4),
                "window_s": self.parameters.return_window_s,
            },
            window_start=history.recent[0][0],
            reason=(
                f"{trade.instrument} moved {100 * (math.exp(change) - 1):+.2f}% within "
                f"{self.parameters.return_window_s // 60} minutes, {sigmas:.1f} standard "
                f"deviations of its recent moves."
            ),
        )

    def _band_alert(self, history: PriceHistory, trade: Trade) -> Alert | None:
        band = self.view.bands.get(trade.instrument)
        instrument = self.view.reference.instruments.get(trade.instrument)
        if band is None or instrument is None:
            return None
        margin = self.parameters.band_ticks * instrument.tick
        low, high = band
        if low + margin < trade.price < high - margin:
            history.at_band = False
            return None
        if history.at_band:
            return None
        history.at_band = True
        edge = "upper" if trade.price >= high - margin else "lower"
        return self._alert(
            trade,
            score=80,
            evidence={
                "price": trade.price,
                "band_low": low,
                "band_high": high,
                "band_ticks_threshold": self.parameters.band_ticks,
            },
            window_start=trade.ts,
            reason=(
                f"{trade.instrument} traded at {trade.price / 100:.2f}, within "
                f"{self.parameters.band_ticks} tick of the {edge} price band."
            ),
        )

    def _alert(
        self, trade: Trade, score: float, evidence: dict, window_start: int, reason: str
    ) -> Alert:
        aggressor = trade.buy_account if trade.aggressor_side == Side.BUY else trade.sell_account
        return raise_alert(
            pattern=PATTERN,
            score=score,
            instrument=trade.instrument,
            accounts=(trade.buy_account, trade.sell_account),
            control_group=self.view.group(aggressor),
            window_start=window_start,
            window_end=trade.ts,
            evidence=evidence | {"parameters": label(PATTERN, self.parameters)},
            order_ids=(trade.buy_order_id, trade.sell_order_id),
            trade_ids=(trade.trade_id,),
            reason=reason,
        )

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS

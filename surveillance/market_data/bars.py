"""1-minute OHLCV bars, built trade by trade.

Minutes are local minutes of the market's time zone (the calendar's, Asia/Shanghai), so a
bar's label reads as the trading screen does ("10:31"). Only minutes with trades get a bar,
which also keeps the lunch break and nights out of the series. The time zone is consulted
once per new bar; every other trade compares two ints. Event order is the truth: a trade
stamped earlier than the current bar (a command clock stepping back) joins that bar.
"""

import datetime as dt
from zoneinfo import ZoneInfo

NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND


class Ohlcv:
    """Open, high, low, close, volume, turnover and trade count of a run of trades: a
    minute's for a bar, the day's for the quote."""

    __slots__ = ("close", "high", "low", "open", "trades", "turnover", "volume")

    def __init__(self, price: int):
        self.open = self.high = self.low = self.close = price
        self.volume = 0
        self.turnover = 0
        self.trades = 0

    def add(self, price: int, quantity: int) -> None:
        if price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        self.close = price
        self.volume += quantity
        self.turnover += price * quantity
        self.trades += 1


class MinuteBar(Ohlcv):
    __slots__ = ("end_ts", "start", "start_ts")

    def __init__(self, start: str, start_ts: int, price: int):
        super().__init__(price)
        self.start = start
        self.start_ts = start_ts
        self.end_ts = start_ts + NS_PER_MINUTE


class MinuteBars:
    """The bar being formed; a trade in a later minute starts the next one."""

    __slots__ = ("_zone", "current")

    def __init__(self, timezone: str):
        self._zone = ZoneInfo(timezone)
        self.current: MinuteBar | None = None

    def add(self, ts: int, price: int, quantity: int) -> tuple[MinuteBar, bool]:
        """Adds a trade; returns the bar it went into and whether that bar is new."""
        bar = self.current
        is_new = bar is None or ts >= bar.end_ts
        if is_new:
            bar = self.current = self._open(ts, price)
        bar.add(price, quantity)
        return bar, is_new

    def _open(self, ts: int, price: int) -> MinuteBar:
        seconds, ns = divmod(ts, NS_PER_SECOND)
        local = dt.datetime.fromtimestamp(seconds, self._zone)
        start_ts = ts - ns - local.second * NS_PER_SECOND
        return MinuteBar(local.replace(second=0).isoformat(), start_ts, price)

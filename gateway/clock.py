"""The exchange's clock, read only at the edge (the gateway stamps each command's `ts`).

The engine never reads a clock; whoever builds commands does, through one of these. The
demo clock maps real elapsed time onto a trading session, so the demo market trades
whatever the hour is where it runs.
"""

import datetime as dt
import time
from typing import Protocol

from engine.reference import TradingCalendar


class Clock(Protocol):
    def now(self) -> int:
        """ns since the epoch, UTC."""
        ...


class WallClock:
    def now(self) -> int:
        return time.time_ns()


class SessionClock:
    """Starts `into_session` after the first session's opening of a trading day (its
    `opening`) and runs at `speed` times real time from then on."""

    def __init__(
        self,
        calendar: TradingCalendar,
        day: dt.date | None = None,
        speed: float = 1.0,
        into_session: dt.timedelta = dt.timedelta(0),
    ):
        today = dt.datetime.now(dt.UTC).date() if day is None else day
        if not calendar.is_trading_day(today):
            today = calendar.next_trading_day(today)
        self.opening = calendar.session_windows(today)[0][0]
        self.start = self.opening + into_session // dt.timedelta(microseconds=1) * 1000
        self.speed = speed
        self._started = time.monotonic_ns()

    def now(self) -> int:
        return self.start + int((time.monotonic_ns() - self._started) * self.speed)

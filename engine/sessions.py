"""Whether the continuous book is open at a command's time.

The sequencer asks this for every order, so the answer is kept cheap: the local day's
session windows are computed once per day (reference.calendar.session_windows) and the
window the last open answer fell in is remembered, so the usual case is one comparison
of ints.
"""

from engine.reference import TradingCalendar


class Sessions:
    __slots__ = ("calendar", "day_end", "day_start", "open_from", "open_until", "windows")

    def __init__(self, calendar: TradingCalendar) -> None:
        self.calendar = calendar
        self.day_start = self.day_end = 0  # [start, end) of the day `windows` are for
        self.windows: tuple[tuple[int, int], ...] = ()
        self.open_from = self.open_until = 0  # the window of the last open answer

    def is_open(self, ts: int) -> bool:
        """Callers on the hot path test `open_from <= ts < open_until` themselves first."""
        if self.open_from <= ts < self.open_until:
            return True
        if not self.day_start <= ts < self.day_end:
            day = self.calendar.trading_date(ts)
            self.day_start, self.day_end = self.calendar.day_bounds(day)
            self.windows = self.calendar.session_windows(day)
        for start, end in self.windows:
            if start <= ts < end:
                self.open_from, self.open_until = start, end
                return True
        return False

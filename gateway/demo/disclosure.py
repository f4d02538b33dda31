"""The demo's part in public disclosure: trading days close, so reports get published.

A demo market starts in the morning of a trading day with no history. At its start it
closes the last trading day of the previous week (before any order), which publishes
that day's bulletin, large-holder list and weekly holdings report from the opening
allocations; when its clock passes the last session's end it closes its own day. Both are
ordinary EndOfDay commands, as a supervisor's `tcx admin end-of-day` sends.
"""

import datetime as dt

from engine.commands import Command, EndOfDay
from engine.reference import TradingCalendar
from gateway.disclosure.schedule import WEEKLY, due


def last_week_close(calendar: TradingCalendar, today: dt.date) -> dt.date:
    """The latest trading day before `today` whose close publishes the weekly reports."""
    day = today - dt.timedelta(days=1)
    while not (calendar.is_trading_day(day) and due(WEEKLY, day, calendar)):
        day -= dt.timedelta(days=1)
    return day


class DemoCloses:
    """The EndOfDay commands the demo sends, each once."""

    def __init__(self, calendar: TradingCalendar, start_ts: int):
        self.calendar = calendar
        self.today = calendar.trading_date(start_ts)
        self.close_ns = calendar.session_windows(self.today)[-1][1]
        self.closed_today = False

    def opening(self, ts: int) -> list[Command]:
        return [EndOfDay(ts, last_week_close(self.calendar, self.today).isoformat())]

    def due(self, ts: int) -> list[Command]:
        if self.closed_today or ts < self.close_ns:
            return []
        self.closed_today = True
        return [EndOfDay(ts, self.today.isoformat())]

"""When reports are published: on the trading calendar, at the close of a trading day.

The trigger is the journaled EndOfDay: the last DayClosed of a trading date makes every
DAILY report due for that date, and WEEKLY ones too when it is the last trading day of its
ISO week (the next trading day falls in another week). A holiday Friday therefore moves
the weekly publication to Thursday's close, and a week without trading days has none.
The publication time is that DayClosed's own time, so a replay publishes nothing new.
"""

import datetime as dt

from engine.reference import TradingCalendar

DAILY = "daily"
WEEKLY = "weekly"


def due(schedule: str, trading_date: dt.date, calendar: TradingCalendar) -> bool:
    """Whether a report on `schedule` is published at the close of `trading_date`."""
    if schedule == DAILY:
        return True
    if schedule == WEEKLY:
        following = calendar.next_trading_day(trading_date)
        return following.isocalendar()[:2] != trading_date.isocalendar()[:2]
    raise ValueError(f"unknown schedule {schedule!r}")

"""Whether a trading date named by a command is one: a real calendar date, written
YYYY-MM-DD, that the market trades on. An EndOfDay for anything else would close a day
that never was (DayClosed events for "9999-99-99")."""

import datetime as dt
import re

from engine.reference import TradingCalendar

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def trading_day(text: str, calendar: TradingCalendar) -> dt.date | None:
    """The date `text` names when it is a trading day; None otherwise."""
    if _ISO_DATE.fullmatch(text) is None:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if calendar.is_trading_day(day) else None

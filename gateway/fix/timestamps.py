"""FIX UTCTimestamp text (YYYYMMDD-HH:MM:SS[.sss]) to and from ns since the epoch."""

import datetime as dt
import functools
import re

_UTC_TIMESTAMP = re.compile(
    r"([0-9]{4})([0-9]{2})([0-9]{2})-([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{3}|[0-9]{6}|[0-9]{9}))?"
)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NS_PER_SECOND = 1_000_000_000


@functools.lru_cache(maxsize=1024)
def parse_utc_timestamp(text: str) -> int | None:
    """ns since the epoch, or None when the text is not a valid UTCTimestamp. Cached:
    SendingTime and TransactTime repeat across a burst of messages."""
    match = _UTC_TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        moment = dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=dt.UTC
        )
    except ValueError:
        return None
    seconds = (moment - _EPOCH) // dt.timedelta(seconds=1)
    fraction_ns = int((fraction or "0").ljust(9, "0"))
    return seconds * NS_PER_SECOND + fraction_ns


def format_utc_timestamp(ns: int) -> str:
    """Millisecond precision, the finest FIX 4.4 defines."""
    seconds, rest = divmod(ns, NS_PER_SECOND)
    return f"{_whole_second(seconds)}.{rest // 1_000_000:03d}"


@functools.lru_cache(maxsize=16)
def _whole_second(seconds: int) -> str:
    """Formatted once per second: every message sent stamps SendingTime with it."""
    return f"{_EPOCH + dt.timedelta(seconds=seconds):%Y%m%d-%H:%M:%S}"

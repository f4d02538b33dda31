"""The daily bulletin: one instrument's trading day as the exchange publishes it.

The engine's DayClosed carries the day's open, high, low, close (the VWAP of the book
trades rounded to the tick, or the carried-over previous close), volume and turnover; the
bulletin adds the day's block trades (counted by the feed, never in the close) and what
needs the history: the previous close, change and change %, and the totals since listing.
"""

from engine.events import DayClosed
from engine.money import format_cny
from surveillance.market_data.messages import DailyBulletin, money_text, price_text


def change_percent(change: int, base: int) -> str:
    """`change` as a percentage of `base`, to 0.01 %, half away from zero, in integers."""
    hundredths, remainder = divmod(abs(change) * 10_000, base)
    if 2 * remainder >= base:
        hundredths += 1
    return format_cny(-hundredths if change < 0 else hundredths)


def daily_bulletin(
    closed: DayClosed,
    seq: int,
    previous_close: int,
    cumulative_volume: int,
    cumulative_turnover: int,
    block_volume: int = 0,
    block_turnover: int = 0,
) -> DailyBulletin:
    """The bulletin for `closed`; `previous_close` is 0 when there never was one, and the
    cumulative totals (book and block) are those before this day."""
    has_base = previous_close > 0 and closed.close_price > 0
    change = closed.close_price - previous_close
    return DailyBulletin(
        instrument=closed.instrument,
        seq=seq,
        event_seq=closed.seq,
        ts=closed.ts,
        trading_date=closed.trading_date,
        open=price_text(closed.open_price),
        high=price_text(closed.high_price),
        low=price_text(closed.low_price),
        close=price_text(closed.close_price),
        carried_over=closed.carried_over,
        previous_close=price_text(previous_close),
        change=format_cny(change) if has_base else None,
        change_percent=change_percent(change, previous_close) if has_base else None,
        volume=closed.volume,
        turnover=money_text(closed.turnover),
        block_volume=block_volume,
        block_turnover=money_text(block_turnover),
        cumulative_volume=cumulative_volume + closed.volume + block_volume,
        cumulative_turnover=money_text(cumulative_turnover + closed.turnover + block_turnover),
    )

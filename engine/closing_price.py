"""The closing price rule (market-rules.md, national market).

The close is the volume-weighted average price of all the day's book trades, rounded to
the tick (half a tick rounds up); with no book trades, or fewer tonnes than the market's
`min_close_volume`, the previous close carries over.
"""


def closing_price(
    turnover: int, volume: int, previous_close: int, tick: int, min_close_volume: int
) -> tuple[int, bool]:
    """(close, carried_over) from the day's book turnover (fen) and volume (tonnes)."""
    if volume == 0 or volume < min_close_volume:
        return previous_close, True
    ticks = (2 * turnover + volume * tick) // (2 * volume * tick)
    return ticks * tick, False

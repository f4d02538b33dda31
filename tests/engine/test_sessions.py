"""The session clock: open inside the configured windows of trading days only."""

import datetime as dt

from engine.reference import load_reference_data
from engine.sessions import Sessions
from tests.engine.conftest import at


def test_open_only_in_the_windows_of_trading_days() -> None:
    sessions = Sessions(load_reference_data().calendar)
    tuesday, saturday = dt.date(2026, 11, 24), dt.date(2026, 11, 28)
    answers = [
        sessions.is_open(ts)
        for ts in (
            at(10, 0, tuesday),
            at(10, 1, tuesday),  # the remembered window
            at(12, 0, tuesday),
            at(13, 30, tuesday),
            at(10, 0, saturday),
            at(10, 0, tuesday),  # back to an earlier day
        )
    ]
    assert answers == [True, True, False, True, False, True]

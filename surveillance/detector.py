"""The one shape every detector has, so the runner treats them alike live and in replay.

A detector reads the shared `MarketView` (updated by the runner before the detector sees
an event) and keeps only the state its own pattern needs. It names the event types it
reads in `events`, so the runner hands it nothing else: with a dozen detectors, not
calling eleven of them on every trade is most of the replay speed.
"""

from collections.abc import Sequence
from typing import Protocol

from engine.events import Event
from surveillance.alert import Alert

NO_ALERTS: tuple[Alert, ...] = ()


class Detector(Protocol):
    pattern: str
    events: tuple[type[Event], ...]

    def on_event(self, event: Event) -> Sequence[Alert]:
        """Alerts the event completes (most events: NO_ALERTS)."""
        ...

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        """Alerts only a whole day can show; then forgets the day."""
        ...

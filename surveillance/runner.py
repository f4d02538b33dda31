"""Runs every detector over an event stream: the same code live and in replay.

The runner keeps the shared `MarketView` in step, hands each event only to the detectors
that read its type, calls every detector's day end once the day has closed for every
listed instrument, skips events it has already applied (a redelivered stream changes
nothing), and merges alerts for the same pattern, instrument and accounts whose windows
touch into the one raised first, so a supervisor sees one alert per episode. A sighting
the merged alert already covers (same or narrower window, no new ids, no higher score) is
not raised again: detectors re-raise an ongoing episode on every event, and only what
changed is worth storing.
"""

from collections.abc import Callable, Iterable, Sequence

from engine.events import DayClosed, Event
from engine.reference import ReferenceData
from surveillance.alert import Alert, absorb, windows_touch
from surveillance.detectors import all_detectors
from surveillance.market_view import MarketView
from surveillance.parameters import Parameters

Subject = tuple[str, str, tuple[str, ...]]  # pattern, instrument, accounts


class Surveillance:
    def __init__(self, reference: ReferenceData, parameters: Parameters | None = None):
        self.view = MarketView(reference)
        self.parameters = parameters or Parameters()
        self.detectors = all_detectors(self.view, self.parameters)
        self.routes: dict[type, list[Callable[[Event], Sequence[Alert]]]] = {}
        for detector in self.detectors:
            for kind in detector.events:
                self.routes.setdefault(kind, []).append(detector.on_event)
        self.alerts: dict[str, Alert] = {}  # by id, merged
        self.latest: dict[Subject, str] = {}  # the latest alert id per subject
        self.last_seq = 0
        self.closed: dict[str, set[str]] = {}  # trading date -> instruments closed
        self.open_day = ""  # a date whose day end has not run yet

    def on_event(self, event: Event) -> list[Alert]:
        """Applies one event; returns the alerts it raised or changed (merged)."""
        if event.seq <= self.last_seq:
            return []
        self.last_seq = event.seq
        kind = type(event)
        self.view.apply(event)
        raised: list[Alert] = []
        for handler in self.routes.get(kind, ()):
            found = handler(event)
            if found:
                raised.extend(found)
        self.view.retire(event)
        if kind is DayClosed:
            raised.extend(self._day_closed(event))
        return self._record_all(raised) if raised else raised

    def run(self, events: Iterable[Event]) -> list[Alert]:
        """Every event, then the end of the stream; returns the merged alerts."""
        for event in events:
            self.on_event(event)
        self.finish()
        return list(self.alerts.values())

    def finish(self) -> list[Alert]:
        """At the end of a stream that stopped before every instrument closed its day."""
        if not self.open_day:
            return []
        return self._record_all(self._day_end(self.open_day))

    def _day_closed(self, event: DayClosed) -> list[Alert]:
        closed = self.closed.setdefault(event.trading_date, set())
        closed.add(event.instrument)
        self.open_day = event.trading_date
        if not closed.issuperset(self.view.reference.instruments):
            return []
        return self._day_end(event.trading_date)

    def _day_end(self, trading_date: str) -> list[Alert]:
        self.open_day = ""
        self.closed.pop(trading_date, None)
        alerts: list[Alert] = []
        for detector in self.detectors:
            alerts.extend(detector.on_day_end(trading_date))
        return alerts

    def _record_all(self, raised: list[Alert]) -> list[Alert]:
        changed = [self._record(alert) for alert in raised]
        return [alert for alert in changed if alert is not None]

    def _record(self, alert: Alert) -> Alert | None:
        """The alert as kept after this sighting, or None when it changed nothing."""
        subject = (alert.pattern, alert.instrument, alert.accounts)
        kept_id = self.latest.get(subject)
        kept = self.alerts.get(kept_id) if kept_id else None
        if kept is not None and (kept.id == alert.id or windows_touch(kept, alert)):
            merged = absorb(kept, alert)
            if merged is None:
                return None
            alert = merged
        self.alerts[alert.id] = alert
        self.latest[subject] = alert.id
        return alert

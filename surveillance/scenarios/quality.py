"""Precision and recall of each detector against the labelled episodes of generated days.

An alert is a true positive when it overlaps in time an episode of its pattern (or one
whose behaviour `also` shows its pattern) on the same instrument and names at least one
of the episode's accounts. Abnormal price moves are about the market, not an account, so
for them, and for the `also` patterns whose alerts can trail an episode by a window,
instrument and time suffice, with `TRAILING_S` of slack after the episode. An episode is
found when at least one alert of its own pattern matches it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from surveillance.alert import Alert
from surveillance.parameters import PATTERNS
from surveillance.scenarios.episode import Episode

NS = 1_000_000_000
TRAILING_S = 360  # a 5-minute window plus a minute
MARKET_PATTERNS = frozenset({"abnormal_price_move"})


@dataclass(slots=True)
class Quality:
    alerts: int = 0
    true_alerts: int = 0
    episodes: int = 0
    found: int = 0
    false_alerts: list[Alert] = field(default_factory=list)
    missed: list[Episode] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_alerts / self.alerts if self.alerts else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.episodes if self.episodes else 1.0

    def add(self, other: "Quality") -> None:
        self.alerts += other.alerts
        self.true_alerts += other.true_alerts
        self.episodes += other.episodes
        self.found += other.found
        self.false_alerts += other.false_alerts
        self.missed += other.missed


def matches(alert: Alert, episode: Episode, primary: bool) -> bool:
    if alert.instrument not in (episode.instrument, ""):
        return False
    loose = alert.pattern in MARKET_PATTERNS or not primary
    trailing = TRAILING_S * NS if loose else NS
    if alert.window_start > episode.end + trailing or alert.window_end < episode.start - NS:
        return False
    return loose or not set(alert.accounts).isdisjoint(episode.accounts)


def measure(alerts: Iterable[Alert], episodes: list[Episode]) -> dict[str, Quality]:
    quality = {pattern: Quality() for pattern in PATTERNS}
    found: set[int] = set()
    for alert in alerts:
        counts = quality[alert.pattern]
        counts.alerts += 1
        true = False
        for number, episode in enumerate(episodes):
            if episode.pattern == alert.pattern and matches(alert, episode, True):
                found.add(number)
                true = True
            elif alert.pattern in episode.also and matches(alert, episode, False):
                true = True
        if true:
            counts.true_alerts += 1
        else:
            counts.false_alerts.append(alert)
    for number, episode in enumerate(episodes):
        counts = quality[episode.pattern]
        counts.episodes += 1
        if number in found:
            counts.found += 1
        else:
            counts.missed.append(episode)
    return quality


def table(quality: dict[str, Quality]) -> str:
    width = max(len(pattern) for pattern in quality)
    lines = [f"{'pattern':<{width}}  episodes  alerts  precision  recall"]
    for pattern, q in quality.items():
        lines.append(
            f"{pattern:<{width}}  {q.episodes:>8}  {q.alerts:>6}  {q.precision:>9.3f}  "
            f"{q.recall:>6.3f}"
        )
    return "\n".join(lines)

"""Precision and recall of each detector against the labelled episodes of generated days.

An alert is a true positive when it overlaps in time an episode of its pattern (or one
whose behaviour `also` shows its pattern) on the same instrument and names at least one
of the episode's accounts. Abnormal price moves are about the market, not an account, so
for them, and for the `also` patterns whose alerts can trail an episode by a window,
instrument and time suffice, with `TRAILING_S` of slack after the episode. An episode is
found when at least one alert of its own pattern matches it. The table counts how many
alerts were true only as such side effects, so precision without them can be read off.
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
    side_effects: int = 0  # true only as a side effect of another pattern's episode
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
        self.side_effects += other.side_effects
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
        primary = secondary = False
        for number, episode in enumerate(episodes):
            if episode.pattern == alert.pattern and matches(alert, episode, True):
                found.add(number)
                primary = True
            elif alert.pattern in episode.also and matches(alert, episode, False):
                secondary = True
        if primary or secondary:
            counts.true_alerts += 1
            counts.side_effects += not primary
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


def by_variant(alerts: list[Alert], episodes: list[Episode]) -> dict[tuple[str, str], Quality]:
    """Recall per (pattern, variant), and precision of the alerts matching each variant's
    episodes among those of the pattern (an alert of the pattern that matches no episode
    counts against every variant of it on the day)."""
    found: dict[tuple[str, str], Quality] = {}
    for number, episode in enumerate(episodes):
        counts = found.setdefault((episode.pattern, episode.variant), Quality())
        counts.episodes += 1
        if any(a.pattern == episode.pattern and matches(a, episode, True) for a in alerts):
            counts.found += 1
        else:
            counts.missed.append(episodes[number])
    for (pattern, variant), counts in found.items():
        own = [e for e in episodes if e.pattern == pattern and e.variant == variant]
        for alert in alerts:
            if alert.pattern != pattern:
                continue
            if any(matches(alert, e, True) for e in own):
                counts.alerts += 1
                counts.true_alerts += 1
            elif not any(
                (e.pattern == pattern and matches(alert, e, True))
                or (pattern in e.also and matches(alert, e, False))
                for e in episodes
            ):
                counts.alerts += 1
                counts.false_alerts.append(alert)
    return found


def variant_table(quality: dict[tuple[str, str], Quality]) -> str:
    lines = [f"{'pattern / variant':<34}  episodes  found  false  precision  recall"]
    for (pattern, variant), q in sorted(quality.items()):
        lines.append(
            f"{pattern + ' / ' + variant:<34}  {q.episodes:>8}  {q.found:>5}  "
            f"{len(q.false_alerts):>5}  {q.precision:>9.3f}  {q.recall:>6.3f}"
        )
    return "\n".join(lines)


def table(quality: dict[str, Quality]) -> str:
    width = max(len(pattern) for pattern in quality)
    lines = [f"{'pattern':<{width}}  episodes  alerts  side-effects  precision  recall"]
    for pattern, q in quality.items():
        lines.append(
            f"{pattern:<{width}}  {q.episodes:>8}  {q.alerts:>6}  {q.side_effects:>12}  "
            f"{q.precision:>9.3f}  {q.recall:>6.3f}"
        )
    return "\n".join(lines)

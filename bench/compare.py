"""bench.gateway `--compare REF`: this checkout against the git revision REF, measured in
one bench run. Both builds' servers run side by side and the runs alternate between them
(base, change, change, base, ...: neither always goes first), each measure `--runs` times
per build, so a machine that is busier for a while weighs on both; each figure is the
median over a build's runs, given for both builds and as the ratio change / base. The
one-minute load average is noted at every run: these figures come from a shared machine.
"""

import os
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import uvloop

from bench.gateway import Figures, ServerProcess, figures, median_figures, run_once, table
from bench.revision import CHECKOUT, build, revision_tree, tree_server

BUILDS = ("base", "change")
# (figure, label, format)
SHOWN = (
    ("per_second", "orders/s", "{:,.0f}"),
    ("p50_ms", "p50 ms", "{:.2f}"),
    ("p99_ms", "p99 ms", "{:.2f}"),
    ("p999_ms", "p99.9 ms", "{:.2f}"),
    ("lag_ms", "schedule lag ms", "{:.1f}"),
    ("server_us", "exchange CPU µs/req", "{:.0f}"),
    ("office_us", "back office CPU µs/req", "{:.0f}"),
    ("client_us", "client CPU µs/req", "{:.0f}"),
)


@dataclass
class Measure:
    """One measure's runs for both builds, and the load average at each run."""

    name: str
    runs: dict[str, list[Figures]] = field(default_factory=lambda: {b: [] for b in BUILDS})
    load: list[float] = field(default_factory=list)

    def median(self, name: str) -> Figures:
        return median_figures(self.runs[name])


def compare(
    ref: str, sessions: int, orders: int, rate: float, runs: int, window: int
) -> list[Measure]:
    """Both measures (max rate, then `rate`), alternating builds run by run."""
    build(CHECKOUT)  # this checkout's accelerator too, as the base's is built
    with (
        revision_tree(ref) as base_tree,
        tree_server(base_tree, sessions) as base,
        tree_server(CHECKOUT, sessions) as change,
    ):
        servers = {"base": base, "change": change}
        measures = [Measure(f"max rate, {window} in flight per session"), Measure(f"{rate:,.0f}/s")]
        number = 0
        for measure, measure_rate in zip(measures, (None, rate), strict=True):
            print(f"{measure.name}:")
            for round_ in range(runs):
                order = BUILDS if round_ % 2 == 0 else BUILDS[::-1]
                for name in order:
                    _wait_until_idle(servers.values())
                    measure.load.append(os.getloadavg()[0])
                    answers = uvloop.run(
                        run_once(servers[name], sessions, orders, measure_rate, window, number)
                    )
                    number += 1
                    measure.runs[name].append(figures(answers))
                    row = table([("", sessions, measure.runs[name][-1])]).splitlines()[1]
                    print(f"  {name:<6} {row}  load {measure.load[-1]:.2f}")
        return measures


def _wait_until_idle(servers: Iterable[ServerProcess]) -> None:
    """Both servers, so neither's consumers still catching up weigh on the next run."""
    for server in servers:
        server.wait_until_idle()


def report(ref: str, measures: Sequence[Measure], runs: int, orders: int) -> str:
    lines = [
        f"base {ref} against this checkout; medians of {runs} runs per build, "
        f"{orders:,} requests each, builds alternating; ratio = change / base.",
        "Not a quiet machine: the one-minute load average is given for each measure.",
    ]
    for measure in measures:
        base, change = measure.median("base"), measure.median("change")
        load = measure.load
        lines += [
            "",
            f"{measure.name} (load average {statistics.median(load):.2f}, "
            f"{min(load):.2f}–{max(load):.2f}):",
            f"  {'figure':<20} {'base':>10} {'change':>10} {'ratio':>7}",
        ]
        for name, label, form in SHOWN:
            was, now = getattr(base, name), getattr(change, name)
            ratio = f"{now / was:.2f}×" if was else "-"
            lines.append(f"  {label:<20} {form.format(was):>10} {form.format(now):>10} {ratio:>7}")
    return "\n".join(lines)

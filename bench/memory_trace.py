"""Where the exchange process's memory goes under load: tracemalloc in the server process.

The soak's `--trace-memory` sets `TRACE_ENV` to a directory before the server process
starts; that process then traces its allocations (`FRAMES` deep) and writes a snapshot
each time it gets SIGUSR1 (the soak sends one at half time and one at nine tenths). The
report compares two snapshots: what was allocated between them and is still alive,
grouped by file and by traceback. Tracing slows the server and each snapshot stops it for
a moment, so a traced run's latencies are not the exchange's.
"""

import asyncio
import os
import signal
import tracemalloc
from pathlib import Path

TRACE_ENV = "TCX_BENCH_TRACE_MEMORY"
FRAMES = 6
SNAPSHOT_GLOB = "snapshot-*.tracemalloc"
_IGNORED = (
    tracemalloc.Filter(False, tracemalloc.__file__),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"),
    tracemalloc.Filter(False, "<unknown>"),
)


def start_if_asked() -> None:
    """In the server process, before anything else is allocated."""
    if os.environ.get(TRACE_ENV):
        tracemalloc.start(FRAMES)


def snapshot_on_signal(loop: asyncio.AbstractEventLoop) -> None:
    """In the server's event loop: SIGUSR1 writes the next numbered snapshot."""
    directory = os.environ.get(TRACE_ENV)
    if not directory:
        return
    taken = [0]

    def snapshot() -> None:
        taken[0] += 1
        tracemalloc.take_snapshot().dump(
            str(Path(directory) / f"snapshot-{taken[0]:02d}.tracemalloc")
        )

    loop.add_signal_handler(signal.SIGUSR1, snapshot)


def growth_report(first: Path, last: Path, top: int = 15) -> str:
    """Markdown: the allocations still alive in `last` that were not in `first`."""
    before = tracemalloc.Snapshot.load(str(first)).filter_traces(_IGNORED)
    after = tracemalloc.Snapshot.load(str(last)).filter_traces(_IGNORED)
    by_file = after.compare_to(before, "filename")
    by_traceback = after.compare_to(before, "traceback")
    total = sum(stat.size_diff for stat in by_file)
    lines = [
        f"Allocations alive at {last.name} and not at {first.name}: {total / 2**20:+.1f} MiB.",
        "",
        "| KiB | blocks | file |",
        "|---:|---:|---|",
    ]
    for stat in by_file[:top]:
        frame = stat.traceback[0]
        lines.append(f"| {stat.size_diff / 1024:+,.0f} | {stat.count_diff:+,} | {frame.filename} |")
    lines += ["", "By traceback (innermost frame last):", ""]
    for stat in by_traceback[:top]:
        lines.append(f"- {stat.size_diff / 1024:+,.0f} KiB in {stat.count_diff:+,} blocks")
        lines += [f"      {frame.filename}:{frame.lineno}" for frame in stat.traceback]
    return "\n".join(lines) + "\n"

"""Soak: `python -m bench.soak --minutes 30 --rate 200 [--sessions 4] [--out bench/out]`.

bench.e2e's load at a steady rate for a bounded time against the embedded exchange in its
own process (loopback only), with the server's resident memory (VmRSS) sampled every few
seconds (kept in rss.csv). At the end, the same checks as bench.e2e (every acknowledged
request journaled, every trade booked once, the ledger sound, cash and tonnes conserved)
and a memory verdict.

Memory verdict. Memory should follow what is live (resting orders, the day's open state),
not the count of requests handled. A line is fitted (least squares) to RSS against
requests answered over the second half of the run, after start-up and warm-up; its slope
is the memory each request leaves behind. Projected over a trading day (`DAY_HOURS` at the
run's rate) it must stay under `DAY_GROWTH_BOUND_MIB`. A structure that is bounded but not
yet full in a short run (SQLite's page caches, which fill for about twelve minutes at 200
requests/s) still counts: the check errs on the strict side, so the default run is 30
minutes.
"""

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from bench import memory_trace
from bench.e2e import (
    Check,
    Deployment,
    Load,
    Outcome,
    charts,
    checks_after_stop,
    embedded_exchange,
    figures,
    machine,
    report,
    run,
)
from bench.load_client import Tally

DAY_HOURS = 4.0  # the trading day: 09:30-11:30 and 13:00-15:00
DAY_GROWTH_BOUND_MIB = 256.0  # what a whole day at the run's rate may add
SNAPSHOT_TIMEOUT_S = 120.0
# fractions of the run: the second half, less the end, where a snapshot's pause would
# hold back reports that the sessions, logging out, would never see
SNAPSHOTS_AT = (0.5, 0.9)


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc (no psutil here)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"process {pid}: no VmRSS (gone?)")


@dataclass
class Sample:
    seconds: float
    rss_kib: int
    answered: int


class MemoryWatch:
    """The observer bench.e2e runs alongside the load: a progress bar and RSS samples, and
    with `trace_dir` the server's tracemalloc snapshots (`SNAPSHOTS_AT`)."""

    def __init__(self, duration_s: float, every_s: float, trace_dir: Path | None = None):
        self.duration_s = duration_s
        self.every_s = every_s
        self.trace_dir = trace_dir
        self.samples: list[Sample] = []

    async def __call__(self, deployment: Deployment, tally: Tally) -> None:
        start = time.monotonic()
        pid = deployment.server.pid
        with tqdm(total=round(self.duration_s), unit="s", desc="soak") as bar:
            while (elapsed := time.monotonic() - start) < self.duration_s:
                rss = rss_kib(pid)
                self.samples.append(Sample(elapsed, rss, len(tally.acks)))
                bar.set_postfix(answered=f"{len(tally.acks):,}", rss=f"{rss / 1024:.0f} MiB")
                bar.update(round(elapsed) - bar.n)
                for count, at in enumerate(SNAPSHOTS_AT, 1):
                    if elapsed >= at * self.duration_s and len(self._snapshots()) < count:
                        await self._snapshot(pid, count)
                await asyncio.sleep(min(self.every_s, self.duration_s - elapsed))
            self.samples.append(Sample(time.monotonic() - start, rss_kib(pid), len(tally.acks)))
            bar.update(bar.total - bar.n)

    def _snapshots(self) -> list[Path]:
        return sorted(self.trace_dir.glob(memory_trace.SNAPSHOT_GLOB)) if self.trace_dir else []

    async def _snapshot(self, pid: int, count: int) -> None:
        """Asks the server for its `count`th snapshot and waits until it is written."""
        if self.trace_dir is None:
            return
        os.kill(pid, signal.SIGUSR1)
        deadline = time.monotonic() + SNAPSHOT_TIMEOUT_S
        while len(self._snapshots()) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.0)  # the file is complete once the next one could start


def fitted_slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys against xs."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if not spread:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def memory_check(samples: list[Sample], duration_s: float) -> Check:
    second_half = [sample for sample in samples if sample.seconds >= duration_s / 2]
    if len(second_half) < 3:
        return Check("memory bounded", False, f"only {len(second_half)} samples in the second half")
    first, last = second_half[0], second_half[-1]
    bytes_per_request = fitted_slope(
        [sample.answered for sample in second_half],
        [sample.rss_kib * 1024 for sample in second_half],
    )
    rate = (last.answered - first.answered) / max(last.seconds - first.seconds, 1e-9)
    day_requests = rate * DAY_HOURS * 3600
    day_mib = bytes_per_request * day_requests / 2**20
    return Check(
        "memory bounded",
        day_mib <= DAY_GROWTH_BOUND_MIB,
        f"RSS {samples[0].rss_kib / 1024:.0f} MiB at the start, {first.rss_kib / 1024:.0f} MiB "
        f"at half time, {last.rss_kib / 1024:.0f} MiB at the end (peak "
        f"{max(s.rss_kib for s in samples) / 1024:.0f} MiB); second half: "
        f"{bytes_per_request:.0f} bytes per request answered (fitted), so a {DAY_HOURS:g}-hour "
        f"day at {rate:.0f} requests/s ({day_requests / 1e6:.2f} M requests) would add "
        f"{day_mib:.0f} MiB; bound {DAY_GROWTH_BOUND_MIB:g} MiB",
    )


def rss_chart(samples: list[Sample], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(8, 4.5))
    axes.plot([s.seconds for s in samples], [s.rss_kib / 1024 for s in samples])
    axes.set_xlabel("seconds")
    axes.set_ylabel("exchange process RSS, MiB")
    axes.set_ylim(bottom=0)
    axes.set_title("Server memory during the soak")
    figure.tight_layout()
    figure.savefig(out / "rss.png", dpi=100)
    pyplot.close(figure)


def soak(
    load: Load, data_dir: Path, every_s: float, poll_s: float, trace_dir: Path | None = None
) -> tuple[Outcome, list[Check], list[Sample]]:
    """Runs the soak; returns bench.e2e's outcome, the memory check added to its checks,
    and the memory samples. With `trace_dir`, the server traces its memory and leaves two
    snapshots there."""
    memory = MemoryWatch(load.duration_s, every_s, trace_dir)
    if trace_dir is not None:
        trace_dir.mkdir(parents=True, exist_ok=True)
        os.environ[memory_trace.TRACE_ENV] = str(trace_dir)  # the spawned server inherits it
    try:
        with embedded_exchange(data_dir, load.sessions) as deployment:
            tally, timing, booked_ns = run(deployment, load, poll_s, memory)
    finally:
        os.environ.pop(memory_trace.TRACE_ENV, None)
    checks = [
        *checks_after_stop(deployment, tally, load.sessions),
        memory_check(memory.samples, load.duration_s),
    ]
    outcome = Outcome(figures(tally, timing, booked_ns), checks, tally, timing, booked_ns)
    return outcome, checks, memory.samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="length of the soak")
    parser.add_argument("--rate", type=float, default=200.0, help="steady requests/s in total")
    parser.add_argument("--sessions", type=int, default=4, help="member sessions (default 4)")
    parser.add_argument("--sample-s", type=float, default=5.0, help="RSS sampling interval")
    parser.add_argument("--out", type=Path, default=Path("bench/out/soak"), help="report directory")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="trace the server's allocations; memory-growth.md says what grew in the second half"
        " (slows the server and counts the tracer's own memory: use a low --rate, and read"
        " neither the latencies nor the memory verdict of a traced run)",
    )
    args = parser.parse_args(argv)
    if args.sessions < 1 or min(args.minutes, args.rate, args.sample_s) <= 0:
        parser.error("--minutes, --rate, --sessions and --sample-s must be positive")
    load = Load(args.sessions, args.rate, args.minutes * 60, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    host = machine()
    with tempfile.TemporaryDirectory(prefix="tcx-soak-") as data_dir:
        trace_dir = args.out / "trace" if args.trace_memory else None
        outcome, checks, samples = soak(load, Path(data_dir), args.sample_s, 0.005, trace_dir)
    command = "python -m bench.soak " + " ".join(argv if argv is not None else sys.argv[1:])
    memory = (("server memory", "rss.png"),)
    text = report("tcx soak", load, outcome.figures, checks, command.strip(), host, memory)
    verdict = "PASS" if all(check.passed for check in checks) else "FAIL"
    text += f"\nVerdict: **{verdict}**\n"
    (args.out / "soak.md").write_text(text)
    charts(outcome.tally, outcome.timing, outcome.booked_ns, args.out)
    rss_chart(samples, args.out)
    (args.out / "rss.csv").write_text(
        "seconds,rss_kib,answered\n"
        + "".join(f"{s.seconds:.1f},{s.rss_kib},{s.answered}\n" for s in samples)
    )
    if trace_dir is not None:
        snapshots = sorted(trace_dir.glob(memory_trace.SNAPSHOT_GLOB))
        growth = memory_trace.growth_report(snapshots[0], snapshots[-1])
        (args.out / "memory-growth.md").write_text(growth)
        print(growth)
    print(text)
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())

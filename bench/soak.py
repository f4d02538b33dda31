"""Soak: `python -m bench.soak --minutes 10 --rate 200 [--sessions 4] [--out bench/out]`.

bench.e2e's load at a steady rate for a bounded time against the embedded exchange in its
own process (loopback only), with the server's resident memory (VmRSS) sampled every few
seconds. At the end, the same checks as bench.e2e (every acknowledged request journaled,
every trade booked once, the ledger sound, cash and tonnes conserved) and a memory verdict.

Memory verdict. The exchange keeps some state per request for the whole trading day
(ClOrdIDs for duplicate detection, order views for status requests), so its memory grows
with the day's flow by design; what must not happen is growth that runs away. After the
warm-up (the first minute, or a fifth of a shorter run), the run is cut in two halves:
bounded means the second half grew no more than the first plus `SLACK_MIB` (no
acceleration), and the whole growth after warm-up stays under `PER_REQUEST_BOUND_KIB` per
request answered.
"""

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

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

SLACK_MIB = 8.0
PER_REQUEST_BOUND_KIB = 2.0
WARM_UP_S = 60.0


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
    """The observer bench.e2e runs alongside the load: a progress bar and RSS samples."""

    def __init__(self, duration_s: float, every_s: float):
        self.duration_s = duration_s
        self.every_s = every_s
        self.samples: list[Sample] = []

    async def __call__(self, deployment: Deployment, tally: Tally) -> None:
        start = time.monotonic()
        with tqdm(total=round(self.duration_s), unit="s", desc="soak") as bar:
            while (elapsed := time.monotonic() - start) < self.duration_s:
                rss = rss_kib(deployment.server.pid)
                self.samples.append(Sample(elapsed, rss, len(tally.acks)))
                bar.set_postfix(answered=f"{len(tally.acks):,}", rss=f"{rss / 1024:.0f} MiB")
                bar.update(round(elapsed) - bar.n)
                await asyncio.sleep(min(self.every_s, self.duration_s - elapsed))
            self.samples.append(
                Sample(time.monotonic() - start, rss_kib(deployment.server.pid), len(tally.acks))
            )
            bar.update(bar.total - bar.n)


def memory_check(samples: list[Sample], duration_s: float) -> Check:
    warm_up = min(WARM_UP_S, duration_s / 5)
    after = [sample for sample in samples if sample.seconds >= warm_up]
    if len(after) < 3:
        return Check("memory bounded", False, f"only {len(after)} samples after warm-up")
    first, middle, last = after[0], after[len(after) // 2], after[-1]
    first_half = (middle.rss_kib - first.rss_kib) / 1024
    second_half = (last.rss_kib - middle.rss_kib) / 1024
    requests = max(1, last.answered - first.answered)
    per_request = (last.rss_kib - first.rss_kib) / requests
    bounded = second_half <= first_half + SLACK_MIB and per_request <= PER_REQUEST_BOUND_KIB
    return Check(
        "memory bounded",
        bounded,
        f"RSS {first.rss_kib / 1024:.0f} MiB after {warm_up:.0f} s warm-up, "
        f"{middle.rss_kib / 1024:.0f} MiB midway, {last.rss_kib / 1024:.0f} MiB at the end "
        f"(halves +{first_half:.1f} / +{second_half:.1f} MiB; "
        f"{per_request * 1024:.0f} bytes per request answered after warm-up, bound "
        f"{PER_REQUEST_BOUND_KIB:g} KiB; peak {max(s.rss_kib for s in samples) / 1024:.0f} MiB)",
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
    load: Load, data_dir: Path, every_s: float, poll_s: float
) -> tuple[Outcome, list[Check], list[Sample]]:
    """Runs the soak; returns bench.e2e's outcome, the memory check added to its checks,
    and the memory samples."""
    memory = MemoryWatch(load.duration_s, every_s)
    with embedded_exchange(data_dir, load.sessions) as deployment:
        tally, timing, booked_ns = run(deployment, load, poll_s, memory)
    checks = [
        *checks_after_stop(deployment, tally, load.sessions),
        memory_check(memory.samples, load.duration_s),
    ]
    outcome = Outcome(figures(tally, timing, booked_ns), checks, tally, timing, booked_ns)
    return outcome, checks, memory.samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the soak")
    parser.add_argument("--rate", type=float, default=200.0, help="steady requests/s in total")
    parser.add_argument("--sessions", type=int, default=4, help="member sessions (default 4)")
    parser.add_argument("--sample-s", type=float, default=5.0, help="RSS sampling interval")
    parser.add_argument("--out", type=Path, default=Path("bench/out/soak"), help="report directory")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.sessions < 1 or min(args.minutes, args.rate, args.sample_s) <= 0:
        parser.error("--minutes, --rate, --sessions and --sample-s must be positive")
    load = Load(args.sessions, args.rate, args.minutes * 60, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    host = machine()
    with tempfile.TemporaryDirectory(prefix="tcx-soak-") as data_dir:
        outcome, checks, samples = soak(load, Path(data_dir), args.sample_s, 0.005)
    command = "python -m bench.soak " + " ".join(argv if argv is not None else sys.argv[1:])
    memory = (("server memory", "rss.png"),)
    text = report("tcx soak", load, outcome.figures, checks, command.strip(), host, memory)
    verdict = "PASS" if all(check.passed for check in checks) else "FAIL"
    text += f"\nVerdict: **{verdict}**\n"
    (args.out / "soak.md").write_text(text)
    charts(outcome.tally, outcome.timing, outcome.booked_ns, args.out)
    rss_chart(samples, args.out)
    print(text)
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())

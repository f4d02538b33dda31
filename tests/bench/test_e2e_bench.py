"""bench.e2e and bench.soak on a few seconds of load: the reports, charts and end checks
are produced and pass (no timing assertions), and the checks catch what they look for."""

from pathlib import Path

import pytest

from bench import e2e, soak
from bench.load_client import Tally
from engine.commands import NewOrder
from engine.journal import JournalWriter

pytestmark = pytest.mark.slow


def test_e2e_short_run_writes_report_and_charts_and_its_checks_pass(tmp_path: Path):
    code = e2e.main(["--sessions", "2", "--rate", "100", "--duration", "2", "--out", str(tmp_path)])

    report = (tmp_path / "e2e.md").read_text()
    assert code == 0, report
    assert "order-to-settlement p50 / p99 / p99.9" in report
    assert report.count("| pass |") == 5 and "FAIL" not in report
    for chart in ("latency.png", "throughput.png"):
        assert (tmp_path / chart).read_bytes().startswith(b"\x89PNG")


def test_e2e_flat_out_answers_every_request(tmp_path: Path):
    load = e2e.Load(sessions=2, rate=None, duration_s=1.0, seed=3, window=4)

    outcome = e2e.benchmark(load, 0.005, tmp_path)

    assert outcome.figures.requests == len(outcome.tally.acks) > 0
    assert all(check.passed for check in outcome.checks), outcome.checks


def test_soak_short_run_samples_memory_and_gives_a_verdict(tmp_path: Path):
    code = soak.main(
        [
            "--minutes",
            "0.1",
            "--rate",
            "50",
            "--sessions",
            "2",
            "--sample-s",
            "0.5",
            "--out",
            str(tmp_path),
        ]
    )

    report = (tmp_path / "soak.md").read_text()
    assert code == 0, report
    assert "| memory bounded | pass |" in report and "Verdict: **PASS**" in report
    assert (tmp_path / "rss.png").read_bytes().startswith(b"\x89PNG")


def test_journal_check_names_an_acknowledged_request_the_journal_lacks(tmp_path: Path):
    journal = tmp_path / "journal.log"
    writer = JournalWriter(journal, 0)
    writer.append([NewOrder(1, "ACC000", "s0-1", "TJEA25", 1, 2, 0, 5000, 10)])
    writer.close()
    tally = Tally(accepted={"s0-1": "new", "s0-2": "new"})

    check = e2e.check_journal(journal, tally)

    assert not check.passed
    assert "1 missing" in check.detail and "s0-2" in check.detail


def test_memory_check_fails_growth_that_accelerates():
    samples = [soak.Sample(float(s), 100_000 + s * s * 50, s * 100) for s in range(0, 100, 5)]

    check = soak.memory_check(samples, 100.0)

    assert not check.passed


def test_memory_check_passes_flat_memory():
    samples = [soak.Sample(float(s), 100_000 + (s % 2) * 100, s * 100) for s in range(0, 100, 5)]

    assert soak.memory_check(samples, 100.0).passed

"""bench.e2e and bench.soak on a few seconds of load: the reports, charts and end checks
are produced and pass (no timing assertions), and the checks catch what they look for."""

import tracemalloc
from pathlib import Path

import psycopg
import pytest

from bench import e2e, memory_trace, soak
from bench.load_client import Tally
from engine.commands import NewOrder
from engine.journal import JournalWriter

pytest_plugins = ["tests.databases"]
pytestmark = pytest.mark.slow


def test_e2e_short_run_writes_report_and_charts_and_its_checks_pass(tmp_path: Path):
    code = e2e.main(["--sessions", "2", "--rate", "100", "--duration", "2", "--out", str(tmp_path)])

    report = (tmp_path / "e2e.md").read_text()
    assert code == 0, report
    assert "order-to-settlement p50 / p99 / p99.9" in report
    assert report.count("| pass |") == 5 and "FAIL" not in report
    for chart in ("latency.png", "throughput.png"):
        assert (tmp_path / chart).read_bytes().startswith(b"\x89PNG")


def test_e2e_distributed_short_run_passes_its_end_checks(tmp_path: Path, empty_postgres: str):
    """Four service processes over a Tansu of the bench's own and the test database."""
    load = ["--sessions", "2", "--rate", "50", "--duration", "2", "--out", str(tmp_path)]
    code = e2e.main(["--mode", "distributed", "--database", empty_postgres, *load])

    report = (tmp_path / "e2e.md").read_text()
    assert code == 0, report
    assert "four processes over Tansu (in memory) and PostgreSQL" in report
    assert report.count("| pass |") == 5 and "FAIL" not in report
    assert "| trades | 0 |" not in report  # the run really traded, so settlement was checked
    for chart in ("latency.png", "throughput.png"):
        assert (tmp_path / chart).read_bytes().startswith(b"\x89PNG")


def test_e2e_distributed_refuses_a_database_that_is_not_empty(
    tmp_path: Path, empty_postgres: str, capsys
):
    with psycopg.connect(empty_postgres, autocommit=True) as connection:
        connection.execute("CREATE TABLE kept (n int)")

    with pytest.raises(SystemExit) as exit_:
        e2e.main(["--mode", "distributed", "--database", empty_postgres, "--out", str(tmp_path)])

    assert exit_.value.code == 2
    assert "not empty (1 tables in schema public)" in capsys.readouterr().err
    assert not (tmp_path / "e2e.md").exists()


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
            "--trace-memory",
        ]
    )

    growth = (tmp_path / "memory-growth.md").read_text()
    assert len(list((tmp_path / "trace").glob("snapshot-*.tracemalloc"))) == 2
    assert growth.startswith("Allocations alive at snapshot-02") and "| KiB |" in growth
    report = (tmp_path / "soak.md").read_text()
    # six seconds are all start-up for the process's memory: its verdict is not asserted
    rows = [line for line in report.splitlines() if line.startswith("| ")]
    memory = next(row for row in rows if row.startswith("| memory bounded |"))
    assert "bytes per request answered (fitted)" in memory
    checks = [row for row in rows if "| pass |" in row or "| FAIL |" in row]
    assert len(checks) == 6 and all("| pass |" in row for row in checks if row != memory)
    assert (code == 0) == ("| pass |" in memory) == ("Verdict: **PASS**" in report)
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


def samples_growing(bytes_per_request, after_s=0.0, requests_per_s=200):
    """A minute sampled every 5 s; memory grows by `bytes_per_request` from `after_s`."""
    return [
        soak.Sample(
            float(s),
            100_000 + round(max(0, s - after_s) * requests_per_s * bytes_per_request / 1024),
            s * requests_per_s,
        )
        for s in range(0, 61, 5)
    ]


def test_memory_check_fits_the_growth_per_request_and_projects_a_day():
    check = soak.memory_check(samples_growing(600), 60.0)

    assert not check.passed  # 600 B x 200/s x 4 h = 1.6 GB
    assert "600 bytes per request" in check.detail and "2.88 M requests" in check.detail


def test_memory_check_passes_slow_growth_under_the_bound():
    check = soak.memory_check(samples_growing(40), 60.0)  # 110 MiB over a day

    assert check.passed, check.detail


def test_memory_check_looks_at_the_second_half_only():
    levelled = [
        soak.Sample(s.seconds, min(s.rss_kib, 110_000), s.answered) for s in samples_growing(2000)
    ]
    assert levelled[6].rss_kib == levelled[-1].rss_kib == 110_000  # flat from half time

    assert soak.memory_check(levelled, 60.0).passed


def test_memory_check_passes_flat_memory():
    samples = [soak.Sample(float(s), 100_000 + (s % 2) * 100, s * 100) for s in range(0, 100, 5)]

    assert soak.memory_check(samples, 100.0).passed


def test_memory_growth_report_names_where_the_kept_allocations_were_made(tmp_path: Path):
    tracemalloc.start(memory_trace.FRAMES)
    try:
        tracemalloc.take_snapshot().dump(str(tmp_path / "snapshot-01.tracemalloc"))
        kept = [f"order {n}" * 4 for n in range(20_000)]
        tracemalloc.take_snapshot().dump(str(tmp_path / "snapshot-02.tracemalloc"))
    finally:
        tracemalloc.stop()

    growth = memory_trace.growth_report(
        tmp_path / "snapshot-01.tracemalloc", tmp_path / "snapshot-02.tracemalloc"
    )

    first_row = growth.splitlines()[4]
    assert first_row.endswith(f"| {__file__} |") and len(kept) == 20_000
    kib = float(first_row.split("|")[1].replace(",", ""))
    assert kib > 20_000 * 60 / 1024  # each string is at least 60 bytes

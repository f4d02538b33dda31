"""The journal benchmark's measuring run does the work it reports: every command
journaled and applied, batches as the policy cuts them. `python -m bench.journal` gives
the figures."""

from pathlib import Path

from bench.engine import plain_sequencer
from bench.journal import journaled_latency, journaled_throughput
from bench.workload import generate
from engine.durable_sequencer import GroupCommit
from engine.recovery import recover


def test_the_measured_passes_journal_and_apply_every_command(tmp_path: Path) -> None:
    workload = generate(events=3_000, warmup=200, seed=5)
    policy = GroupCommit(max_commands=100, max_wait_ns=10**12, snapshot_every=1_000)
    assert journaled_throughput(tmp_path / "throughput", workload, policy) > 0
    run = journaled_latency(tmp_path, workload, policy)

    commands = workload.setup + workload.warmup + workload.timed
    recovered = plain_sequencer()
    assert recover(tmp_path, recovered).commands == len(commands)
    replayed = plain_sequencer()
    for command in commands:
        replayed.apply(command)
    assert recovered.state_hash() == replayed.state_hash()

    assert run.batches == len(workload.timed) // policy.max_commands
    assert 0 < run.ack_us[0] <= run.ack_us[1] <= run.ack_us[2]
    assert run.snapshot_mb > 0

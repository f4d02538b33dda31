"""SIGKILL a journaling process mid-stream, recover, and check that every acknowledged
command survived and that no batch is half-applied."""

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.journal import JournalReader
from engine.recovery import recover
from tests.engine.journaling_child import POLICY
from tests.engine.tally import Tally, cash_movements

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("journaling_child.py")
SEED = 11
COUNT = 400_000  # more than the child gets through before it is killed
KILL_AFTER = (700, 3_333, 10_001, 25_000)  # acknowledged commands since its start
TIMEOUT_S = 60.0


def run_and_kill(directory: Path, kill_after: int) -> int:
    """Starts the child, SIGKILLs it once it has acknowledged `kill_after` more commands,
    and returns the highest count it acknowledged (including lines still in the pipe)."""
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(directory), str(SEED), str(COUNT)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    lines: list[bytes] = []
    pending = b""
    deadline = time.monotonic() + TIMEOUT_S
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        while not lines or int(lines[-1]) < int(lines[0]) + kill_after:
            assert time.monotonic() < deadline, "the child stopped acknowledging"
            if not selector.select(timeout=1.0):
                continue
            chunk = os.read(child.stdout.fileno(), 65536)
            assert chunk, f"the child exited early with {child.wait()}"
            *complete, pending = (pending + chunk).split(b"\n")
            lines.extend(complete)
    child.send_signal(signal.SIGKILL)
    rest = child.stdout.read()
    child.wait(timeout=TIMEOUT_S)
    child.stdout.close()
    lines.extend((pending + rest).split(b"\n")[:-1])  # a line without "\n" is not an ack
    assert child.returncode == -signal.SIGKILL
    return int(lines[-1])


@pytest.mark.slow
def test_every_acknowledged_command_survives_sigkill(tmp_path: Path) -> None:
    commands = cash_movements(SEED, COUNT)
    for kill_after in KILL_AFTER:
        acknowledged = run_and_kill(tmp_path, kill_after)

        recovered = Tally()
        recovery = recover(tmp_path, recovered)
        assert recovery.commands >= acknowledged
        assert recovery.commands - acknowledged <= POLICY.max_commands  # the batch in flight

        journaled = [
            command for batch in JournalReader(tmp_path / "journal.log") for command in batch
        ]
        assert journaled == commands[: recovery.commands]
        replayed = Tally()
        for command in journaled:
            replayed.apply(command)
        assert recovered.state_hash() == replayed.state_hash()
    assert recovery.snapshot_commands > 0  # the later rounds recovered snapshot + tail

"""The back office after the acknowledgement: `tcx up` as two processes on one machine.

The acknowledgement path (frame, FIX session, order entry, sequencer, durable journal,
execution report, frame) runs in the exchange process: engine and gateway. Settlement,
surveillance, market-data publication, REST and the dashboard consume the event stream and
run in the back-office process, so none of their work is on that path and the machine's
second core does it. The exchange serves its in-process stream on a Unix socket
(data_dir/stream.sock, engine/socket_stream.py); the back office reads events from it and
sends admin commands back over the commands topic, as in the distributed mode.

The exchange process starts the back office and starts it again if it dies: meanwhile the
exchange keeps acknowledging, and the back office resumes from its committed positions
(settlement books each trade once: it deduplicates by seq against its registry).
"""

import asyncio
import logging
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.event_replay import events_after
from engine.socket_stream import SocketStream, StreamServer
from gateway.exchange import Exchange

log = logging.getLogger("tcx.back_office")

EXCHANGE_SIDE = ("engine", "gateway")
BACK_OFFICE_SIDE = ("settlement", "surveillance", "admin")
RESTART_DELAY_S = 1.0
STOP_TIMEOUT_S = 30.0


def stream_path(data_dir: Path) -> Path:
    return data_dir / "stream.sock"


def back_office_stream(data_dir: Path) -> SocketStream:
    return SocketStream(stream_path(data_dir))


async def run_back_office(
    exchange: Exchange, office: "BackOfficeProcess", stop: asyncio.Event
) -> None:
    """The exchange's stream on its Unix socket and the back office reading it, until
    `stop`; the back office stops first, so it never sees its stream vanish. A back office
    resuming past what the stream holds gets the day from the journal."""
    server = StreamServer(
        exchange.stream,
        stream_path(exchange.settings.data_dir),
        lambda after: events_after(exchange.journal_dir, exchange.fresh_sequencer, after),
    )
    await server.start()
    try:
        await office.run(stop)
    finally:
        await server.close()


class BackOfficeProcess:
    """The back office as a child process of the exchange's: started, started again
    after it dies, told to stop (SIGTERM) when the exchange stops."""

    def __init__(self, arguments: Sequence[str], data_dir: Path):
        self.arguments = [sys.executable, "-m", "gateway.cli.main", "back-office", *arguments]
        self.pid_file = data_dir / "back-office.pid"  # for operators (and the kill test)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.arguments)
        self.pid_file.write_text(f"{self.process.pid}\n")
        log.info("back office started", extra={"pid": self.process.pid})

    def forward(self, signal_number: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal_number)

    async def run(self, stop: asyncio.Event) -> None:
        self.start()
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), RESTART_DELAY_S)
            except TimeoutError:
                code = self.process.poll()
                if code is not None:
                    log.error("back office exited with %s: starting it again", code)
                    self.start()
        await asyncio.to_thread(self._stop)

    def _stop(self) -> None:
        self.forward(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.pid_file.unlink(missing_ok=True)


def back_office_arguments(
    data_dir: Path, config: str | None, demo_speed: float | None, host: str, port: int
) -> list[str]:
    """The back office's command line: the exchange's settings, resolved."""
    arguments = ["--data-dir", str(data_dir), "--host", host, "--port", str(port)]
    if config:
        arguments += ["--config", config]
    if demo_speed is not None:
        arguments += ["--demo-speed", str(demo_speed)]
    return arguments

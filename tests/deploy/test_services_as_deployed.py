"""The compose deployment's services, run here as its containers would run them.

No container engine runs here, so each service is the same `tcx` command with the compose
file's environment, changed only where an address must be: a local Kafka-protocol broker
(Tansu), a test PostgreSQL database, loopback ports and a temporary data directory. This
checks what reading the files cannot: the operator's first steps from the README work, the
services start together on those settings, answer the health check, admit the first
supervisor, expose every metric the dashboard plots, and stop cleanly on SIGTERM (what
`docker compose down` and Kubernetes send).
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.cli.main import main
from tests.brokers import Tansu, free_port
from tests.deploy.compose_environment import compose_file, service_environment
from tests.deploy.dashboard_metrics import dashboard_queries, series_types, tcx_metrics

pytest_plugins = ["tests.databases"]

SERVICES = ("engine", "settlement", "surveillance", "gateway")  # compose's start order
STARTUP_POLLS = 240  # half-second polls: two minutes on a busy two-core machine


@contextmanager
def running_service(name: str, environment: dict[str, str], log: Path) -> Iterator[int]:
    """Runs one compose service's command; yields its HTTP port once /health answers."""
    command = compose_file()["services"][name]["command"]
    port = int(environment["TCX_HTTP_PORT"])
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TCX_")}
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli.main", *command],
            env={**clean, **environment, "PYTHONUNBUFFERED": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(STARTUP_POLLS):
            assert process.poll() is None, f"{name} exited: {log.read_text()}"
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.5)
                continue
            assert health.json()["components"] == [name]
            break
        else:
            pytest.fail(f"{name} never answered /health: {log.read_text()}")
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert process.returncode == 0, log.read_text()
    assert "stopped cleanly" in log.read_text()


def _first_supervisor(members: Path, capsys) -> tuple[str, str]:
    """The README's first step: a supervisor login in a new member file."""
    file = ["members", "--file", str(members)]
    role = ["--name", "Exchange market supervision", "--role", "supervisor"]
    assert main([*file, "add-member", "EXCHANGE", *role]) == 0
    session = ["add-session", "SUPERVISOR", "--member", "EXCHANGE", "--type", "drop_copy"]
    assert main([*file, *session]) == 0
    password = capsys.readouterr().out.rsplit(": ", 1)[1].strip()
    return "SUPERVISOR", password


@pytest.mark.slow
def test_the_compose_services_run_together_as_configured(tmp_path, postgres_server, capsys):
    supervisor = _first_supervisor(tmp_path / "members.toml", capsys)
    broker = Tansu()
    broker.start()
    ports = {}
    try:
        with ExitStack() as services:
            for name in SERVICES:
                environment = service_environment(compose_file()["services"][name])
                environment |= {
                    "TCX_KAFKA_BOOTSTRAP": broker.bootstrap_servers,
                    "TCX_REGISTRY_URL": postgres_server,
                    "TCX_DATA_DIR": str(tmp_path / name),
                    "TCX_MEMBERS_FILE": str(tmp_path / "members.toml"),
                    "TCX_HTTP_HOST": "127.0.0.1",
                    "TCX_HTTP_PORT": str(free_port()),
                }
                log = tmp_path / f"{name}.log"
                ports[name] = services.enter_context(running_service(name, environment, log))

            alerts = f"http://127.0.0.1:{ports['surveillance']}/api/alerts"
            assert httpx.get(alerts, auth=supervisor, timeout=10).status_code == 200
            assert httpx.get(alerts, auth=("SUPERVISOR", "wrong"), timeout=10).status_code == 401
            failures = f"http://127.0.0.1:{ports['gateway']}/api/admin/settlement-failures"
            assert httpx.get(failures, auth=supervisor, timeout=10).status_code == 200

            families = []
            for port in ports.values():
                scrape = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
                families += text_string_to_metric_families(scrape)
            plotted = tcx_metrics(" ".join(dashboard_queries()))
            missing = plotted - set(series_types(families))
            assert not missing, f"the dashboard plots series no service exposes: {missing}"
    finally:
        broker.stop()

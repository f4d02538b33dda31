"""A distributed tcx deployment on this machine: engine, settlement, surveillance and
gateway each as its own OS process (`python -m gateway.cli.main COMPONENT`, which is `tcx
COMPONENT`) over a Kafka-protocol broker and PostgreSQL.

One launcher for the end-to-end bench (`bench.e2e --mode distributed`), which runs its load
against the deployment, and for tests/e2e/test_distributed.py, which kills and restarts its
processes; by default the broker is a Tansu of our own and the database a fresh one on the
local server, both gone afterwards.
"""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from bench.tansu import Tansu, free_port

SERVICES = ("engine", "settlement", "surveillance", "gateway")  # start order; stop reversed
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
START_BOUND = 60.0  # seconds for every process to answer /health on a busy 2-core machine
STOP_BOUND = 20.0  # seconds for a clean stop after SIGTERM


class FreshDatabase:
    """A database of our own on a PostgreSQL server, created empty and dropped (even with
    sessions still connected) when done."""

    def __init__(self, server_url: str, prefix: str) -> None:
        self.server_url = server_url
        self.name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.url = server_url.rsplit("/", 1)[0] + "/" + self.name

    def create(self) -> None:
        """Raises psycopg.OperationalError when the server is not reachable."""
        with psycopg.connect(self.server_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@contextmanager
def broker_and_database(
    broker: str | None = None, database: str | None = None
) -> Iterator[tuple[str, str]]:
    """(bootstrap servers, registry URL): the given ones, left as they are, or a Tansu
    on a free port and a fresh database on the local server, removed afterwards."""
    with Tansu() if broker is None else _nothing() as tansu:
        fresh = None if database is not None else FreshDatabase(POSTGRES_SERVER, "tcx_bench")
        if fresh is not None:
            try:
                fresh.create()
            except psycopg.OperationalError as error:
                raise RuntimeError(
                    f"no PostgreSQL at {POSTGRES_SERVER} to make a fresh database in "
                    f"({str(error).strip()}); start it, or name an empty database"
                ) from None
        try:
            yield (
                tansu.bootstrap_servers if tansu is not None else broker,
                fresh.url if fresh is not None else database,
            )
        finally:
            if fresh is not None:
                fresh.drop()


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def service_environment(
    bootstrap_servers: str, registry_url: str, members_file: Path, **settings: str
) -> dict[str, str]:
    """What every service process gets: this environment, the stream, the registry and
    the logins, then `settings` (e.g. TCX_CLOCK="session")."""
    return {
        **os.environ,
        "TCX_STREAM": "kafka",
        "TCX_KAFKA_BOOTSTRAP": bootstrap_servers,
        "TCX_REGISTRY_URL": registry_url,
        "TCX_MEMBERS_FILE": str(members_file),
        "TCX_LOG_LEVEL": "warning",
        **settings,
    }


class Service:
    """One `tcx <component>` process on a free port with a data directory of its own
    under `root`, its output in `root/<component>.log` for when something fails."""

    def __init__(self, component: str, environment: dict[str, str], root: Path) -> None:
        self.component = component
        self.port = free_port()
        self.fix_port = free_port()  # the gateway's FIX websocket
        self.env = {
            **environment,
            "TCX_DATA_DIR": str(root / component),
            "TCX_HTTP_PORT": str(self.port),
            "TCX_FIX_PORT": str(self.fix_port),
        }
        self.output = root / f"{component}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.output, "ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli.main", self.component],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_BOUND)

    def stop(self) -> int:
        """SIGTERM, and the exit code once it has stopped; killed past STOP_BOUND."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_BOUND)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(
                f"{self.component} did not stop within {STOP_BOUND} s of SIGTERM"
            ) from None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def health(self, client: httpx.AsyncClient) -> dict | None:
        try:
            response = await client.get(f"http://127.0.0.1:{self.port}/health", timeout=2)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    def last_seq(self, health: dict | None) -> int | None:
        return None if health is None else health[f"{self.component}_last_seq"]

    def tail(self) -> str:
        return f"--- {self.component} ---\n" + self.output.read_text()[-3000:]


def services(root: Path, environment: dict[str, str]) -> dict[str, Service]:
    return {component: Service(component, environment, root) for component in SERVICES}


async def until(
    condition: Callable[[], Awaitable[bool]],
    bound: float,
    what: str,
    running: dict[str, Service],
) -> None:
    """Polls `condition` five times a second; past `bound` seconds, fails with the end
    of every service's output."""
    for _ in range(int(bound * 5)):
        if await condition():
            return
        await asyncio.sleep(0.2)
    logs = "\n".join(service.tail() for service in running.values())
    raise TimeoutError(f"{what}: not within {bound} s\n{logs}")


async def until_every_service_at(
    running: dict[str, Service], seq: int, bound: float, what: str
) -> None:
    """Until every service's /health reports event `seq` or later (0: it is up); fails at
    once when one of them has exited."""
    async with httpx.AsyncClient() as client:

        async def everyone() -> bool:
            for service in running.values():
                if not service.running:
                    raise RuntimeError(f"{service.component} exited\n{service.tail()}")
                last = service.last_seq(await service.health(client))
                if last is None or last < seq:
                    return False
            return True

        await until(everyone, bound, what, running)


@contextmanager
def running_services(root: Path, environment: dict[str, str]) -> Iterator[dict[str, Service]]:
    """The four services, started and answering /health; stopped with SIGTERM (the
    gateway first, the engine last) when the block ends. A service that does not stop
    cleanly is reported on stderr."""
    running = services(root, environment)
    try:
        for service in running.values():
            service.start()
        asyncio.run(until_every_service_at(running, 0, START_BOUND, "services up"))
        yield running
    finally:
        for service in reversed(running.values()):
            if service.running:
                try:
                    code = service.stop()
                except RuntimeError as error:
                    code = None
                    print(error, file=sys.stderr)
                if code:
                    print(f"{service.component} exited with {code}", file=sys.stderr)

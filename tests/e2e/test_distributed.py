"""The distributed deployment end to end: engine, settlement, surveillance and gateway as
separate OS processes (`python -m gateway.cli.main ...`) over Kafka (Tansu) and PostgreSQL.

Orders flow in through the commands topic; settlement is killed with SIGKILL and
restarted, so is the engine (between journaling and committing, as likely as not); the
broker is cut off for a few seconds by a proxy between every client and it. At the end
the registry in PostgreSQL must be exactly what an embedded run of the same commands
books, every service must have seen the same last seq, the journal must hold every
command once, and each process must stop cleanly on SIGTERM.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bench.distributed import (
    SERVICES,
    START_BOUND,
    Service,
    service_environment,
    until,
    until_every_service_at,
)
from bench.distributed import services as processes
from engine.command_intake import resume_point
from engine.commands import Command
from engine.journal import JournalReader
from engine.kafka_stream import KafkaStream
from engine.reference import ReferenceData, load_reference_data
from engine.sequencer import Sequencer
from engine.stream import COMMANDS_TOPIC, EVENTS_TOPIC, Publisher
from gateway.demo.market import DemoMarket, opening_commands
from gateway.first_run import ensure_member_file
from settlement.holds import SettlementHolds
from settlement.ledger import Ledger
from tests.brokers import Tansu, committed, proxied_tansu
from tests.engine.conftest import OPEN, raw_messages
from tests.tcp_proxy import TcpProxy

pytest_plugins = ["tests.databases"]
pytestmark = [pytest.mark.slow, pytest.mark.anyio]

PHASE = 120 * 1_000_000_000  # ns of the demo market's trading per phase, about 600 commands
QUIET_BOUND = 90.0  # seconds for every service to reach the last seq
OUTAGE = 3.0  # seconds the broker is cut off


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def order_flow(reference: ReferenceData, phases: int) -> list[list[Command]]:
    """The demo market's members: accounts first, then `phases` runs of trading."""
    demo = DemoMarket(None, reference, None, OPEN, seed=11)  # type: ignore[arg-type]
    flow = [opening_commands(OPEN)]
    for phase in range(1, phases + 1):
        flow.append(demo.step(OPEN + phase * PHASE))
    return flow


def embedded_registry(reference: ReferenceData, commands: list[Command], path: Path):
    """The same commands straight through a sequencer into an SQLite ledger."""
    sequencer = Sequencer(reference, SettlementHolds(reference))
    events = [event for command in commands for event in sequencer.apply(command)]
    ledger = Ledger.open(f"sqlite:///{path}", reference)
    try:
        ledger.book(events)
        return registry_of(ledger)
    finally:
        ledger.close()


def last_seq_after(reference: ReferenceData, commands: list[Command]) -> int:
    sequencer = Sequencer(reference, SettlementHolds(reference))
    for command in commands:
        sequencer.apply(command)
    return sequencer.next_seq - 1


def registry_of(ledger: Ledger) -> tuple[int, dict, list]:
    return ledger.last_seq(), ledger.all_balances(), ledger.trades_after(0)


@pytest.fixture
async def proxied_broker() -> AsyncIterator[tuple[Tansu, TcpProxy]]:
    async with proxied_tansu() as broker_and_proxy:
        yield broker_and_proxy


@pytest.fixture
def services(
    tmp_path: Path, empty_postgres: str, proxied_broker: tuple[Tansu, TcpProxy]
) -> Iterator[dict[str, Service]]:
    members = tmp_path / "members.toml"
    ensure_member_file(members)
    environment = service_environment(proxied_broker[0].bootstrap_servers, empty_postgres, members)
    running = processes(tmp_path, environment)
    # an fsync per command: slow enough that the kill and the outage find the engine at work
    running["engine"].env["TCX_JOURNAL_BATCH_SIZE"] = "1"
    yield running
    for service in running.values():
        if service.running:
            service.process.kill()
            service.process.wait()


def own_log_lines(service: Service) -> str:
    """The service's own log lines, without the Kafka client's outage noise."""
    lines = service.output.read_text().splitlines()
    return "\n".join(line for line in lines if '"logger": "aiokafka' not in line)[-6000:]


async def publish(publisher: Publisher, commands: list[Command]) -> None:
    """As the gateway hands commands to the engine, a few dozen at a time."""
    for start in range(0, len(commands), 40):
        await publisher.publish(COMMANDS_TOPIC, commands[start : start + 40])
        await asyncio.sleep(0.01)


async def test_processes_over_kafka_and_postgresql_book_what_the_embedded_run_books(
    services: dict[str, Service],
    proxied_broker: tuple[Tansu, TcpProxy],
    empty_postgres: str,
    tmp_path: Path,
) -> None:
    broker, proxy = proxied_broker
    journal_file = tmp_path / "engine" / "journal" / "journal.log"
    reference = load_reference_data()
    opening, first, second, third = order_flow(reference, phases=3)
    commands = [*opening, *first, *second, *third]
    expected = embedded_registry(reference, commands, tmp_path / "embedded.sqlite3")
    expected_last_seq = expected[0]
    assert len(expected[2]) > 100  # the flow really trades

    async with httpx.AsyncClient() as client:

        async def seq_of(component: str) -> int | None:
            service = services[component]
            return service.last_seq(await service.health(client))

        async def reached(component: str, seq: int) -> bool:
            last = await seq_of(component)
            return last is not None and last >= seq

        async def everyone_at(seq: int) -> bool:
            return all([await seq_of(component) == seq for component in SERVICES])

        for service in services.values():
            service.start()
        await until_every_service_at(services, 0, START_BOUND, "services up")

        injector = KafkaStream(broker.bootstrap_servers).publisher()
        try:
            await publish(injector, [*opening, *first])
            await injector.flush()
            await until(lambda: reached("settlement", 200), QUIET_BOUND, "booking", services)

            services["settlement"].kill()  # mid-flow: batches read and not committed
            await publish(injector, second)
            await injector.flush()
            await until(lambda: reached("engine", 1200), QUIET_BOUND, "engine busy", services)
            services["engine"].kill()  # journaled, maybe not yet committed or published
            services["settlement"].start()
            services["engine"].start()
            before = last_seq_after(reference, [*opening, *first, *second])
            await until(lambda: reached("engine", before), QUIET_BOUND, "engine back", services)

            half = len(third) // 2
            journaled = journal_file.stat().st_size
            await injector.publish(COMMANDS_TOPIC, third[:half])
            await injector.flush()
            for _ in range(5000):  # until the engine journals them: it is then at work
                if journal_file.stat().st_size > journaled:
                    break
                await asyncio.sleep(0.002)
            proxy.cut_off()  # before it can publish their events
            await publish(injector, third[half:])  # queued behind the outage
            await asyncio.sleep(OUTAGE)
            at_restore = await seq_of("engine")
            assert proxy.refused > 0  # the services really tried to reach the broker
            proxy.restore()
            # it went on journaling and applying what it had read, its events queued
            assert at_restore is not None and at_restore > before
            await asyncio.wait_for(injector.flush(), QUIET_BOUND)
        finally:
            await injector.close()

        await until(
            lambda: everyone_at(expected_last_seq), QUIET_BOUND, "every service done", services
        )
        metrics = (await client.get(f"http://127.0.0.1:{services['engine'].port}/metrics")).text
        assert "tcx_journal_fsync_seconds_count" in metrics
        assert 'tcx_stream_consumer_lag{consumer="engine"} 0.0' in metrics
        for component in ("gateway", "surveillance", "settlement", "engine"):
            assert services[component].stop() == 0, services[component].tail()

    # stopped cleanly: the input positions are committed up to what was applied
    events = await raw_messages(broker.bootstrap_servers, EVENTS_TOPIC, 1)
    assert await committed(broker, "settlement", EVENTS_TOPIC) == events[-1].offset + 1
    mark = resume_point(journal_file.parent).mark
    assert mark is not None
    engine_committed = await committed(broker, "engine", COMMANDS_TOPIC)
    assert engine_committed == mark.position[0], own_log_lines(services["engine"])

    journal = JournalReader(journal_file)
    assert [command for batch in journal for command in batch] == commands  # each once
    ledger = Ledger.open(empty_postgres, reference)
    try:
        assert registry_of(ledger) == expected
    finally:
        ledger.close()
